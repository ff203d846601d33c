/**
 * X-Road Security Server Sidecar on Kubernetes, in the three deployment options
 * of the Kubernetes Security Server Sidecar guide (seed 004 §2):
 * - single:      one pod, PostgreSQL inside the container (§2.1);
 * - external-db: one pod, PostgreSQL 16 outside (§2.2);
 * - ha:          a primary and N secondaries behind a Network Load Balancer,
 *                configuration synced over SSH, one external PostgreSQL 16 (§2.3).
 * Image facts, env vars, probes and the traps of the official examples:
 * shared/upstream/xroad.md.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { podIdentityRole } from "../../aws/common";
import { appLabels, AppIdentity, selectorLabels } from "../../kubernetes/labels";
import { ServiceNamespace, SINGLE_REPLICA_REASON, TOPOLOGY_LABEL } from "../../kubernetes/namespace";
import { dataClaim } from "../../kubernetes/storage";

export const XROAD_TOPOLOGIES = ["single", "external-db", "ha"];
export const XROAD_APP = "xroad-security-server";

/** Ports of the Security Server (seed 004 §4.3, upstream/xroad.md §3). */
export const XROAD_PORTS = {
  http: 8080,
  https: 8443,
  admin: 4000,
  messaging: 5500,
  ocsp: 5577,
  health: 5588,
  ssh: 22,
} as const;

export interface XRoadDatabaseArgs {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  /** Superuser that creates X-Road's databases. @default "postgres" */
  user?: string;
  /** Superuser password (secret). */
  password: pulumi.Input<string>;
}

export interface XRoadArchiveArgs {
  /** EKS cluster whose Pod Identity hands the archiver its role. */
  clusterName: pulumi.Input<string>;
  bucketName: pulumi.Input<string>;
  /** KMS key the objects are encrypted with (`--sse aws:kms`). */
  kmsKeyArn: pulumi.Input<string>;
  /** Least-privilege IAM policy JSON for the prefix and key (EncryptedBucket.accessPolicy). */
  accessPolicy: pulumi.Input<string>;
  /** Key prefix the archiver writes under. */
  prefix: string;
  /** Interval between syncs, "30m" or "6h". @default "6h" */
  interval?: string;
  /** Pinned AWS CLI image. @default "amazon/aws-cli:2.27.50" */
  image?: string;
}

export interface XRoadResourcesArgs {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

export interface XRoadSecurityServerArgs {
  /** "single", "external-db" or "ha". */
  topology: string;
  /** Namespace (created). @default "xroad" */
  namespace?: string;
  /** Sidecar version, pinned. @default "7.8.0" */
  version?: string;
  /** "slim" or "full". @default "slim" */
  variant?: string;
  /** Country variant (fi, ee, fo, is). @default none */
  country?: string;
  /** @default "niis/xroad-security-server-sidecar" */
  imageRepository?: string;
  /** Secondaries behind the load balancer (ha). @default 2 */
  secondaries?: number;
  /** @default "xrd" */
  adminUser?: string;
  /** Admin password (secret). @default generated */
  adminPassword?: pulumi.Input<string>;
  /** Software token PIN (secret). @default generated */
  tokenPin?: pulumi.Input<string>;
  /** @default "INFO" */
  logLevel?: string;
  /** @default 2 CPU / 3Gi (slim) or 4Gi (full) requested; 4 CPU and the same memory as limit */
  resources?: XRoadResourcesArgs;
  /** StorageClass of ReadWriteOnce volumes. @default the cluster default */
  storageClass?: pulumi.Input<string>;
  /** StorageClass of ReadWriteMany volumes (sharedConfig). */
  sharedStorageClass?: pulumi.Input<string>;
  /** The ha primary's /etc/xroad on ReadWriteMany storage (EFS). @default false */
  sharedConfig?: boolean;
  /** Host directory for the volumes (local single-node clusters only). @default none */
  hostPath?: string;
  /** @default "2Gi" */
  configSize?: string;
  /** @default "10Gi" */
  dataSize?: string;
  /** @default "10Gi" */
  databaseSize?: string;
  /** External PostgreSQL 16 (external-db, ha). */
  database?: XRoadDatabaseArgs;
  /** Prefix of X-Road's database names (`<prefix>_serverconf`, ...). @default the component name */
  databaseNamePrefix?: string;
  /** CIDRs where the database lives (egress rule). @default ["0.0.0.0/0"] */
  databaseCidrs?: pulumi.Input<string>[];
  /** Expose 5500/5577 through an AWS NLB. @default true */
  loadBalancer?: boolean;
  /** "internet-facing" or "internal". @default "internet-facing" */
  loadBalancerScheme?: string;
  /** "instance" (EKS's built-in controller) or "ip" (needs the AWS Load Balancer Controller). @default "instance" */
  loadBalancerTargetType?: string;
  /** CIDRs admitted through the NLB. @default [] (any) */
  loadBalancerSourceRanges?: string[];
  /**
   * Where an `ip`-target NLB's health checks come from (the VPC CIDR); admitted to
   * 5500/5577/5588 when `loadBalancerSourceRanges` narrows the sources.
   * @default []
   */
  loadBalancerHealthCheckCidrs?: pulumi.Input<string>[];
  /** 8080/8443/4000 through an internal NLB instead of ClusterIP only. @default false */
  internalLoadBalancer?: boolean;
  /** Namespaces that may reach 8080/8443/4000. @default [] */
  allowedNamespaces?: string[];
  /** CIDRs that may reach 8080/8443/4000. @default [] */
  allowedCidrs?: string[];
  /** Destinations for central server, OCSP, TSA and peers. @default ["0.0.0.0/0"] */
  egressCidrs?: string[];
  /** Ship /var/lib/xroad archives to S3 with SSE-KMS. @default off */
  archive?: XRoadArchiveArgs;
  /**
   * The server has been registered with the central server (runbook step). Until
   * then the health check on 5588 cannot pass, so `pulumi up` does not wait for
   * readiness; afterwards it does, and a version change rolls the primary first,
   * then the secondaries one at a time.
   * @default false
   */
  registered?: boolean;
  /** Keep volumes on destroy. @default false */
  production?: boolean;
}

const DEFAULT_MEMORY: Record<string, string> = { slim: "3Gi", full: "4Gi" };

/** The image tag NIIS publishes for a version, variant, role and country (upstream/xroad.md §1). */
export function xroadImageTag(version: string, variant: string, role: "standalone" | "primary" | "secondary", country?: string): string {
  return [version, variant === "slim" ? "slim" : undefined, role === "standalone" ? undefined : role, country].filter(Boolean).join("-");
}

function seconds(interval: string): number {
  const m = /^(\d+)([mh])$/.exec(interval);
  if (!m) throw new Error(`XRoadSecurityServer: archive interval ${JSON.stringify(interval)} — a duration such as "30m" or "6h"`);
  return Number(m[1]) * (m[2] === "h" ? 3600 : 60);
}

/** The archiver's loop: sync message-log archives and backups, then sleep; a heartbeat file feeds its liveness probe. */
export const ARCHIVER_SCRIPT = [
  "set -u",
  "while true; do",
  '  aws s3 sync /var/lib/xroad "s3://${BUCKET}/${PREFIX}/" --exclude "*" --include "mlog-*" --include "backup/*"' +
    ' --sse aws:kms --sse-kms-key-id "${KMS_KEY_ARN}" --only-show-errors --no-progress && touch /tmp/last-sync',
  "  touch /tmp/alive",
  '  sleep "${INTERVAL_SECONDS}"',
  "done",
].join("\n");

/**
 * One X-Road Security Server (standalone, or primary plus secondaries) with its
 * namespace, credentials, volumes, Services, NetworkPolicies, disruption budget
 * and, optionally, the S3 archiver.
 */
export class XRoadSecurityServer extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** Hostname of the NLB other Security Servers reach on 5500/5577. */
  public readonly loadBalancerHostname: pulumi.Output<string | undefined>;
  /** In-cluster address of the admin UI. */
  public readonly adminUrl: pulumi.Output<string>;
  /** In-cluster address for consumer information systems. */
  public readonly consumerUrl: pulumi.Output<string>;
  /** Names of the Secrets that hold generated credentials. */
  public readonly secretNames: { credentials: string; database?: string; ssh?: string };
  public readonly image: string;

  constructor(name: string, args: XRoadSecurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Args are checked before anything is registered, this component included.
    super("trust-services:services:XRoadSecurityServer", name, checkArgs(name, args), opts);
    const topology = args.topology;
    const namespaceName = args.namespace ?? "xroad";
    const version = args.version ?? "7.8.0";
    const variant = args.variant ?? "slim";
    const repo = args.imageRepository ?? "niis/xroad-security-server-sidecar";
    const secondaries = args.secondaries ?? 2;
    const adminUser = args.adminUser ?? "xrd";
    const logLevel = args.logLevel ?? "INFO";
    const configSize = args.configSize ?? "2Gi";
    const dataSize = args.dataSize ?? "10Gi";
    const databaseSize = args.databaseSize ?? "10Gi";
    const loadBalancer = args.loadBalancer ?? true;
    const scheme = args.loadBalancerScheme ?? "internet-facing";
    const targetType = args.loadBalancerTargetType ?? "instance";
    const sourceRanges = args.loadBalancerSourceRanges ?? [];
    const allowedNamespaces = args.allowedNamespaces ?? [];
    const allowedCidrs = args.allowedCidrs ?? [];
    const egressCidrs = args.egressCidrs ?? ["0.0.0.0/0"];
    const databaseCidrs = args.databaseCidrs ?? ["0.0.0.0/0"];
    const production = args.production ?? false;
    const registered = args.registered ?? false;
    const dbPrefix = args.databaseNamePrefix ?? name.replace(/[^a-z0-9_]/g, "_");
    const memory = DEFAULT_MEMORY[variant];

    const ha = topology === "ha";
    const resources = {
      requests: { cpu: args.resources?.requests?.cpu ?? "2", memory: args.resources?.requests?.memory ?? memory },
      limits: { cpu: args.resources?.limits?.cpu ?? "4", memory: args.resources?.limits?.memory ?? args.resources?.requests?.memory ?? memory },
    };

    // The sidecar runs supervisord as root and its entrypoint needs useradd, chpasswd,
    // chown and su (upstream/xroad.md §4 "Root, security context and capabilities";
    // X-Road doc/Sidecar/kubernetes_security_guide.md §6: "adheres to baseline").
    // hostPath volumes are not allowed under baseline, so a local cluster needs privileged.
    const ns = new ServiceNamespace(
      `${name}-ns`,
      {
        name: namespaceName,
        podSecurity: args.hostPath ? "privileged" : "baseline",
        podSecurityReason: args.hostPath
          ? "hostPath volumes (local single-node cluster only) are not allowed under baseline"
          : "the sidecar image runs supervisord as root; X-Road doc/Sidecar/kubernetes_security_guide.md §6: adheres to baseline, cannot run as non-root",
        labels: { "trust-services/service": "xroad", [TOPOLOGY_LABEL]: topology },
        // The claims live here: deleting the namespace would delete them.
        retainOnDelete: production,
      },
      { parent: this },
    );
    this.namespace = ns.name;
    const namespace = ns.name;
    const child = { parent: this };

    const identity = (component: string): AppIdentity => ({ name: XROAD_APP, instance: name, component, version });
    const serving = identity(ha ? "secondary" : "security-server");
    const admin = identity(ha ? "primary" : "security-server");

    // --- Credentials (seed §4.2.4): generated unless given, delivered with envFrom.
    const adminPassword =
      args.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, child).result;
    const tokenPin = args.tokenPin ?? new random.RandomPassword(`${name}-token-pin`, { length: 16, special: false }, child).result;
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: `${name}-credentials`, namespace, labels: appLabels(identity("credentials")) },
        type: "Opaque",
        stringData: {
          XROAD_TOKEN_PIN: pulumi.secret(tokenPin),
          XROAD_ADMIN_USER: adminUser,
          XROAD_ADMIN_PASSWORD: pulumi.secret(adminPassword),
        },
      },
      child,
    );
    this.secretNames = { credentials: `${name}-credentials` };
    let databaseSecret: k8s.core.v1.Secret | undefined;
    if (args.database) {
      const data: Record<string, pulumi.Input<string>> = { XROAD_DB_PWD: pulumi.secret(args.database.password) };
      const user = args.database.user ?? "postgres";
      if (user !== "postgres") {
        // The entrypoint connects as `postgres` unless /etc/xroad.properties names another superuser.
        data["xroad.properties"] = pulumi.secret(
          pulumi.interpolate`postgres.connection.user = ${user}\npostgres.connection.password = ${args.database.password}\n`,
        );
      }
      databaseSecret = new k8s.core.v1.Secret(
        `${name}-database`,
        { metadata: { name: `${name}-database`, namespace, labels: appLabels(identity("credentials")) }, type: "Opaque", stringData: data },
        child,
      );
      this.secretNames.database = `${name}-database`;
    }

    const probes = (startupFailures: number) => ({
      // Upstream's probes (doc/Sidecar/kubernetes_security_server_sidecar_user_guide.md §4.5.5).
      startupProbe: { httpGet: { path: "/", port: XROAD_PORTS.http }, periodSeconds: 10, failureThreshold: startupFailures },
      livenessProbe: { httpGet: { path: "/", port: XROAD_PORTS.http }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 },
      // 5588 answers 200 only when the server can process messages (registered, token logged in, OCSP good).
      readinessProbe: { httpGet: { path: "/", port: XROAD_PORTS.health }, periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 1 },
    });
    const containerPorts = (withSsh: boolean) => [
      { name: "http", containerPort: XROAD_PORTS.http },
      { name: "https", containerPort: XROAD_PORTS.https },
      { name: "admin", containerPort: XROAD_PORTS.admin },
      { name: "messaging", containerPort: XROAD_PORTS.messaging },
      { name: "ocsp", containerPort: XROAD_PORTS.ocsp },
      { name: "health", containerPort: XROAD_PORTS.health },
      ...(withSsh ? [{ name: "ssh", containerPort: XROAD_PORTS.ssh }] : []),
    ];
    const securityContext = {
      // Root is required (see the namespace comment); privilege escalation stays allowed because
      // restore from the UI runs `sudo -u root` (upstream/xroad.md §4). NET_RAW dropped as upstream's CI manifest does.
      capabilities: { drop: ["NET_RAW"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
    const envFrom = [{ secretRef: { name: credentials.metadata.name } }, ...(databaseSecret ? [{ secretRef: { name: databaseSecret.metadata.name } }] : [])];
    const databaseEnv = (): k8s.types.input.core.v1.EnvVar[] =>
      args.database
        ? [
            { name: "XROAD_DB_HOST", value: args.database.host },
            { name: "XROAD_DB_PORT", value: pulumi.output(args.database.port).apply(String) },
            { name: "XROAD_DATABASE_NAME", value: dbPrefix },
          ]
        : [];
    const awaitAnnotations: Record<string, string> = registered ? {} : { "pulumi.com/skipAwait": "true" };

    // --- Volumes (seed §4.2.3).
    const volumeFor = (role: string, mountName: string, size: string, opts2: { shared?: boolean } = {}) => {
      if (args.hostPath) {
        return { name: mountName, hostPath: { path: `${args.hostPath}/${mountName}`, type: "DirectoryOrCreate" } };
      }
      const claim = dataClaim(`${name}-${role}-${mountName}`, {
        namespace,
        claimName: `${name}-${role}-${mountName}`,
        size,
        accessMode: opts2.shared ? "ReadWriteMany" : "ReadWriteOnce",
        storageClassName: opts2.shared ? args.sharedStorageClass : args.storageClass,
        labels: appLabels(identity(role)),
        production,
        parent: this,
      });
      return { name: mountName, persistentVolumeClaim: { claimName: claim.metadata.name } };
    };

    // --- The S3 archiver beside the X-Road container (seed §8).
    let serviceAccountName: pulumi.Output<string> | undefined;
    const archiverContainers: k8s.types.input.core.v1.Container[] = [];
    const archiverVolumes: k8s.types.input.core.v1.Volume[] = [];
    if (args.archive) {
      const a = args.archive;
      const sa = new k8s.core.v1.ServiceAccount(
        `${name}-archiver`,
        { metadata: { name: `${name}-archiver`, namespace, labels: appLabels(identity("archiver")) }, automountServiceAccountToken: false },
        child,
      );
      serviceAccountName = sa.metadata.name;
      const role = podIdentityRole(`${name}-archiver`, { inlinePolicy: a.accessPolicy, tags: { "trust-services/service": "xroad" } }, this);
      new aws.eks.PodIdentityAssociation(
        `${name}-archiver`,
        { clusterName: a.clusterName, namespace: namespaceName, serviceAccount: `${name}-archiver`, roleArn: role.arn },
        child,
      );
      const interval = seconds(a.interval ?? "6h");
      archiverContainers.push({
        name: "archiver",
        image: a.image ?? "amazon/aws-cli:2.27.50",
        command: ["/bin/sh", "-c", ARCHIVER_SCRIPT],
        env: [
          { name: "BUCKET", value: a.bucketName },
          { name: "PREFIX", value: a.prefix },
          { name: "KMS_KEY_ARN", value: a.kmsKeyArn },
          { name: "INTERVAL_SECONDS", value: String(interval) },
          { name: "HOME", value: "/tmp" },
        ],
        volumeMounts: [
          { name: "data", mountPath: "/var/lib/xroad", readOnly: true },
          { name: "archiver-tmp", mountPath: "/tmp" },
        ],
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        startupProbe: { exec: { command: ["test", "-f", "/tmp/alive"] }, periodSeconds: 30, failureThreshold: 20 },
        livenessProbe: {
          exec: { command: ["/bin/sh", "-c", `test $(( $(date +%s) - $(stat -c %Y /tmp/alive) )) -lt ${interval + 1800}`] },
          periodSeconds: 300,
        },
        // Reads the archives as the xroad user (uid 999) that writes them.
        securityContext: {
          runAsUser: 999,
          runAsGroup: 999,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
      });
      archiverVolumes.push({ name: "archiver-tmp", emptyDir: { sizeLimit: "256Mi" } });
    }

    // --- The SSH key pair for the configuration sync (ha, seed §4.2.4 names).
    let sshSecret: k8s.core.v1.Secret | undefined;
    if (ha) {
      const key = new tls.PrivateKey(`${name}-sync-key`, { algorithm: "RSA", rsaBits: 4096 }, child);
      sshSecret = new k8s.core.v1.Secret(
        `${name}-ssh`,
        {
          metadata: { name: `${name}-ssh`, namespace, labels: appLabels(identity("sync-key")) },
          type: "Opaque",
          stringData: { "private-key": key.privateKeyOpenssh, "public-key": key.publicKeyOpenssh },
        },
        child,
      );
      this.secretNames.ssh = `${name}-ssh`;
    }

    const xroadContainer = (role: "standalone" | "primary" | "secondary", extra: Partial<k8s.types.input.core.v1.Container>) => ({
      name: "xroad",
      image: `${repo}:${xroadImageTag(version, variant, role, args.country)}`,
      imagePullPolicy: "IfNotPresent",
      // Secondaries get db.properties from the primary over rsync; they never need the master password.
      envFrom: role === "secondary" ? envFrom.slice(0, 1) : envFrom,
      ports: containerPorts(role === "primary"),
      resources,
      securityContext,
      ...probes(role === "secondary" ? 180 : 60),
      ...extra,
    });

    // --- Workloads.
    const podMeta = (id: AppIdentity) => ({ labels: { ...appLabels(id), "trust-services/service": "xroad" } });
    const podDefaults = {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 120,
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
    };
    /**
     * The one pod that owns the configuration (standalone server or ha primary): one replica,
     * `Recreate` so the old pod releases the ReadWriteOnce volumes before the new one starts,
     * the archiver beside it.
     */
    const ownerDeployment = (
      role: "server" | "primary",
      image: "standalone" | "primary",
      annotations: Record<string, string>,
      mounts: k8s.types.input.core.v1.VolumeMount[],
      volumes: k8s.types.input.core.v1.Volume[],
    ) => {
      const id = identity(role === "server" ? "security-server" : "primary");
      return new k8s.apps.v1.Deployment(
        `${name}-${role}`,
        {
          metadata: { name: `${name}-${role}`, namespace, labels: appLabels(id), annotations: { ...awaitAnnotations, ...annotations } },
          spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: selectorLabels(id) },
            template: {
              metadata: podMeta(id),
              spec: {
                ...podDefaults,
                serviceAccountName,
                containers: [
                  xroadContainer(image, {
                    env: [{ name: "XROAD_LOG_LEVEL", value: logLevel }, ...databaseEnv()],
                    volumeMounts: [...mounts, ...xroadPropertiesMount(args.database)],
                  }),
                  ...archiverContainers,
                ],
                volumes: [...volumes, ...archiverVolumes, ...xroadPropertiesVolume(databaseSecret, args.database)],
              },
            },
          },
        },
        child,
      );
    };
    const primaryHost = pulumi.interpolate`${name}-primary.${namespace}.svc.cluster.local`;
    if (!ha) {
      ownerDeployment(
        "server",
        "standalone",
        {},
        [
          { name: "config", mountPath: "/etc/xroad" },
          { name: "data", mountPath: "/var/lib/xroad" },
          // The parent of 16/main: a block volume's lost+found would make initdb refuse a non-empty directory.
          ...(topology === "single" ? [{ name: "postgresql", mountPath: "/var/lib/postgresql" }] : []),
        ],
        [
          volumeFor("server", "config", configSize),
          volumeFor("server", "data", dataSize),
          ...(topology === "single" ? [volumeFor("server", "postgresql", databaseSize)] : []),
        ],
      );
    } else {
      const pid = identity("primary");
      const sid = identity("secondary");
      const primaryVolumes = [
        volumeFor("primary", "config", configSize, { shared: args.sharedConfig }),
        volumeFor("primary", "data", dataSize),
        {
          name: "ssh",
          secret: { secretName: sshSecret!.metadata.name, items: [{ key: "public-key", path: "id_rsa.pub", mode: 0o644 }] },
        },
      ];
      // The headless Service the secondaries sync from; it publishes the primary while it is
      // not ready (5588 stays red until registration), else the secondaries could never sync.
      new k8s.core.v1.Service(
        `${name}-primary`,
        {
          metadata: { name: `${name}-primary`, namespace, labels: appLabels(pid) },
          spec: {
            clusterIP: "None",
            publishNotReadyAddresses: true,
            selector: selectorLabels(pid),
            ports: [{ name: "ssh", port: XROAD_PORTS.ssh, targetPort: XROAD_PORTS.ssh, protocol: "TCP" }],
          },
        },
        child,
      );
      const primaryDeployment = ownerDeployment(
        "primary",
        "primary",
        { [SINGLE_REPLICA_REASON]: "exactly one primary owns /etc/xroad and the message-log archives; it serves no client traffic (seed 004 §2.3)" },
        [
          { name: "config", mountPath: "/etc/xroad" },
          { name: "data", mountPath: "/var/lib/xroad" },
          { name: "ssh", mountPath: "/etc/.ssh", readOnly: true },
        ],
        primaryVolumes,
      );
      new k8s.apps.v1.Deployment(
        `${name}-secondary`,
        {
          metadata: { name: `${name}-secondary`, namespace, labels: appLabels(sid), annotations: awaitAnnotations },
          spec: {
            replicas: secondaries,
            // One secondary at a time leaves the load balancer during a rollout.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
            minReadySeconds: 30,
            selector: { matchLabels: selectorLabels(sid) },
            template: {
              metadata: podMeta(sid),
              spec: {
                ...podDefaults,
                topologySpreadConstraints: [
                  { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: selectorLabels(sid) } },
                  { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selectorLabels(sid) } },
                ],
                containers: [
                  xroadContainer("secondary", {
                    env: [{ name: "XROAD_PRIMARY_DNS", value: primaryHost }],
                    volumeMounts: [{ name: "ssh", mountPath: "/etc/.ssh", readOnly: true }],
                  }),
                ],
                volumes: [
                  {
                    name: "ssh",
                    // 0644 and root-owned: rsync runs as the xroad user, and ssh accepts a key file another user owns
                    // (upstream/xroad.md §3 "Sync mechanics").
                    secret: {
                      secretName: sshSecret!.metadata.name,
                      items: [
                        { key: "private-key", path: "id_rsa", mode: 0o644 },
                        { key: "public-key", path: "id_rsa.pub", mode: 0o644 },
                      ],
                    },
                  },
                ],
              },
            },
          },
        },
        // A version change reaches the primary first; with `registered` Pulumi waits for it to be ready.
        { parent: this, dependsOn: [primaryDeployment] },
      );
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-secondary`,
        {
          metadata: { name: `${name}-secondary`, namespace, labels: appLabels(sid) },
          spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(sid) } },
        },
        child,
      );
    }

    // --- Services.
    const lbAnnotations: Record<string, string> =
      targetType === "ip"
        ? {
            "service.beta.kubernetes.io/aws-load-balancer-type": "external",
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": scheme,
            // Keep the peer's address: X-Road logs it and the NetworkPolicy filters on it.
            "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
          }
        : {
            // The seed's annotation, lower-case (its capital-K variant matched nothing).
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": scheme,
            ...(scheme === "internal" ? { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" } : {}),
          };
    if (loadBalancer) {
      const lb = new k8s.core.v1.Service(
        `${name}-messaging`,
        {
          metadata: { name: `${name}-messaging`, namespace, labels: appLabels(serving), annotations: lbAnnotations },
          spec: {
            type: "LoadBalancer",
            selector: selectorLabels(serving),
            // TCP passthrough: X-Road terminates its own TLS between Security Servers.
            ports: [
              { name: "messaging", port: XROAD_PORTS.messaging, targetPort: XROAD_PORTS.messaging, protocol: "TCP" },
              { name: "ocsp", port: XROAD_PORTS.ocsp, targetPort: XROAD_PORTS.ocsp, protocol: "TCP" },
            ],
            loadBalancerSourceRanges: sourceRanges.length > 0 ? sourceRanges : undefined,
            // Client addresses reach the pods unchanged (no SNAT through another node), so the
            // NetworkPolicy's source ranges hold; the NLB health-checks each node's local pods.
            externalTrafficPolicy: "Local",
          },
        },
        child,
      );
      this.loadBalancerHostname = lb.status.loadBalancer.ingress.apply((i) => i?.[0]?.hostname ?? i?.[0]?.ip);
    } else {
      this.loadBalancerHostname = pulumi.output(undefined);
    }
    const internalAnnotations: Record<string, string> = args.internalLoadBalancer
      ? { ...lbAnnotations, "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal", "service.beta.kubernetes.io/aws-load-balancer-internal": "true" }
      : {};
    const internalType = args.internalLoadBalancer ? "LoadBalancer" : "ClusterIP";
    new k8s.core.v1.Service(
      `${name}-consumers`,
      {
        metadata: { name: `${name}-consumers`, namespace, labels: appLabels(serving), annotations: internalAnnotations },
        spec: {
          type: internalType,
          externalTrafficPolicy: args.internalLoadBalancer ? "Local" : undefined,
          selector: selectorLabels(serving),
          ports: [
            { name: "http", port: XROAD_PORTS.http, targetPort: XROAD_PORTS.http, protocol: "TCP" },
            { name: "https", port: XROAD_PORTS.https, targetPort: XROAD_PORTS.https, protocol: "TCP" },
          ],
          loadBalancerSourceRanges: args.internalLoadBalancer && allowedCidrs.length > 0 ? allowedCidrs : undefined,
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      `${name}-admin`,
      {
        metadata: { name: `${name}-admin`, namespace, labels: appLabels(admin), annotations: internalAnnotations },
        spec: {
          type: internalType,
          externalTrafficPolicy: args.internalLoadBalancer ? "Local" : undefined,
          // The admin UI is how the server gets registered, so it is reachable before it is ready.
          publishNotReadyAddresses: true,
          selector: selectorLabels(admin),
          ports: [{ name: "admin", port: XROAD_PORTS.admin, targetPort: XROAD_PORTS.admin, protocol: "TCP" }],
          loadBalancerSourceRanges: args.internalLoadBalancer && allowedCidrs.length > 0 ? allowedCidrs : undefined,
        },
      },
      child,
    );
    this.adminUrl = pulumi.interpolate`https://${name}-admin.${namespace}.svc.cluster.local:${XROAD_PORTS.admin}`;
    this.consumerUrl = pulumi.interpolate`http://${name}-consumers.${namespace}.svc.cluster.local:${XROAD_PORTS.http}`;

    // --- NetworkPolicies: the §4.3 table on top of the namespace's default deny.
    const policy = (policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policyName}`,
        { metadata: { name: `${name}-${policyName}`, namespace, labels: appLabels(identity("network-policy")) }, spec },
        child,
      );
    const anywhere = (cidrs: pulumi.Input<string>[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    const instanceSelector = { matchLabels: { "app.kubernetes.io/name": XROAD_APP, "app.kubernetes.io/instance": name } };
    policy("allow-messaging", {
      podSelector: { matchLabels: selectorLabels(serving) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          // Other Security Servers and the NLB health check (through the load balancer).
          from: anywhere(
            sourceRanges.length > 0
              ? [...sourceRanges, ...(targetType === "ip" ? args.loadBalancerHealthCheckCidrs ?? [] : [])]
              : ["0.0.0.0/0"],
          ),
          ports: [XROAD_PORTS.messaging, XROAD_PORTS.ocsp, XROAD_PORTS.health].map((port) => ({ protocol: "TCP", port })),
        },
      ],
    });
    const clients = [
      ...allowedNamespaces.map((n) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } } })),
      ...anywhere(allowedCidrs),
    ];
    if (clients.length > 0) {
      policy("allow-consumers", {
        podSelector: { matchLabels: selectorLabels(serving) },
        policyTypes: ["Ingress"],
        ingress: [{ from: clients, ports: [XROAD_PORTS.http, XROAD_PORTS.https].map((port) => ({ protocol: "TCP", port })) }],
      });
      policy("allow-admin", {
        podSelector: { matchLabels: selectorLabels(admin) },
        policyTypes: ["Ingress"],
        ingress: [{ from: clients, ports: [{ protocol: "TCP", port: XROAD_PORTS.admin }] }],
      });
    }
    if (ha) {
      policy("allow-sync", {
        podSelector: { matchLabels: selectorLabels(identity("primary")) },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: selectorLabels(identity("secondary")) } }], ports: [{ protocol: "TCP", port: XROAD_PORTS.ssh }] }],
      });
      policy("allow-sync-egress", {
        podSelector: { matchLabels: selectorLabels(identity("secondary")) },
        policyTypes: ["Egress"],
        egress: [{ to: [{ podSelector: { matchLabels: selectorLabels(identity("primary")) } }], ports: [{ protocol: "TCP", port: XROAD_PORTS.ssh }] }],
      });
    }
    policy("allow-egress", {
      podSelector: instanceSelector,
      policyTypes: ["Egress"],
      egress: [
        // Central server (80, 443, 4001), OCSP and TSA (80, 443), peer Security Servers (5500, 5577).
        { to: anywhere(egressCidrs), ports: [80, 443, 4001, XROAD_PORTS.messaging, XROAD_PORTS.ocsp].map((port) => ({ protocol: "TCP", port })) },
        ...(args.database
          ? [{ to: anywhere(databaseCidrs), ports: [{ protocol: "TCP", port: args.database.port as pulumi.Input<number> }] }]
          : []),
        // EKS Pod Identity agent (link-local) for the archiver's credentials; S3 over 443 is above.
        ...(args.archive ? [{ to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] }] : []),
      ],
    });

    this.image = `${repo}:${xroadImageTag(version, variant, ha ? "primary" : "standalone", args.country)}`;
    this.registerOutputs({
      namespace: this.namespace,
      loadBalancerHostname: this.loadBalancerHostname,
      adminUrl: this.adminUrl,
      consumerUrl: this.consumerUrl,
    });
  }
}

/** Refuses contradictory args with the arg name, the value and what is allowed; returns the (empty) component inputs. */
function checkArgs(name: string, args: XRoadSecurityServerArgs): Record<string, never> {
  const topology = args.topology;
  const variant = args.variant ?? "slim";
  const secondaries = args.secondaries ?? 2;
  const scheme = args.loadBalancerScheme ?? "internet-facing";
  const targetType = args.loadBalancerTargetType ?? "instance";
  const fail = (key: string, value: unknown, allowed: string) => {
    throw new Error(`XRoadSecurityServer ${name}: ${key} ${JSON.stringify(value)} — ${allowed}`);
  };
  if (!XROAD_TOPOLOGIES.includes(topology)) fail("topology", topology, XROAD_TOPOLOGIES.join(", "));
  if (!DEFAULT_MEMORY[variant]) fail("variant", variant, "slim or full");
  if (topology !== "single" && !args.database) fail("database", undefined, `an external PostgreSQL 16 for topology ${topology}`);
  if (topology === "single" && args.database) fail("database", "(given)", "none: topology single runs PostgreSQL inside the pod");
  if (topology === "ha" && secondaries < 2) fail("secondaries", secondaries, "at least 2 in ha (no single replica serves traffic alone)");
  if (!["internet-facing", "internal"].includes(scheme)) fail("loadBalancerScheme", scheme, "internet-facing or internal");
  if (!["instance", "ip"].includes(targetType)) fail("loadBalancerTargetType", targetType, "instance or ip");
  if (args.sharedConfig && topology !== "ha") fail("sharedConfig", true, "only with topology ha");
  if (args.hostPath && topology !== "single") fail("hostPath", args.hostPath, "only with topology single");
  if (args.archive) seconds(args.archive.interval ?? "6h");
  return {};
}

function xroadPropertiesMount(db?: XRoadDatabaseArgs): k8s.types.input.core.v1.VolumeMount[] {
  return db && (db.user ?? "postgres") !== "postgres"
    ? [{ name: "xroad-properties", mountPath: "/etc/xroad.properties", subPath: "xroad.properties", readOnly: true }]
    : [];
}

function xroadPropertiesVolume(secret: k8s.core.v1.Secret | undefined, db?: XRoadDatabaseArgs): k8s.types.input.core.v1.Volume[] {
  return secret && db && (db.user ?? "postgres") !== "postgres"
    ? [{ name: "xroad-properties", secret: { secretName: secret.metadata.name, items: [{ key: "xroad.properties", path: "xroad.properties", mode: 0o640 }] } }]
    : [];
}
