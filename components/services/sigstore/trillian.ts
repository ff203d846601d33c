/**
 * Trillian, the Merkle-tree log under Rekor and the CT log (upstream/sigstore.md
 * §3.1, trillian v1.7.3):
 *
 * - the schema, made by scaffolding's `createdb` (it creates what is missing,
 *   so a re-run does nothing), before any server starts;
 * - the log servers, behind a headless Service: Rekor and ct_server dial
 *   `dns:///` and balance over every pod (a ClusterIP would pin one);
 * - the log signers, with Kubernetes Lease election (one Lease per tree; a
 *   Role on leases for their own ServiceAccount), never `--force_master`;
 * - one tree each for Rekor and the CT log, made by scaffolding's `createtree`
 *   once the servers and a signer are up: it records the tree id in a
 *   ConfigMap, and does nothing when the id is there, so a re-run never makes a
 *   second tree. Once recorded in settings (`sigstore.trees`), Pulumi writes
 *   the ids itself, so a rebuilt cluster on the same database serves the same logs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { apiAccess } from "../../kubernetes/access";
import { credentialsSecret, DataEndpoint, egressTo } from "../../kubernetes/datastore";
import { kubernetesApi, TrafficRuleArgs } from "../../kubernetes/network";
import { Task } from "../../kubernetes/task";
import { EnvVarArgs, MountArgs, rolloutOf, VolumeArgs, Workload } from "../../kubernetes/workload";
import { JOB_RESOURCES, NONROOT_UID, RoleContext, SIGSTORE_PORTS } from "./context";

/**
 * Leader election timings (the operator's): a candidate retries every 5 s and a
 * leader's Lease lasts 15 s, so a dead leader's trees are signed again within
 * about 20 s; a leader that stops cleanly resigns, and another takes over within one retry.
 */
export const ELECTION = { holdInterval: "5s", holdJitter: "15s" };

export interface TrillianArgs {
  database: DataEndpoint;
  images: { logServer: string; logSigner: string; createdb: string; createtree: string };
  /** The roles that dial the log servers (their ingress rule). */
  logClients: string[];
  /** Tree ids already made (recorded in settings): Pulumi writes them, and no createtree Job runs for them. */
  treeIds?: { rekor?: string; ctlog?: string };
}

export interface Trillian {
  /** `dns:///<headless service>:<grpc port>`: what Rekor and ct_server dial. */
  grpcTarget: pulumi.Output<string>;
  /** The headless Service's DNS name. */
  host: pulumi.Output<string>;
  /** ConfigMaps holding each tree's id (key `treeID`), by tree. */
  treeConfigMaps: { rekor: string; ctlog: string };
  /** What a tree's readers wait for: its createtree Job, or its ConfigMap when the id is given. */
  treeReady: { rekor: pulumi.Resource; ctlog: pulumi.Resource };
}

const TREE_KEY = "treeID";

/** The flag file of the log servers and signers. */
export const TRILLIAN_FLAGS_FILE = "mysql.flags";
/** Its one flag: the DSN, with the variables Trillian expands from its environment. */
export const TRILLIAN_MYSQL_FLAGS = "'--mysql_uri=${MYSQL_USER}:${MYSQL_PASSWORD}@tcp(${MYSQL_HOST}:${MYSQL_PORT})/${MYSQL_DATABASE}'\n";
export { TREE_KEY };

export function trillian(c: RoleContext, a: TrillianArgs): Trillian {
  const child = { parent: c.parent };
  const db = a.database;
  const dbSecret = credentialsSecret(`${c.name}-trillian-database`, db, { namespace: c.namespace, labels: c.labelsOf("credentials"), passwordKey: "password", caKey: "ca.crt" }, child);
  // The DSN is assembled by the kubelet from these ($(VAR) in args): the password stays in the Secret.
  const dbEnv: EnvVarArgs[] = [
    { name: "MYSQL_USER", value: db.user ?? "trillian" },
    { name: "MYSQL_PASSWORD", secretName: dbSecret.metadata.name, secretKey: "password" },
    { name: "MYSQL_HOST", value: db.host },
    { name: "MYSQL_PORT", value: pulumi.output(db.port).apply(String) },
    { name: "MYSQL_DATABASE", value: db.database ?? "trillian" },
  ];
  const tlsCa = db.caCertificate !== undefined;
  const dbMounts: MountArgs[] = tlsCa ? [{ volume: "database-ca", path: "/run/secrets/database", readOnly: true }] : [];
  const dbVolumes: VolumeArgs[] = tlsCa ? [{ name: "database-ca", secretName: dbSecret.metadata.name, items: [{ key: "ca.crt", path: "ca.crt" }] }] : [];
  // The servers read the DSN from a flag file (`--config`), whose ${VAR}s they expand from their own
  // environment (trillian cmd/flags.go): the password stays out of their command line. Trillian adds
  // `?tls=custom` with the CA and name below, so the URI itself carries no query string.
  const flags = new k8s.core.v1.ConfigMap(
    `${c.name}-trillian-flags`,
    {
      metadata: { name: `${c.name}-trillian-flags`, namespace: c.namespace, labels: c.labelsOf("trillian") },
      data: { [TRILLIAN_FLAGS_FILE]: TRILLIAN_MYSQL_FLAGS },
    },
    child,
  );
  dbMounts.push({ volume: "trillian-flags", path: "/etc/trillian", readOnly: true });
  dbVolumes.push({ name: "trillian-flags", configMapName: flags.metadata.name });
  const dbArgs: pulumi.Input<string>[] = [
    "--storage_system=mysql",
    "--quota_system=mysql",
    `--config=/etc/trillian/${TRILLIAN_FLAGS_FILE}`,
    "--mysql_max_conns=30",
    "--mysql_max_idle_conns=10",
    ...(tlsCa ? ["--mysql_tls_ca=/run/secrets/database/ca.crt", pulumi.interpolate`--mysql_server_name=${db.host}`] : []),
  ];
  const listen = [`--rpc_endpoint=0.0.0.0:${SIGSTORE_PORTS.trillianGrpc}`, `--http_endpoint=0.0.0.0:${SIGSTORE_PORTS.trillianHttp}`, "--alsologtostderr"];
  const toDb = egressTo(db);
  const security = { runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID };
  const probes = {
    // /healthz pings the database: ready only with it. Alive means the process answers on its port, so a
    // database failover (an RDS Multi-AZ switch takes a minute or two) takes pods out of service, not restarts them.
    startup: { httpPath: "/healthz", port: SIGSTORE_PORTS.trillianHttp, periodSeconds: 5, failureThreshold: 60 },
    liveness: { tcp: true, port: SIGSTORE_PORTS.trillianHttp, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
    readiness: { httpPath: "/healthz", port: SIGSTORE_PORTS.trillianHttp, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2 },
  };

  // --- The schema: createdb builds `<uri>/<db_name>`, so TLS goes in as a DSN parameter on the name;
  // the Go TLS client then verifies the server against the CA given as its system roots.
  const schema = new Task(
    `${c.name}-trillian-schema`,
    {
      ...c.common,
      component: "trillian-schema",
      container: {
        name: "createdb",
        image: a.images.createdb,
        args: [
          "--mysql_uri=$(MYSQL_USER):$(MYSQL_PASSWORD)@tcp($(MYSQL_HOST):$(MYSQL_PORT))",
          pulumi.interpolate`--db_name=${db.database ?? "trillian"}${tlsCa ? "?tls=true" : ""}`,
        ],
        env: [...dbEnv, ...(tlsCa ? [{ name: "SSL_CERT_FILE", value: "/run/secrets/database/ca.crt" }] : [])],
        resources: JOB_RESOURCES,
        mounts: dbMounts,
        security,
      },
      volumes: dbVolumes,
      allowTo: [toDb],
    },
    child,
  );

  // --- The log servers (headless: clients balance over every pod).
  const logServer = new Workload(
    `${c.name}-trillian-logserver`,
    {
      ...c.common,
      component: "trillian-logserver",
      replicas: c.replicas("trillianLogServer"),
      antiAffinity: c.antiAffinity,
      container: {
        name: "logserver",
        image: a.images.logServer,
        args: [...dbArgs, ...listen],
        env: dbEnv,
        ports: [
          { name: "grpc", port: SIGSTORE_PORTS.trillianGrpc, appProtocol: "grpc" },
          { name: "http", port: SIGSTORE_PORTS.trillianHttp },
        ],
        probes,
        resources: c.resources("trillianLogServer"),
        mounts: dbMounts,
        security,
      },
      volumes: dbVolumes,
      services: [{ name: `${c.name}-trillian-logserver`, headless: true, ports: ["grpc", "http"] }],
      allowFrom: [{ peers: [...a.logClients.map((r) => c.peer(r)), c.peer("createtree")], ports: [SIGSTORE_PORTS.trillianGrpc] }],
      allowTo: [toDb],
    },
    { parent: c.parent, dependsOn: [schema] },
  );
  const grpcTarget = pulumi.interpolate`dns:///${logServer.host}:${SIGSTORE_PORTS.trillianGrpc}`;

  // --- The log signers: Lease election, from their own ServiceAccount.
  const signerAccount = apiAccess(
    `${c.name}-trillian-logsigner`,
    {
      namespace: c.namespace,
      name: `${c.name}-trillian-logsigner`,
      labels: c.labelsOf("trillian-logsigner"),
      // The election gets, creates, updates and watches the Lease of each tree (trillian util/election2/k8s).
      rules: [{ apiGroup: "coordination.k8s.io", resource: "leases", verbs: ["get", "watch", "create", "update"] }],
    },
    child,
  );
  const signer = new Workload(
    `${c.name}-trillian-logsigner`,
    {
      ...c.common,
      component: "trillian-logsigner",
      replicas: c.replicas("trillianLogSigner"),
      antiAffinity: c.antiAffinity,
      serviceAccountName: signerAccount,
      serviceAccountToken: true,
      container: {
        name: "logsigner",
        image: a.images.logSigner,
        args: [
          ...dbArgs,
          ...listen,
          "--election_system=k8s",
          "--lock_namespace=$(POD_NAMESPACE)",
          "--lock_holder_identity=$(POD_NAME)",
          `--master_hold_interval=${ELECTION.holdInterval}`,
          `--master_hold_jitter=${ELECTION.holdJitter}`,
        ],
        env: [...dbEnv, { name: "POD_NAME", fieldPath: "metadata.name" }, { name: "POD_NAMESPACE", fieldPath: "metadata.namespace" }],
        ports: [{ name: "http", port: SIGSTORE_PORTS.trillianHttp }],
        probes,
        resources: c.resources("trillianLogSigner"),
        mounts: dbMounts,
        security,
      },
      volumes: dbVolumes,
      // No Service: the signers only pull from the database; their HTTP port is health and metrics.
      services: [],
      allowTo: [toDb, kubernetesApi()],
    },
    { parent: c.parent, dependsOn: [schema] },
  );

  // --- The trees: a ConfigMap each, which createtree fills with the id once, or Pulumi with a recorded id.
  const treeConfigMaps = { rekor: `${c.name}-rekor-tree`, ctlog: `${c.name}-ctlog-tree` };
  const given = a.treeIds ?? {};
  const treeMaps = Object.fromEntries(
    (["rekor", "ctlog"] as const).map((tree) => {
      const id = given[tree];
      // The same object whether or not the id is recorded (a change of a ConfigMap's data would replace
      // it, and a protected one cannot be): createtree writes the id into it, or a patch of Pulumi's does.
      const cm = new k8s.core.v1.ConfigMap(
        treeConfigMaps[tree],
        { metadata: { name: treeConfigMaps[tree], namespace: c.namespace, labels: c.labelsOf(`${tree}-tree`) } },
        { parent: c.parent, ignoreChanges: ["data"], protect: c.production },
      );
      const written = id
        ? new k8s.core.v1.ConfigMapPatch(
            treeConfigMaps[tree],
            {
              metadata: { name: cm.metadata.name, namespace: c.namespace, annotations: { "trust-services.io/written-by": "pulumi (sigstore.trees)" } },
              data: { [TREE_KEY]: id },
            },
            { parent: c.parent },
          )
        : cm;
      return [tree, written];
    }),
  ) as unknown as Record<"rekor" | "ctlog", pulumi.Resource>;
  const missing = (["rekor", "ctlog"] as const).filter((t) => !given[t]);
  const treeAccount = missing.length === 0 ? undefined : apiAccess(
    `${c.name}-createtree`,
    {
      namespace: c.namespace,
      name: `${c.name}-createtree`,
      labels: c.labelsOf("createtree"),
      rules: [{ apiGroup: "", resource: "configmaps", verbs: ["get", "update"], resourceNames: missing.map((t) => treeConfigMaps[t]) }],
    },
    child,
  );
  const toLogServer: TrafficRuleArgs = { peers: [c.peer("trillian-logserver")], ports: [SIGSTORE_PORTS.trillianGrpc] };
  const createTree = (tree: "rekor" | "ctlog") =>
    new Task(
      `${c.name}-${tree}-createtree`,
      {
        ...c.common,
        component: "createtree",
        serviceAccountName: treeAccount,
        serviceAccountToken: true,
        container: {
          name: "createtree",
          image: a.images.createtree,
          args: [
            "--namespace=$(POD_NAMESPACE)",
            `--configmap=${treeConfigMaps[tree]}`,
            grpcTarget.apply((t) => `--admin_server=${t}`),
            // A display name under 20 characters (trillian's limit).
            `--display_name=${tree}-tree`,
            "--tree_state=ACTIVE",
            "--tree_type=LOG",
          ],
          env: [{ name: "POD_NAMESPACE", fieldPath: "metadata.namespace" }],
          resources: JOB_RESOURCES,
          security,
        },
        allowTo: [toLogServer, kubernetesApi()],
      },
      // Once the servers serve and a signer holds the election: the tree's first root is then integrated at once.
      { parent: c.parent, dependsOn: [rolloutOf(logServer), rolloutOf(signer)] },
    );
  return {
    grpcTarget,
    host: logServer.host,
    treeConfigMaps,
    treeReady: {
      rekor: given.rekor ? treeMaps.rekor : createTree("rekor"),
      ctlog: given.ctlog ? treeMaps.ctlog : createTree("ctlog"),
    },
  };
}
