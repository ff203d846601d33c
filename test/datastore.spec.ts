/**
 * The in-cluster data stores: what they render (checked against the Kubernetes
 * schema and the policy suite in every topology), the endpoint they hand over,
 * and their configuration run by the real servers: redis-server with the
 * generated redis.conf, PostgreSQL with the generated TLS arguments and pg_hba.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DataEndpoint, DataStoreTlsArgs, egressTo, MysqlStore, PG_HBA_CLIENT_CERT, PG_HBA_TLS, PostgresStore, RedisStore } from "../components/kubernetes/datastore";
import { ServiceNamespace } from "../components/kubernetes/namespace";
import { isSecretValue, plain, Recorded, Run, runWith } from "./harness";
import { schemaErrors } from "./k8s-schema";
import { evaluatePolicies } from "./policies";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const CLIENTS = [{ namespace: "svc", podLabels: { "app.kubernetes.io/name": "svc" }, components: ["api", "worker"] }];
const STORES = { postgres: PostgresStore, mysql: MysqlStore, redis: RedisStore } as const;
type Engine = keyof typeof STORES;

async function store(engine: Engine, topology = "single", extra: Record<string, unknown> = {}): Promise<{ run: Run; endpoint: DataEndpoint }> {
  let endpoint!: DataEndpoint;
  const run = await runWith(() => {
    const ns = new ServiceNamespace("data-ns", { name: "svc-data", labels: { "trust-services.io/topology": topology } });
    const s = new STORES[engine](`svc-${engine}`, { namespace: ns.name, instance: "svc", topology, clients: CLIENTS, storageClass: "gp3", ...extra });
    endpoint = s.endpoint;
    return { endpoint: s.endpoint as unknown as Record<string, unknown> };
  });
  return { run, endpoint: run.outputs.endpoint as unknown as DataEndpoint };
}

function sts(run: Run, engine: Engine) {
  return obj(run.get("kubernetes:apps/v1:StatefulSet", `svc-${engine}`));
}

/** A CA and a server certificate for 127.0.0.1, made by openssl. */
/**
 * PostgreSQL on the arguments a store's pod gets, with its files in a directory of their own:
 * the key file as in the pod (root-owned, the server's group, 0640; the postgres user's when not root).
 */
async function startTlsPostgres(podArgs: string[], certs: { ca: string; cert: string; key: string }, hba: string) {
  const { startPostgres } = await import("./servers");
  const pgDir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-tls-"));
  fs.chmodSync(pgDir, 0o755);
  for (const [f, body] of [["tls.crt", certs.cert], ["tls.key", certs.key], ["ca.crt", certs.ca], ["pg_hba.conf", hba]]) fs.writeFileSync(path.join(pgDir, f), body);
  const rootOwned = process.getuid?.() === 0;
  if (rootOwned) spawnSync("chgrp", ["postgres", path.join(pgDir, "tls.key")]);
  fs.chmodSync(path.join(pgDir, "tls.key"), rootOwned ? 0o640 : 0o600);
  const args = podArgs.map((a) => a.replace("/tls/", `${pgDir}/`).replace("/etc/postgresql/", `${pgDir}/`));
  return { pg: await startPostgres({ extraArgs: args }), pgDir };
}

/** A client certificate from the test CA in `dir` (made by `certificates`), for `user`. */
function clientCertificate(dir: string, user: string): { cert: string; key: string } {
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${user}.key`, "-out", `${user}.csr`, "-subj", `/CN=${user}`]);
  fs.writeFileSync(path.join(dir, "client-ext"), "extendedKeyUsage=clientAuth\n");
  run(["x509", "-req", "-in", `${user}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${user}.crt`, "-days", "2", "-extfile", "client-ext"]);
  fs.chmodSync(path.join(dir, `${user}.key`), 0o600);
  return { cert: path.join(dir, `${user}.crt`), key: path.join(dir, `${user}.key`) };
}

function certificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test CA"]);
  run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=127.0.0.1"]);
  fs.writeFileSync(path.join(dir, "ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run(["x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt", "-days", "2", "-extfile", "ext"]);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
  return { ca: read("ca.crt"), cert: read("tls.crt"), key: read("tls.key") };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} never came up`);
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
  });
}

describe("in-cluster data stores", () => {
  for (const engine of Object.keys(STORES) as Engine[]) {
    describe(engine, () => {
      for (const topology of ["single", "external-db", "ha"]) {
        it(`renders valid objects that pass the policy suite in a ${topology} namespace`, async () => {
          const { run } = await store(engine, topology, { production: true });
          for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), [], `${object.kind} ${object.metadata?.name}`);
          assert.deepEqual(evaluatePolicies(run), []);
        });
      }

      it("one StatefulSet replica with the documented reason, the image's own non-root user, its data on a retained claim", async () => {
        const { run } = await store(engine, "single", { production: true });
        const s = sts(run, engine);
        assert.equal(s.spec.replicas, 1);
        assert.match(s.metadata.annotations["trust-services.io/single-replica-reason"], /without replication/);
        const pod = s.spec.template.spec;
        const c = pod.containers[0];
        assert.match(c.image, /^(postgres|mysql|redis):\d+\.\d+(\.\d+)?(-alpine[\d.]+)?$/, "a pinned official image");
        assert.equal(c.securityContext.runAsNonRoot, true);
        assert.ok(c.securityContext.runAsUser > 0);
        assert.equal(pod.securityContext.fsGroup, { postgres: 70, mysql: 999, redis: 1000 }[engine]);
        const claim = run.get("kubernetes:core/v1:PersistentVolumeClaim", `svc-${engine}-data`);
        assert.equal(claim.retainOnDelete, true);
        assert.equal(obj(claim).metadata.labels["trust-services.io/backup"], "daily");
        assert.ok(c.startupProbe && c.livenessProbe && c.readinessProbe);
        assert.ok(c.resources.requests.memory && c.resources.limits.memory);
      });

      it("admits only the client pods the service names, on its own port", async () => {
        const { run, endpoint } = await store(engine);
        const p = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `svc-${engine}-ingress`));
        assert.deepEqual(p.spec.podSelector.matchLabels, sts(run, engine).spec.selector.matchLabels);
        assert.deepEqual(p.spec.ingress, [
          {
            from: [
              {
                podSelector: { matchLabels: { "app.kubernetes.io/name": "svc" }, matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["api", "worker"] }] },
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "svc" } },
              },
            ],
            ports: [{ protocol: "TCP", port: endpoint.port }],
          },
        ]);
        // And the client side: the egress rule a consumer gets from the endpoint reaches exactly these pods.
        const rule = egressTo(endpoint);
        assert.deepEqual(rule.peers, [{ namespace: "svc-data", podLabels: sts(run, engine).spec.selector.matchLabels }]);
        assert.deepEqual(rule.ports, [endpoint.port]);
      });

      it("hands over an endpoint: the Service's DNS name, port, credentials as secrets, the Secret that holds them", async () => {
        const { run, endpoint } = await store(engine);
        assert.equal(endpoint.host, `svc-${engine}.svc-data.svc.cluster.local`);
        assert.equal(endpoint.port, { postgres: 5432, mysql: 3306, redis: 6379 }[engine]);
        assert.equal(endpoint.location, "in-cluster");
        assert.equal(endpoint.tls, false);
        assert.match(String(endpoint.password), /^MOCKSECRET-svc-/);
        if (engine !== "redis") assert.deepEqual([endpoint.database, endpoint.user], ["svc", "svc"]);
        const secret = run.get("kubernetes:core/v1:Secret", `svc-${engine}`);
        const data = secret.inputs.stringData as any;
        assert.ok(isSecretValue(data) || isSecretValue(data.password));
        assert.equal(plain<any>(data).password, endpoint.password);
        // The password reaches the server through the Secret only.
        const c = sts(run, engine).spec.template.spec.containers[0];
        assert.ok(!JSON.stringify(c).includes(String(endpoint.password)));
      });
    });
  }

  describe("PostgreSQL specifics", () => {
    it("initialises a subdirectory of the claim (lost+found), with writable socket and /tmp on a read-only root", async () => {
      const { run } = await store("postgres");
      const c = sts(run, "postgres").spec.template.spec.containers[0];
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
      assert.equal(env.PGDATA.value, "/var/lib/postgresql/data/pgdata");
      assert.deepEqual(env.POSTGRES_PASSWORD.valueFrom.secretKeyRef, { name: "svc-postgres", key: "password" });
      assert.deepEqual(c.volumeMounts.map((m: any) => m.mountPath).sort(), ["/tmp", "/var/lib/postgresql/data", "/var/run/postgresql"]);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.readinessProbe.exec.command.slice(0, 3), ["pg_isready", "-h", "127.0.0.1"], "over TCP: during initialisation only the socket answers");
    });
  });

  describe("MySQL specifics", () => {
    it("a data subdirectory, the root password generated apart, TLS required when given a certificate", async () => {
      const { run } = await store("mysql", "single", { tls: { certificate: "CERT", privateKey: "MOCKSECRET-key", caCertificate: "CA" } });
      const c = sts(run, "mysql").spec.template.spec.containers[0];
      assert.deepEqual(c.args, ["--datadir=/var/lib/mysql/data", "--ssl-cert=/tls/tls.crt", "--ssl-key=/tls/tls.key", "--ssl-ca=/tls/ca.crt", "--require-secure-transport=ON"]);
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
      assert.deepEqual(env.MYSQL_ROOT_PASSWORD.valueFrom.secretKeyRef, { name: "svc-mysql", key: "root-password" });
      assert.deepEqual(env.MYSQL_PASSWORD.valueFrom.secretKeyRef, { name: "svc-mysql", key: "password" });
      const stringData = plain<any>(run.get("kubernetes:core/v1:Secret", "svc-mysql").inputs.stringData);
      assert.notEqual(stringData["root-password"], stringData.password);
    });
  });

  describe("Redis specifics", () => {
    it("refuses to run without AUTH unless the consumer's reason is given, and records it", async () => {
      await assert.rejects(store("redis", "single", { auth: false }), /authExemptReason undefined — why the consumer cannot authenticate/);
      const { run, endpoint } = await store("redis", "single", { auth: false, authExemptReason: "RSTUF's Redis client has no AUTH (upstream issue)" });
      assert.equal(endpoint.password, undefined);
      assert.match(sts(run, "redis").metadata.annotations["trust-services.io/auth-exempt-reason"], /RSTUF/);
      assert.match(plain<any>(run.get("kubernetes:core/v1:Secret", "svc-redis").inputs.stringData)["redis.conf"], /protected-mode no/);
    });
  });

  describe("run by the real servers", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stores-"));
    let certs: { ca: string; cert: string; key: string };
    before(() => {
      certs = certificates(dir);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** The rendered redis.conf, with the pod's paths pointed at this machine's. */
    async function redisConf(tls?: DataStoreTlsArgs): Promise<{ conf: string; password: string; probe: string[] }> {
      const { run, endpoint } = await store("redis", "single", tls ? { tls } : {});
      const conf = plain<any>(run.get("kubernetes:core/v1:Secret", "svc-redis").inputs.stringData)["redis.conf"] as string;
      const probe = sts(run, "redis").spec.template.spec.containers[0].readinessProbe.exec.command as string[];
      return { conf, password: String(endpoint.password), probe };
    }

    async function runRedis(conf: string, port: number): Promise<ChildProcess> {
      const data = fs.mkdtempSync(path.join(dir, "redis-"));
      const file = path.join(data, "redis.conf");
      fs.writeFileSync(file, conf.replace("dir /data", `dir ${data}`).replace(/port 6379/g, `port ${port}`).replace(/\/tls\//g, `${dir}/`));
      return spawn("redis-server", [file], { stdio: "ignore" });
    }

    const cli = (args: string[], env: Record<string, string> = {}) => spawnSync("redis-cli", args, { encoding: "utf8", env: { ...process.env, ...env } });

    it("redis-server takes the generated redis.conf: AUTH required, append-only persistence on", async () => {
      const { conf, password, probe } = await redisConf();
      const port = await freePort();
      const server = await runRedis(conf, port);
      try {
        const withPort = (cmd: string[]) => cmd.map((a) => (a === "6379" ? String(port) : a));
        await until(() => cli(withPort(probe).slice(1), { REDISCLI_AUTH: password }).status === 0, "redis-server");
        assert.notEqual(cli(withPort(probe).slice(1)).status, 0, "the readiness probe fails without the password (NOAUTH counts)");
        assert.equal(cli(withPort(probe).slice(1), { REDISCLI_AUTH: password }).stdout.trim(), "PONG");
        const aof = cli(["-h", "127.0.0.1", "-p", String(port), "config", "get", "appendonly"], { REDISCLI_AUTH: password });
        assert.equal(aof.stdout.trim().split("\n").pop(), "yes");
        const fsync = cli(["-h", "127.0.0.1", "-p", String(port), "config", "get", "appendfsync"], { REDISCLI_AUTH: password });
        assert.equal(fsync.stdout.trim().split("\n").pop(), "everysec");
      } finally {
        await stop(server);
      }
    });

    it("with a certificate, redis-server speaks only TLS", async () => {
      const { conf, password } = await redisConf({ certificate: certs.cert, privateKey: certs.key, caCertificate: certs.ca });
      assert.match(conf, /^port 0$/m);
      const port = await freePort();
      const server = await runRedis(conf, port);
      try {
        const tlsArgs = ["--tls", "--cacert", path.join(dir, "ca.crt"), "-h", "127.0.0.1", "-p", String(port), "-e", "ping"];
        await until(() => cli(tlsArgs, { REDISCLI_AUTH: password }).status === 0, "redis-server (TLS)");
        assert.equal(cli(tlsArgs, { REDISCLI_AUTH: password }).stdout.trim(), "PONG", "a TLS client that verifies the CA gets in");
        assert.notEqual(cli(["-h", "127.0.0.1", "-p", String(port), "-e", "ping"], { REDISCLI_AUTH: password }).status, 0, "a plain client does not");
      } finally {
        await stop(server);
      }
    });

    it("PostgreSQL takes the generated TLS arguments and pg_hba: TLS connections only, and the key file mode the pod gets", async () => {
      const tls = { certificate: certs.cert, privateKey: certs.key, caCertificate: certs.ca };
      const { run } = await store("postgres", "single", { tls });
      const s = sts(run, "postgres");
      const c = s.spec.template.spec.containers[0];
      const tlsVolume = s.spec.template.spec.volumes.find((v: any) => v.name === "tls");
      assert.equal(tlsVolume.secret.defaultMode, 0o640, "0640 and, by fsGroup, owned by the server's group: PostgreSQL accepts a root-owned key no looser");
      const hba = plain<any>(run.get("kubernetes:core/v1:ConfigMap", "svc-postgres-config").inputs).data["pg_hba.conf"];
      assert.equal(hba, PG_HBA_TLS);

      const { pg, pgDir } = await startTlsPostgres(c.args, certs, hba);
      try {
        const q = (sslmode: string) => pg.client(["-tAc", "select ssl from pg_stat_ssl where pid = pg_backend_pid()"], { PGUSER: pg.master.user, PGPASSWORD: pg.master.password, PGDATABASE: "postgres", PGSSLMODE: sslmode, PGSSLROOTCERT: path.join(pgDir, "ca.crt") });
        const verified = q("verify-full");
        assert.equal(verified.status, 0, verified.stderr);
        assert.equal(verified.stdout.trim(), "t", "verify-full against the CA works and is encrypted");
        const plainConn = q("disable");
        assert.notEqual(plainConn.status, 0, "a connection without TLS is refused");
        assert.match(plainConn.stderr, /no encryption|pg_hba\.conf rejects/);
      } finally {
        await pg.stop();
        fs.rmSync(pgDir, { recursive: true, force: true });
      }
    });

    it("PostgreSQL with client certificates: a client needs both the password and a certificate of the CA naming its role", async () => {
      const tls = { certificate: certs.cert, privateKey: certs.key, caCertificate: certs.ca, clientCertificates: true };
      const { run } = await store("postgres", "single", { tls });
      const c = sts(run, "postgres").spec.template.spec.containers[0];
      const hba = plain<any>(run.get("kubernetes:core/v1:ConfigMap", "svc-postgres-config").inputs).data["pg_hba.conf"];
      assert.equal(hba, PG_HBA_CLIENT_CERT);
      assert.ok(c.args.includes("ssl_ca_file=/tls/ca.crt"));
      // Started on the password-only TLS rules (the test server's setup logs in without a certificate),
      // then switched to the generated ones and reloaded.
      const { pg, pgDir } = await startTlsPostgres(c.args, certs, PG_HBA_TLS);
      try {
        fs.writeFileSync(path.join(pgDir, "pg_hba.conf"), hba);
        const reload = pg.client(["-tAc", "select pg_reload_conf()"], { PGUSER: "postgres", PGPASSWORD: "superpassword", PGDATABASE: "postgres", PGSSLMODE: "require" });
        assert.equal(reload.status, 0, reload.stderr);
        await new Promise((r) => setTimeout(r, 300));
        const master = clientCertificate(dir, pg.master.user);
        const other = clientCertificate(dir, "someone");
        const base = { PGUSER: pg.master.user, PGPASSWORD: pg.master.password, PGDATABASE: "postgres", PGSSLMODE: "verify-full", PGSSLROOTCERT: path.join(pgDir, "ca.crt") };
        const q = (extra: Record<string, string>) => pg.client(["-tAc", "select client_dn from pg_stat_ssl where pid = pg_backend_pid()"], { ...base, ...extra });
        const ok = q({ PGSSLCERT: master.cert, PGSSLKEY: master.key });
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, new RegExp(`CN=${pg.master.user}`), "connected with its certificate");
        const none = q({ PGSSLCERT: path.join(dir, "missing.crt"), PGSSLKEY: path.join(dir, "missing.key") });
        assert.notEqual(none.status, 0, "without a certificate: refused");
        const wrong = q({ PGSSLCERT: other.cert, PGSSLKEY: other.key });
        assert.notEqual(wrong.status, 0, "with another role's certificate: refused");
        const badPassword = q({ PGSSLCERT: master.cert, PGSSLKEY: master.key, PGPASSWORD: "wrong" });
        assert.notEqual(badPassword.status, 0, "the certificate does not replace the password");
      } finally {
        await pg.stop();
        fs.rmSync(pgDir, { recursive: true, force: true });
      }
    });
  });
});
