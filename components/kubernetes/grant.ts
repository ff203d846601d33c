/**
 * One service's share of a shared database instance: its own database and its
 * own role with its own generated password, created inside the cluster by an
 * idempotent Job that holds the instance's master credentials. The service's
 * pods get only the endpoint with their own role; the master password stays in
 * the Job's Secret, in the data namespace.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { argError, SQL_IDENTIFIER, SQL_IDENTIFIER_RULE } from "../checks";
import { DataEndpoint, STORE_IMAGES } from "./datastore";
import { appLabels } from "./labels";
import { Task } from "./task";
import { SchedulingArgs } from "./workload";

export interface DatabaseGrantArgs {
  /** Namespace of the Job and its Secret. */
  namespace: pulumi.Input<string>;
  /** `app.kubernetes.io/instance` (the service the database is for). */
  instance: string;
  /** "postgres" or "mysql". */
  engine: string;
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  masterUser: pulumi.Input<string>;
  /** Master password of the instance (secret). */
  masterPassword: pulumi.Input<string>;
  /** Database to create (a lowercase SQL identifier). */
  database: string;
  /** Role to create (a lowercase SQL identifier). */
  user: string;
  /** Connect with TLS (the managed instances require it). @default true */
  tls?: boolean;
  /** Ranges the instance's address lies in (the Job's egress rule). @default ["0.0.0.0/0"] */
  cidrs?: pulumi.Input<string>[];
  /** Client image (psql or mysql). @default the in-cluster store's image of the engine */
  image?: string;
  /** Where the Job may run. */
  scheduling?: SchedulingArgs;
}

/** Options beyond the component options. */
export interface DatabaseGrantOptions extends pulumi.ComponentResourceOptions {
  /** What must exist before the Job can connect (the instance and the rule that admits the cluster). */
  instance?: pulumi.Resource;
}


/**
 * PostgreSQL: runs as the master user with `psql -f`; names and the password come
 * from the environment (`\getenv`), quoted by psql, never from arguments.
 * Re-running changes nothing but the role's password (set again to the one given).
 * The password reaches the server in the ALTER ROLE statement: a server that logs
 * DDL (`log_statement = ddl` or `all`; RDS's default is `none`) would log it.
 */
export const POSTGRES_GRANT_SQL = [
  "\\set ON_ERROR_STOP on",
  "\\getenv svc_db SVC_DATABASE",
  "\\getenv svc_user SVC_USER",
  "\\getenv svc_password SVC_PASSWORD",
  "SELECT format('CREATE ROLE %I LOGIN', :'svc_user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'svc_user') \\gexec",
  "ALTER ROLE :\"svc_user\" WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD :'svc_password';",
  // On RDS the master is no superuser: it must hold the role to hand it a database (PostgreSQL 16+).
  "SELECT format('GRANT %I TO %I', :'svc_user', current_user) WHERE NOT pg_has_role(current_user, :'svc_user', 'MEMBER') \\gexec",
  "SELECT format('CREATE DATABASE %I OWNER %I', :'svc_db', :'svc_user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'svc_db') \\gexec",
  "ALTER DATABASE :\"svc_db\" OWNER TO :\"svc_user\";",
  // Other roles on the instance (other services) cannot even connect.
  "REVOKE ALL ON DATABASE :\"svc_db\" FROM PUBLIC;",
  "GRANT ALL ON DATABASE :\"svc_db\" TO :\"svc_user\";",
  "",
].join("\n");

/**
 * MySQL: the master credentials go into a client options file in /tmp, the SQL
 * into mysql's standard input (printf is a shell builtin: nothing in argv).
 * In the options file the password is double-quoted: unquoted, a `#` in it
 * (RDS master passwords may hold one) would start a comment. Names are checked
 * identifiers; the service's password is generated alphanumeric.
 */
export const MYSQL_GRANT_SCRIPT = [
  "set -eu",
  "umask 077",
  'case "$MASTER_PASSWORD" in *\\"*|*\\\\*) echo "the master password holds a quote or a backslash" >&2; exit 2;; esac',
  'printf "[client]\\nuser=%s\\npassword=\\"%s\\"\\nhost=%s\\nport=%s\\n" "$MASTER_USER" "$MASTER_PASSWORD" "$DB_HOST" "$DB_PORT" > /tmp/client.cnf',
  'if [ "${DB_TLS:-true}" = "true" ]; then printf "ssl-mode=REQUIRED\\n" >> /tmp/client.cnf; fi',
  "printf \"CREATE DATABASE IF NOT EXISTS \\`%s\\`;\\nCREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s';\\nALTER USER '%s'@'%%' IDENTIFIED BY '%s';\\nGRANT ALL PRIVILEGES ON \\`%s\\`.* TO '%s'@'%%';\\n\" " +
    '"$SVC_DATABASE" "$SVC_USER" "$SVC_PASSWORD" "$SVC_USER" "$SVC_PASSWORD" "$SVC_DATABASE" "$SVC_USER" | mysql --defaults-extra-file=/tmp/client.cnf',
  "rm -f /tmp/client.cnf",
  "",
].join("\n");

/** A service's own database and role on a shared instance, created by an idempotent Job. */
export class DatabaseGrant extends pulumi.ComponentResource {
  /** The service's endpoint: the instance, its own database, role and password. */
  public readonly endpoint: DataEndpoint;

  constructor(name: string, args: DatabaseGrantArgs, opts?: DatabaseGrantOptions) {
    const { instance, ...componentOpts } = opts ?? {};
    super("trust-services:index:DatabaseGrant", name, {}, componentOpts);
    const where = `DatabaseGrant ${name}`;
    if (!["postgres", "mysql"].includes(args.engine)) argError(where, "engine", args.engine, "postgres or mysql");
    if (!SQL_IDENTIFIER.test(args.database)) argError(where, "database", args.database, SQL_IDENTIFIER_RULE);
    if (!SQL_IDENTIFIER.test(args.user)) argError(where, "user", args.user, SQL_IDENTIFIER_RULE);
    const tls = args.tls ?? true;
    const postgres = args.engine === "postgres";
    const child = { parent: this };
    const password = pulumi.secret(new random.RandomPassword(`${name}-password`, { length: 32, special: false }, child).result);
    const identity = { name: "database-grant", instance: args.instance, component: name };

    // The service's password, and apart from it the instance's master password (read by this Job only).
    const secret = new k8s.core.v1.Secret(
      name,
      { metadata: { name, namespace: args.namespace, labels: appLabels(identity) }, type: "Opaque", stringData: { password } },
      child,
    );
    const master = new k8s.core.v1.Secret(
      `${name}-master`,
      {
        metadata: { name: `${name}-master`, namespace: args.namespace, labels: appLabels(identity) },
        type: "Opaque",
        stringData: { password: pulumi.secret(args.masterPassword) },
      },
      child,
    );
    const script = postgres
      ? new k8s.core.v1.ConfigMap(`${name}-sql`, { metadata: { name: `${name}-sql`, namespace: args.namespace, labels: appLabels(identity) }, data: { "grant.sql": POSTGRES_GRANT_SQL } }, child)
      : undefined;
    const own = { name: "SVC_PASSWORD", secretName: secret.metadata.name, secretKey: "password" };
    const masterPassword = (envName: string) => ({ name: envName, secretName: master.metadata.name, secretKey: "password" });
    const common = [{ name: "SVC_DATABASE", value: args.database }, { name: "SVC_USER", value: args.user }, own];
    const task = new Task(
      name,
      {
        namespace: args.namespace,
        app: "database-grant",
        instance: args.instance,
        component: name,
        container: {
          name: "grant",
          image: args.image ?? (postgres ? STORE_IMAGES.postgres : STORE_IMAGES.mysql),
          command: postgres ? ["psql", "-X", "-q", "-f", "/sql/grant.sql"] : ["/bin/sh", "-c", MYSQL_GRANT_SCRIPT],
          env: postgres
            ? [
                { name: "PGHOST", value: args.host },
                { name: "PGPORT", value: pulumi.output(args.port).apply(String) },
                { name: "PGUSER", value: args.masterUser },
                masterPassword("PGPASSWORD"),
                { name: "PGDATABASE", value: "postgres" },
                // Encrypted; the server's identity is not verified (the image has no RDS CA bundle).
                { name: "PGSSLMODE", value: tls ? "require" : "prefer" },
                { name: "PGCONNECT_TIMEOUT", value: "10" },
                ...common,
              ]
            : [
                { name: "DB_HOST", value: args.host },
                { name: "DB_PORT", value: pulumi.output(args.port).apply(String) },
                { name: "DB_TLS", value: String(tls) },
                { name: "MASTER_USER", value: args.masterUser },
                masterPassword("MASTER_PASSWORD"),
                ...common,
              ],
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
          mounts: [{ volume: "tmp", path: "/tmp" }, ...(script ? [{ volume: "sql", path: "/sql", readOnly: true }] : [])],
          security: postgres ? { runAsUser: 70, runAsGroup: 70 } : { runAsUser: 999, runAsGroup: 999 },
        },
        volumes: [{ name: "tmp", emptyDir: true, sizeLimit: "16Mi" }, ...(script ? [{ name: "sql", configMapName: script.metadata.name }] : [])],
        allowTo: [{ peers: [{ cidrs: args.cidrs ?? ["0.0.0.0/0"] }], ports: [args.port] }],
        scheduling: args.scheduling,
      },
      // The Job connects once the instance, and the rule that admits the cluster, exist.
      { parent: this, dependsOn: instance ? [instance] : undefined },
    );
    // The names resolve once the Job has run: a service that reads them starts after its grant exists.
    this.endpoint = {
      engine: args.engine,
      host: args.host,
      port: args.port,
      database: task.done.apply(() => args.database),
      user: task.done.apply(() => args.user),
      password,
      tls,
      location: "managed",
      cidrs: args.cidrs,
    };
    this.registerOutputs({ host: this.endpoint.host });
  }
}
