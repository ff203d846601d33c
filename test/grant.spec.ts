/**
 * The shared-instance grant: what the Job is, and what its SQL does when it runs
 * against a real server (PostgreSQL, and MariaDB standing in for MySQL 8: the
 * statements are the same), as the non-superuser master role RDS gives.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { DatabaseGrant, MYSQL_GRANT_SCRIPT, POSTGRES_GRANT_SQL } from "../components/kubernetes/grant";
import { isSecretValue, plain, Run, runWith } from "./harness";
import { Server, startMariadb, startPostgres } from "./servers";
import { schemaErrors } from "./k8s-schema";
import { evaluatePolicies } from "./policies";
import { ServiceNamespace } from "../components/kubernetes/namespace";

const obj = (r: { inputs: Record<string, unknown> }) => plain<Record<string, any>>(r.inputs);

describe("DatabaseGrant (a service's own database and role on a shared instance)", () => {
  describe("the Job", () => {
    let run: Run;
    let endpoint: Record<string, unknown>;
    before(async () => {
      run = await runWith(() => {
        const ns = new ServiceNamespace("data", { name: "rstuf-data" });
        const g = new DatabaseGrant("rstuf-grant", {
          namespace: ns.name,
          instance: "rstuf",
          engine: "postgres",
          host: "shared.abc.eu-west-1.rds.amazonaws.com",
          port: 5432,
          masterUser: "postgres",
          masterPassword: "MOCKSECRET-master-password-1234",
          database: "rstuf",
          user: "rstuf",
          cidrs: ["10.0.0.0/16"],
        });
        return { endpoint: g.endpoint as unknown as Record<string, unknown> };
      });
      endpoint = run.outputs.endpoint as Record<string, unknown>;
    });

    it("runs the grant SQL as the master role, every credential from its Secret", () => {
      const job = obj(run.get("kubernetes:batch/v1:Job", "rstuf-grant"));
      const c = job.spec.template.spec.containers[0];
      assert.deepEqual(c.command, ["psql", "-X", "-q", "-f", "/sql/grant.sql"]);
      const cm = obj(run.get("kubernetes:core/v1:ConfigMap", "rstuf-grant-sql"));
      assert.equal(cm.data["grant.sql"], POSTGRES_GRANT_SQL);
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
      assert.equal(env.PGUSER.value, "postgres");
      assert.equal(env.PGSSLMODE.value, "require", "TLS to the instance");
      assert.deepEqual(env.PGPASSWORD.valueFrom.secretKeyRef, { name: "rstuf-grant-master", key: "password" });
      assert.deepEqual(env.SVC_PASSWORD.valueFrom.secretKeyRef, { name: "rstuf-grant", key: "password" });
      // The master password in a Secret of its own, which nothing but this Job reads.
      for (const name of ["rstuf-grant", "rstuf-grant-master"]) {
        const data = run.get("kubernetes:core/v1:Secret", name).inputs.stringData as any;
        assert.ok(isSecretValue(data) || isSecretValue(data.password), `${name} is secret`);
        assert.deepEqual(Object.keys(plain<object>(data)), ["password"]);
      }
      assert.equal(plain<any>(run.get("kubernetes:core/v1:Secret", "rstuf-grant-master").inputs.stringData).password, "MOCKSECRET-master-password-1234");
    });

    it("is a restricted pod that may reach only the instance's port (and DNS)", async () => {
      const job = obj(run.get("kubernetes:batch/v1:Job", "rstuf-grant"));
      const spec = job.spec.template.spec;
      assert.equal(spec.automountServiceAccountToken, false);
      assert.equal(spec.restartPolicy, "OnFailure");
      assert.equal(spec.containers[0].securityContext.runAsNonRoot, true);
      const egress = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "rstuf-grant-egress")).spec.egress;
      assert.deepEqual(egress, [{ to: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
      for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), [], object.kind);
      assert.deepEqual(evaluatePolicies(run), []);
    });

    it("hands the service only its own role, and the names resolve once the Job has run", () => {
      assert.equal(endpoint.user, "rstuf");
      assert.equal(endpoint.database, "rstuf");
      assert.match(String(endpoint.password), /^MOCKSECRET-rstuf-grant-password/);
      assert.notEqual(endpoint.password, "MOCKSECRET-master-password-1234");
    });

    it("refuses names that are not plain identifiers, before creating anything", async () => {
      await assert.rejects(
        runWith(() => {
          new DatabaseGrant("x", { namespace: "n", instance: "x", engine: "postgres", host: "h", port: 5432, masterUser: "m", masterPassword: "p", database: "a;drop", user: "u" });
          return {};
        }),
        /database "a;drop" — a lowercase SQL identifier/,
      );
    });
  });

  describe("the PostgreSQL grant against a real server", function () {
    this.timeout(60_000);
    let pg: Server;
    const sqlFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "grant-")), "grant.sql");
    before(async () => {
      pg = await startPostgres();
      fs.writeFileSync(sqlFile, POSTGRES_GRANT_SQL);
      fs.chmodSync(path.dirname(sqlFile), 0o755);
    });
    after(async () => pg?.stop());

    const grant = (database: string, user: string, password: string) =>
      pg.client(["-q", "-f", sqlFile], {
        PGUSER: pg.master.user,
        PGPASSWORD: pg.master.password,
        PGDATABASE: "postgres",
        SVC_DATABASE: database,
        SVC_USER: user,
        SVC_PASSWORD: password,
      });
    const as = (user: string, password: string, database: string, sql: string) =>
      pg.client(["-v", "ON_ERROR_STOP=1", "-tAc", sql], { PGUSER: user, PGPASSWORD: password, PGDATABASE: database });

    it("creates the database and role; the role owns and uses its database", () => {
      const r = grant("rstuf", "rstuf", "firstpassword");
      assert.equal(r.status, 0, r.stderr);
      const use = as("rstuf", "firstpassword", "rstuf", "CREATE TABLE t (x int); INSERT INTO t VALUES (1); SELECT count(*) FROM t");
      assert.equal(use.status, 0, use.stderr);
      assert.equal(use.stdout.trim().split("\n").pop(), "1");
      const attrs = as("rstuf", "firstpassword", "rstuf", "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user");
      assert.equal(attrs.stdout.trim(), "f|f|f", "no superuser, no role or database creation");
    });

    it("is idempotent: a second run changes nothing and keeps the data", () => {
      const r = grant("rstuf", "rstuf", "firstpassword");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(as("rstuf", "firstpassword", "rstuf", "SELECT count(*) FROM t").stdout.trim(), "1");
    });

    it("a new password replaces the old one", () => {
      assert.equal(grant("rstuf", "rstuf", "secondpassword").status, 0);
      assert.notEqual(as("rstuf", "firstpassword", "rstuf", "SELECT 1").status, 0, "the old password no longer works");
      assert.equal(as("rstuf", "secondpassword", "rstuf", "SELECT 1").status, 0);
    });

    it("each service gets only its own database", () => {
      assert.equal(grant("pulp", "pulp", "pulppassword").status, 0);
      const cross = as("pulp", "pulppassword", "rstuf", "SELECT 1");
      assert.notEqual(cross.status, 0, "pulp cannot connect to rstuf's database");
      assert.match(cross.stderr, /permission denied for database "rstuf"/);
      assert.notEqual(as("rstuf", "secondpassword", "pulp", "SELECT 1").status, 0, "nor rstuf to pulp's");
    });

    it("treats names and passwords as data, not SQL", () => {
      const r = grant("odd", "odd", "it's'; DROP DATABASE rstuf; --");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(as("odd", "it's'; DROP DATABASE rstuf; --", "odd", "SELECT 1").status, 0);
      assert.equal(as("rstuf", "secondpassword", "rstuf", "SELECT count(*) FROM t").stdout.trim(), "1", "rstuf's database is untouched");
    });
  });

  describe("the MySQL grant against a real server (MariaDB)", function () {
    this.timeout(60_000);
    let my: Server;
    before(async () => {
      my = await startMariadb();
    });
    after(async () => my?.stop());

    const grant = (database: string, user: string, password: string) =>
      spawnSync("/bin/sh", ["-c", MYSQL_GRANT_SCRIPT], {
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: process.env.PATH,
          DB_HOST: "127.0.0.1",
          DB_PORT: String(my.port),
          DB_TLS: "false",
          MASTER_USER: my.master.user,
          MASTER_PASSWORD: my.master.password,
          SVC_DATABASE: database,
          SVC_USER: user,
          SVC_PASSWORD: password,
        },
      });
    const as = (user: string, password: string, database: string, sql: string) => my.client([`-u${user}`, "-N", "-B", database, "-e", sql], { MYSQL_PWD: password });

    it("creates the database and user, idempotently, and a new password replaces the old", () => {
      for (let i = 0; i < 2; i++) {
        const r = grant("trillian", "trillian", "firstpassword");
        assert.equal(r.status, 0, r.stderr);
      }
      const use = as("trillian", "firstpassword", "trillian", "CREATE TABLE IF NOT EXISTS t (x int); INSERT INTO t VALUES (1); SELECT count(*) FROM t");
      assert.equal(use.status, 0, use.stderr);
      assert.equal(use.stdout.trim(), "1");
      assert.equal(grant("trillian", "trillian", "secondpassword").status, 0);
      assert.notEqual(as("trillian", "firstpassword", "trillian", "SELECT 1").status, 0);
      assert.equal(as("trillian", "secondpassword", "trillian", "SELECT count(*) FROM t").stdout.trim(), "1", "the data survives");
    });

    it("each service gets only its own database", () => {
      assert.equal(grant("other", "other", "otherpassword").status, 0);
      const cross = as("other", "otherpassword", "trillian", "SELECT 1");
      assert.notEqual(cross.status, 0);
      assert.match(cross.stderr, /Access denied for user 'other'/);
    });
  });
});
