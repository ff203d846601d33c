/**
 * In-cluster data stores for the `single` topology (PostgreSQL, MySQL 8, Redis),
 * and the endpoint every data service hands its consumer, the same shape
 * whether the store runs here, on RDS / ElastiCache, or somewhere given.
 *
 * Each store is one StatefulSet from the kit's Workload: a pinned official
 * image run as its own non-root user under `restricted`, its data on a claim
 * (a subdirectory, so the volume's lost+found never meets initdb), a generated
 * password in a Secret, probes, requests and limits, a NetworkPolicy that admits
 * only the client pods the service names, and optionally TLS with a
 * certificate the caller provides. Image facts: shared/upstream (rstuf.md,
 * sigstore.md, pulp.md) and the docker-library entrypoints.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { argError, SQL_IDENTIFIER, SQL_IDENTIFIER_RULE } from "../checks";
import { appLabels } from "./labels";
import { PeerArgs, TrafficRuleArgs } from "./network";
import { MountArgs, ResourcesArgs, SchedulingArgs, VolumeArgs, Workload } from "./workload";

/**
 * How a service reaches a database or cache. A service component reads only
 * this, never where the store runs.
 */
export interface DataEndpoint {
  /** "postgres", "mysql" or "redis". */
  engine: string;
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** Database name (PostgreSQL, MySQL). */
  database?: pulumi.Input<string>;
  /** User the service connects as (PostgreSQL, MySQL). */
  user?: pulumi.Input<string>;
  /**
   * Password (secret); absent for a Redis without AUTH. A consumer puts it into a
   * Secret of its own namespace with `credentialsSecret`, whose name and key its pods use.
   */
  password?: pulumi.Input<string>;
  /** Connections are encrypted (and, where the server enforces it, must be). @default false */
  tls?: boolean;
  /** PEM of the CA that signed the server certificate, when TLS is on and the CA is known. */
  caCertificate?: pulumi.Input<string>;
  /** The client's certificate (PEM), when the server requires one (its CN is the user). */
  clientCertificate?: pulumi.Input<string>;
  /** Its key (PEM, secret). */
  clientKey?: pulumi.Input<string>;
  /** "in-cluster", "managed" or "given": for outputs and runbooks, not for code paths. @default "given" */
  location?: string;
  /** In-cluster: the store's namespace and pod labels (for NetworkPolicies). */
  namespace?: pulumi.Input<string>;
  podLabels?: Record<string, string>;
  /** Outside the cluster: the ranges the store's address lies in (for NetworkPolicies). */
  cidrs?: pulumi.Input<string>[];
}

export interface CredentialsSecretArgs {
  /** The consumer's namespace (where its pods can mount the Secret). */
  namespace: pulumi.Input<string>;
  labels?: Record<string, string>;
  /** Key of the password. @default "password" */
  passwordKey?: string;
  /** Key of the CA certificate (PEM), when the endpoint has one. @default "ca.crt" */
  caKey?: string;
  /** Put the endpoint's CA in (a consumer that reads every key as an environment variable says false). @default true */
  ca?: boolean;
  /** Further entries made from the endpoint by the consumer (a DSN, a properties file), secret. */
  extra?: Record<string, pulumi.Input<string>>;
}

/**
 * An endpoint's credentials as a Secret in the consumer's own namespace: the one
 * place its pods read them from (`secretKeyRef`, `envFrom`, a volume), whether
 * the store runs in the cluster, on RDS / ElastiCache, or elsewhere.
 */
export function credentialsSecret(name: string, e: DataEndpoint, args: CredentialsSecretArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
  const data: Record<string, pulumi.Input<string>> = { ...(args.extra ?? {}) };
  if (e.password !== undefined) data[args.passwordKey ?? "password"] = pulumi.secret(e.password);
  if (e.caCertificate !== undefined && args.ca !== false) data[args.caKey ?? "ca.crt"] = e.caCertificate;
  return new k8s.core.v1.Secret(name, { metadata: { name, namespace: args.namespace, labels: args.labels }, type: "Opaque", stringData: data }, opts);
}

/** The egress rule a client pod needs to reach an endpoint. */
export function egressTo(e: DataEndpoint): TrafficRuleArgs {
  const peer: PeerArgs = e.podLabels ? { namespace: e.namespace, podLabels: e.podLabels } : { cidrs: e.cidrs ?? ["0.0.0.0/0"] };
  return { peers: [peer], ports: [e.port] };
}

/** A certificate the caller provides for a store's server side (PEM, secret). */
export interface DataStoreTlsArgs {
  certificate: pulumi.Input<string>;
  privateKey: pulumi.Input<string>;
  /** The CA that signed `certificate` (handed to clients in the endpoint). */
  caCertificate?: pulumi.Input<string>;
  /**
   * Clients authenticate with a certificate from that CA too, whose common name is
   * their user (PostgreSQL: `clientcert=verify-full`), besides their password.
   * @default false
   */
  clientCertificates?: boolean;
}

export interface DataStoreArgs {
  namespace: pulumi.Input<string>;
  /** `app.kubernetes.io/instance` of the store's pods (the service it belongs to). */
  instance: string;
  /** Topology of the namespace. @default "single" */
  topology?: string;
  /** Pinned image. @default the engine's pinned official image */
  image?: string;
  /** @default "10Gi" */
  storageSize?: string;
  /** @default the cluster's default class */
  storageClass?: pulumi.Input<string>;
  /** @default per engine (see each component) */
  resources?: ResourcesArgs;
  /** Database to create (PostgreSQL, MySQL). @default the instance name */
  database?: string;
  /** User to create (PostgreSQL, MySQL). @default the instance name */
  user?: string;
  /** Password (secret). @default generated */
  password?: pulumi.Input<string>;
  /** The pods admitted to the store's port. */
  clients: PeerArgs[];
  /** Serve TLS with this certificate (and, where the engine can, refuse plain connections). */
  tls?: DataStoreTlsArgs;
  /** Keep the claim (and its namespace's data) when the stack is destroyed. @default false */
  production?: boolean;
  scheduling?: SchedulingArgs;
}

interface EngineSpec {
  engine: string;
  image: string;
  port: number;
  uid: number;
  gid: number;
  fsGroup: number;
  resources: ResourcesArgs;
  dataPath: string;
}

export const STORE_IMAGES = {
  // docker-library/official-images library/postgres (17 is RSTUF's major; alpine runs as uid 70).
  postgres: "postgres:17.11-alpine3.24",
  // library/mysql: 8.4 LTS, Trillian's upstream db_server base.
  mysql: "mysql:8.4.11",
  // library/redis: 7.2 is the newest BSD-licensed line still maintained (8.x is AGPL/RSAL/SSPL).
  redis: "redis:7.2.16-alpine3.21",
};

const ENGINES: Record<string, EngineSpec> = {
  postgres: {
    engine: "postgres",
    image: STORE_IMAGES.postgres,
    port: 5432,
    uid: 70,
    gid: 70,
    fsGroup: 70,
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    dataPath: "/var/lib/postgresql/data",
  },
  mysql: {
    engine: "mysql",
    image: STORE_IMAGES.mysql,
    port: 3306,
    uid: 999,
    gid: 999,
    fsGroup: 999,
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } },
    dataPath: "/var/lib/mysql",
  },
  redis: {
    engine: "redis",
    image: STORE_IMAGES.redis,
    port: 6379,
    uid: 999,
    gid: 1000,
    fsGroup: 1000,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    dataPath: "/data",
  },
};

const SINGLE_REPLICA = "an in-cluster store is one server without replication, for topology single; external-db and ha use RDS and ElastiCache";

interface EngineRender {
  env: { name: string; value?: pulumi.Input<string>; secretKey?: string }[];
  args: pulumi.Input<string>[];
  probe: string[];
  mounts: MountArgs[];
  /** Extra volumes; a `configMapName` or `secretName` of "" means the store's own ConfigMap or Secret. */
  volumes: VolumeArgs[];
  secretData: Record<string, pulumi.Input<string>>;
  configData?: Record<string, string>;
  /** Clients must authenticate. */
  auth: boolean;
  /** Annotations of the StatefulSet (documented exceptions). */
  annotations?: Record<string, string>;
}

interface RenderContext {
  name: string;
  database: string;
  user: string;
  password: pulumi.Output<string>;
  tls?: DataStoreTlsArgs;
  child: pulumi.CustomResourceOptions;
}

/** What the three stores share: password, Secret, workload, endpoint. */
function buildStore(
  parent: pulumi.ComponentResource,
  where: string,
  name: string,
  args: DataStoreArgs,
  spec: EngineSpec,
  render: (c: RenderContext) => EngineRender,
): DataEndpoint {
  const engine = spec.engine;
  const database = args.database ?? args.instance.replace(/-/g, "_");
  const user = args.user ?? args.instance.replace(/-/g, "_");
  if (engine !== "redis") {
    if (!SQL_IDENTIFIER.test(database)) argError(where, "database", database, SQL_IDENTIFIER_RULE);
    if (!SQL_IDENTIFIER.test(user)) argError(where, "user", user, SQL_IDENTIFIER_RULE);
  }
  if (args.clients.length === 0) argError(where, "clients", [], "at least one client peer (the store admits no one else)");
  const child = { parent };
  const password = pulumi.secret(args.password ?? new random.RandomPassword(`${name}-password`, { length: 32, special: false }, child).result);
  const identity = { name: engine, instance: args.instance, component: name };
  const r = render({ name, database, user, password, tls: args.tls, child });

  const secret = new k8s.core.v1.Secret(
    name,
    {
      metadata: { name, namespace: args.namespace, labels: appLabels(identity) },
      type: "Opaque",
      stringData: {
        password,
        ...(args.tls
          ? { "tls.crt": args.tls.certificate, "tls.key": pulumi.secret(args.tls.privateKey), ...(args.tls.caCertificate ? { "ca.crt": args.tls.caCertificate } : {}) }
          : {}),
        ...r.secretData,
      },
    },
    child,
  );
  const config = r.configData
    ? new k8s.core.v1.ConfigMap(`${name}-config`, { metadata: { name: `${name}-config`, namespace: args.namespace, labels: appLabels(identity) }, data: r.configData }, child)
    : undefined;
  const ownVolume = (v: VolumeArgs): VolumeArgs =>
    v.configMapName === "" ? { ...v, configMapName: config!.metadata.name } : v.secretName === "" ? { ...v, secretName: secret.metadata.name } : v;
  const tlsItems = [{ key: "tls.crt", path: "tls.crt" }, { key: "tls.key", path: "tls.key" }, ...(args.tls?.caCertificate ? [{ key: "ca.crt", path: "ca.crt" }] : [])];

  const workload = new Workload(
    name,
    {
      namespace: args.namespace,
      topology: args.topology ?? "single",
      app: engine,
      instance: args.instance,
      component: name,
      kind: "StatefulSet",
      replicas: 1,
      singleReplicaReason: SINGLE_REPLICA,
      fsGroup: spec.fsGroup,
      // The server reads its certificate only at start: a renewed one (pulumi up in its last 30 days) rolls the pod.
      podAnnotations: args.tls
        ? { "trust-services.io/tls-digest": pulumi.unsecret(pulumi.output(args.tls.certificate).apply((c) => crypto.createHash("sha256").update(c).digest("hex").slice(0, 16))) }
        : undefined,
      container: {
        name: engine,
        image: args.image ?? spec.image,
        args: r.args.length ? r.args : undefined,
        env: r.env.map((e) => (e.secretKey ? { name: e.name, secretName: secret.metadata.name, secretKey: e.secretKey } : { name: e.name, value: e.value })),
        ports: [{ name: engine, port: spec.port }],
        probes: {
          startup: { command: r.probe, periodSeconds: 5, failureThreshold: 60, timeoutSeconds: 5 },
          liveness: { command: r.probe, periodSeconds: 15, failureThreshold: 4, timeoutSeconds: 5 },
          readiness: { command: r.probe, periodSeconds: 10, failureThreshold: 1, timeoutSeconds: 5 },
        },
        resources: args.resources ?? spec.resources,
        mounts: [{ volume: "data", path: spec.dataPath }, ...r.mounts, ...(args.tls ? [{ volume: "tls", path: "/tls", readOnly: true }] : [])],
        security: { runAsUser: spec.uid, runAsGroup: spec.gid },
      },
      volumes: [
        { name: "data", claim: { size: args.storageSize ?? "10Gi", storageClass: args.storageClass } },
        ...r.volumes.map(ownVolume),
        // 0640 and, through fsGroup, group-owned by the server's group: PostgreSQL accepts no looser key file.
        ...(args.tls ? [{ name: "tls", secretName: secret.metadata.name, items: tlsItems, defaultMode: 0o640 }] : []),
      ],
      services: [{ name }],
      annotations: r.annotations,
      allowFrom: [{ peers: args.clients, ports: [spec.port] }],
      scheduling: args.scheduling,
      production: args.production,
      // A database shuts down cleanly (checkpoint, fsync) before it is killed.
      terminationGracePeriodSeconds: 60,
    },
    child,
  );
  return {
    engine,
    host: workload.host,
    port: spec.port,
    database: engine === "redis" ? undefined : database,
    user: engine === "redis" ? undefined : user,
    password: r.auth ? password : undefined,
    tls: args.tls !== undefined,
    caCertificate: args.tls?.caCertificate,
    location: "in-cluster",
    namespace: args.namespace,
    podLabels: workload.selector,
  };
}

/**
 * PostgreSQL in the cluster (official `postgres` alpine image, uid 70). With TLS,
 * a pg_hba that rejects every TCP connection without it.
 */
export class PostgresStore extends pulumi.ComponentResource {
  /** How consumers reach this store. */
  public readonly endpoint: DataEndpoint;

  constructor(name: string, args: DataStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:PostgresStore", name, {}, opts);
    const spec = ENGINES.postgres;
    this.endpoint = buildStore(this, `PostgresStore ${name}`, name, args, spec, (c) => ({
      env: [
        { name: "POSTGRES_USER", value: c.user },
        { name: "POSTGRES_DB", value: c.database },
        { name: "POSTGRES_PASSWORD", secretKey: "password" },
        // A subdirectory of the claim: initdb refuses the volume root (lost+found).
        { name: "PGDATA", value: `${spec.dataPath}/pgdata` },
      ],
      args: c.tls
        ? [
            "-c",
            "ssl=on",
            "-c",
            "ssl_cert_file=/tls/tls.crt",
            "-c",
            "ssl_key_file=/tls/tls.key",
            ...(c.tls.clientCertificates ? ["-c", "ssl_ca_file=/tls/ca.crt"] : []),
            "-c",
            "hba_file=/etc/postgresql/pg_hba.conf",
          ]
        : [],
      // TCP, not the socket: during initialisation only the socket answers.
      probe: ["pg_isready", "-h", "127.0.0.1", "-p", String(spec.port), "-U", c.user, "-d", c.database, "-t", "3"],
      mounts: [
        { volume: "run", path: "/var/run/postgresql" },
        { volume: "tmp", path: "/tmp" },
        ...(c.tls ? [{ volume: "hba", path: "/etc/postgresql", readOnly: true }] : []),
      ],
      volumes: [
        { name: "run", emptyDir: true, sizeLimit: "16Mi" },
        { name: "tmp", emptyDir: true, sizeLimit: "256Mi" },
        ...(c.tls ? [{ name: "hba", configMapName: "" }] : []),
      ],
      secretData: {},
      configData: c.tls ? { "pg_hba.conf": c.tls.clientCertificates ? PG_HBA_CLIENT_CERT : PG_HBA_TLS } : undefined,
      auth: true,
    }));
    this.registerOutputs({ host: this.endpoint.host });
  }
}

/** pg_hba.conf when TLS is on: the socket needs the password, TCP needs TLS and the password. */
export const PG_HBA_TLS = [
  "# TYPE     DATABASE  USER  ADDRESS  METHOD",
  "local      all       all            scram-sha-256",
  "hostssl    all       all   all      scram-sha-256",
  "hostnossl  all       all   all      reject",
  "",
].join("\n");

/**
 * pg_hba.conf when clients must also present a certificate from the store's CA
 * whose common name is their user (`clientcert=verify-full`), besides the password.
 */
export const PG_HBA_CLIENT_CERT = [
  "# TYPE     DATABASE  USER  ADDRESS  METHOD",
  "local      all       all            scram-sha-256",
  "hostssl    all       all   all      scram-sha-256  clientcert=verify-full",
  "hostnossl  all       all   all      reject",
  "",
].join("\n");

/** MySQL 8.4 in the cluster (official `mysql` image, uid 999). With TLS, secure transport is required. */
export class MysqlStore extends pulumi.ComponentResource {
  /** How consumers reach this store. */
  public readonly endpoint: DataEndpoint;

  constructor(name: string, args: DataStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:MysqlStore", name, {}, opts);
    const spec = ENGINES.mysql;
    this.endpoint = buildStore(this, `MysqlStore ${name}`, name, args, spec, (c) => {
      const root = new random.RandomPassword(`${c.name}-root-password`, { length: 32, special: false }, c.child);
      return {
        env: [
          { name: "MYSQL_DATABASE", value: c.database },
          { name: "MYSQL_USER", value: c.user },
          { name: "MYSQL_PASSWORD", secretKey: "password" },
          { name: "MYSQL_ROOT_PASSWORD", secretKey: "root-password" },
        ],
        args: [
          // A subdirectory of the claim: --initialize refuses the volume root (lost+found).
          `--datadir=${spec.dataPath}/data`,
          ...(c.tls ? ["--ssl-cert=/tls/tls.crt", "--ssl-key=/tls/tls.key", ...(c.tls.caCertificate ? ["--ssl-ca=/tls/ca.crt"] : []), "--require-secure-transport=ON"] : []),
        ],
        // Answers once the server accepts TCP connections (the init server listens on the socket only).
        probe: ["mysqladmin", "ping", "-h", "127.0.0.1", "--protocol=TCP", "--connect-timeout=3"],
        mounts: [
          { volume: "run", path: "/var/run/mysqld" },
          { volume: "tmp", path: "/tmp" },
          { volume: "files", path: "/var/lib/mysql-files" },
        ],
        volumes: [
          { name: "run", emptyDir: true, sizeLimit: "16Mi" },
          { name: "tmp", emptyDir: true, sizeLimit: "1Gi" },
          { name: "files", emptyDir: true, sizeLimit: "16Mi" },
        ],
        secretData: { "root-password": pulumi.secret(root.result) },
        auth: true,
      };
    });
    this.registerOutputs({ host: this.endpoint.host });
  }
}

export interface RedisStoreArgs extends DataStoreArgs {
  /** Require a password (AUTH). @default true */
  auth?: boolean;
  /** Why the consumer cannot authenticate (required when auth is false); recorded as an annotation. */
  authExemptReason?: string;
}

/** Annotation that records why an in-cluster Redis takes connections without AUTH. */
export const AUTH_EXEMPT_REASON = "trust-services.io/auth-exempt-reason";

/** The redis.conf of an in-cluster store: persistent (append-only, fsync every second), TLS and AUTH as asked. */
export function redisConfig(port: number, tls: DataStoreTlsArgs | undefined, password: string | undefined): string {
  return [
    "dir /data",
    "appendonly yes",
    "appendfsync everysec",
    ...(tls
      ? ["port 0", `tls-port ${port}`, "tls-cert-file /tls/tls.crt", "tls-key-file /tls/tls.key", ...(tls.caCertificate ? ["tls-ca-cert-file /tls/ca.crt"] : []), "tls-auth-clients no"]
      : [`port ${port}`]),
    ...(password !== undefined ? [`requirepass ${password}`] : ["protected-mode no"]),
    "",
  ].join("\n");
}

/**
 * Redis in the cluster (official `redis` alpine image, uid 999), persistent.
 * Its configuration, with the password, is a file from the Secret: the password
 * is in no argument and no variable of the pod spec.
 */
export class RedisStore extends pulumi.ComponentResource {
  /** How consumers reach this store. */
  public readonly endpoint: DataEndpoint;

  constructor(name: string, args: RedisStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    if (args.auth === false && !args.authExemptReason) argError(`RedisStore ${name}`, "authExemptReason", undefined, "why the consumer cannot authenticate (required with auth false)");
    super("trust-services:index:RedisStore", name, {}, opts);
    const spec = ENGINES.redis;
    const auth = args.auth !== false;
    this.endpoint = buildStore(this, `RedisStore ${name}`, name, args, spec, (c) => ({
      // redis-cli reads the password from REDISCLI_AUTH, never from its arguments.
      env: auth ? [{ name: "REDISCLI_AUTH", secretKey: "password" }] : [],
      args: ["/etc/redis/redis.conf"],
      // -e: NOAUTH and LOADING answers count as failures.
      probe: ["redis-cli", "-e", "-h", "127.0.0.1", "-p", String(spec.port), ...(c.tls ? ["--tls", "--insecure"] : []), "ping"],
      mounts: [{ volume: "config", path: "/etc/redis", readOnly: true }],
      volumes: [{ name: "config", secretName: "", items: [{ key: "redis.conf", path: "redis.conf" }], defaultMode: 0o440 }],
      secretData: { "redis.conf": pulumi.secret(c.password.apply((p) => redisConfig(spec.port, c.tls, auth ? p : undefined))) },
      auth,
      // Only the client pods reach it (NetworkPolicy); the reason is kept where a reviewer reads it.
      annotations: auth ? undefined : { [AUTH_EXEMPT_REASON]: args.authExemptReason! },
    }));
    this.registerOutputs({ host: this.endpoint.host });
  }
}
