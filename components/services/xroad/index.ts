/**
 * X-Road Security Server Sidecar on Kubernetes, in the three deployment options
 * of the Kubernetes Security Server Sidecar guide (seed 004 §2):
 * - single:      one pod, PostgreSQL inside the container (§2.1);
 * - external-db: one pod, PostgreSQL 16 outside (§2.2);
 * - ha:          a primary and N secondaries behind a Network Load Balancer,
 *                configuration synced over SSH, one external PostgreSQL 16 (§2.3).
 * Built from the service kit (components/kubernetes): the component declares
 * its roles; labels, security contexts, spread, budgets and policies come from
 * the kit. Image facts, env vars, probes and the traps of the official
 * examples: shared/upstream/xroad.md.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { argError } from "../../checks";
import { awsIdentity } from "../../kubernetes/access";
import { formerly } from "../../types";
import { credentialsSecret, DataEndpoint, egressTo } from "../../kubernetes/datastore";
import { appLabels, selectorLabels } from "../../kubernetes/labels";
import { ServiceNamespace, TOPOLOGY_LABEL } from "../../kubernetes/namespace";
import { LBC_NLB_CLASS } from "../../aws/load-balancer-controller";
import { aliasRecord, DnsRecordOutput, dnsRecordFor, EndpointClassArgs } from "../../kubernetes/endpoint";
import { cidrRule, PeerArgs, podIdentityAgent, TrafficRuleArgs } from "../../kubernetes/network";
import { ContainerArgs, EnvVarArgs, podSecurityLevel, ResourcesArgs, rolloutOf, SchedulingArgs, ServiceArgs, VolumeArgs, Workload } from "../../kubernetes/workload";

export const XROAD_TOPOLOGIES = ["single", "external-db", "ha"];
export const XROAD_APP = "xroad-security-server";
/** The version the component runs when none is given: the newest 7.8 patch with published sidecar images (docs/xroad.md "Versions"). */
export const XROAD_VERSION = "7.8.2";

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

/** Subnets for load balancers, by scheme. */
export interface XRoadSubnetsArgs {
  /** Subnets of internet-facing load balancers. */
  publicSubnetIds?: pulumi.Input<string>[];
  /** Subnets of internal load balancers. */
  privateSubnetIds?: pulumi.Input<string>[];
}

/** Where the messaging NLB's DNS name is written. */
export interface XRoadDnsArgs {
  /** Route 53 zone of the hostname. */
  hostedZoneId: pulumi.Input<string>;
  /** Canonical hosted zone of NLBs in the region (`aws.lb.getHostedZoneId`). */
  loadBalancerZoneId: pulumi.Input<string>;
}

/** The admin UI's HTTPS endpoint. */
export interface XRoadAdminEndpointArgs {
  /** How the stack serves endpoints. */
  endpointClass: EndpointClassArgs;
  /** @default `xroad-admin.<domain>` */
  hostname?: string;
}

export interface XRoadSecurityServerArgs {
  /** "single", "external-db" or "ha". */
  topology: string;
  /** Namespace (created). @default "xroad" */
  namespace?: string;
  /** Sidecar version, pinned. @default XROAD_VERSION (7.8.2) */
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
  resources?: ResourcesArgs;
  /** Node selector and tolerations of every pod. */
  scheduling?: SchedulingArgs;
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
  /**
   * External PostgreSQL 16 (external-db, ha): its `user` must be a superuser (the
   * entrypoint creates X-Road's databases and roles); `database` becomes the
   * prefix of their names; `cidrs` (default anywhere) or `podLabels` shape the egress rule.
   */
  database?: DataEndpoint;
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
  /**
   * The cluster runs the AWS Load Balancer Controller: the messaging NLB is its
   * (`loadBalancerClass` service.k8s.aws/nlb, `ip` targets, client IPs preserved,
   * the scheme explicit), and `loadBalancerTargetType` is ignored.
   * @default false
   */
  loadBalancerController?: boolean;
  /** With `loadBalancerController`: the subnets of its NLBs (else the controller discovers them by their role tags). */
  loadBalancerSubnets?: XRoadSubnetsArgs;
  /** DNS name of the messaging NLB (the address other Security Servers use); a record is made with `messagingDns`. */
  messagingHostname?: string;
  /** The Route 53 zone that gets an alias for `messagingHostname`, and the NLBs' canonical zone. @default none: DNS is yours */
  messagingDns?: XRoadDnsArgs;
  /**
   * Serve the admin UI as an internal HTTPS endpoint of this class (backend HTTPS
   * to the UI's own certificate, restricted to `allowedCidrs` when given).
   * @default none: the admin UI stays inside the cluster
   */
  adminEndpoint?: XRoadAdminEndpointArgs;
  /** 8080/8443 (and 4000 without `adminEndpoint`) through an internal NLB instead of ClusterIP only. @default false */
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
  /** The admin UI's HTTPS endpoint (with `adminEndpoint`). */
  public readonly adminEndpointUrl?: string;
  /** DNS records for the user to create (hostnames whose zone the stack does not write). */
  public readonly dnsRecords: DnsRecordOutput[];
  /** In-cluster address for consumer information systems. */
  public readonly consumerUrl: pulumi.Output<string>;
  /** Names of the Secrets that hold generated credentials. */
  public readonly secretNames: XRoadSecretNames;
  public readonly image: string;

  constructor(name: string, args: XRoadSecurityServerArgs, opts?: pulumi.ComponentResourceOptions) {
    // Args are checked before anything is registered, this component included.
    super("trust-services:index:XRoadSecurityServer", name, checkArgs(name, args), formerly("trust-services:services:XRoadSecurityServer", opts));
    const topology = args.topology;
    const namespaceName = args.namespace ?? "xroad";
    const version = args.version ?? XROAD_VERSION;
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
    const production = args.production ?? false;
    const registered = args.registered ?? false;
    const db = args.database;
    const dbPrefix = db?.database !== undefined ? db.database : name.replace(/[^a-z0-9_]/g, "_");
    const memory = DEFAULT_MEMORY[variant];
    const ha = topology === "ha";
    const resources = {
      requests: { cpu: args.resources?.requests?.cpu ?? "2", memory: args.resources?.requests?.memory ?? memory },
      limits: { cpu: args.resources?.limits?.cpu ?? "4", memory: args.resources?.limits?.memory ?? args.resources?.requests?.memory ?? memory },
    };
    const child = { parent: this };
    // Before the kit, every object below was registered directly under this component.
    const kit = { parent: this, adoptFrom: this };

    // --- Credentials (seed §4.2.4): generated unless given, delivered with envFrom.
    const adminPassword =
      args.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 24, special: false }, child).result;
    const tokenPin = args.tokenPin ?? new random.RandomPassword(`${name}-token-pin`, { length: 16, special: false }, child).result;
    const dbUser = pulumi.output(db?.user ?? "postgres");

    // The sidecar runs supervisord as root and its entrypoint needs useradd, chpasswd,
    // chown and su (upstream/xroad.md §4 "Root, security context and capabilities").
    // Privilege escalation stays allowed because restore from the UI runs `sudo -u root`;
    // NET_RAW is dropped as upstream's CI manifest does.
    const xroadSecurity = {
      level: "baseline",
      reason: "the sidecar image runs supervisord as root; X-Road doc/Sidecar/kubernetes_security_guide.md §6: adheres to baseline, cannot run as non-root",
      dropCapabilities: ["NET_RAW"],
    };
    // The archiver reads the archives as the xroad user (uid 999) that writes them; restricted otherwise.
    const archiverSecurity = { runAsUser: 999, runAsGroup: 999 };
    // The namespace's Pod Security level follows from the roles' containers; hostPath volumes are not allowed under baseline.
    const level = args.hostPath
      ? { level: "privileged", reasons: ["hostPath volumes (local single-node cluster only) are not allowed under baseline"] }
      : podSecurityLevel([xroadSecurity, ...(args.archive ? [archiverSecurity] : [])]);
    const ns = new ServiceNamespace(
      `${name}-ns`,
      {
        name: namespaceName,
        podSecurity: level.level,
        podSecurityReason: level.reasons.join("; "),
        labels: { "trust-services/service": "xroad", [TOPOLOGY_LABEL]: topology },
        // The claims live here: deleting the namespace would delete them.
        retainOnDelete: production,
      },
      child,
    );
    this.namespace = ns.name;
    const namespace = ns.name;
    const identityLabels = (component: string) => appLabels({ name: XROAD_APP, instance: name, component, version });

    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: `${name}-credentials`, namespace, labels: identityLabels("credentials") },
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
    // The entrypoint connects as `postgres` unless /etc/xroad.properties names another superuser.
    const otherSuperuser = db !== undefined && db.user !== undefined && db.user !== "postgres";
    if (db) {
      const password = pulumi.secret(db.password ?? "");
      databaseSecret = credentialsSecret(
        `${name}-database`,
        db,
        {
          namespace,
          labels: identityLabels("credentials"),
          passwordKey: "XROAD_DB_PWD",
          // Every key becomes an environment variable (envFrom); the entrypoint reads no CA.
          ca: false,
          extra: otherSuperuser
            ? { "xroad.properties": pulumi.secret(pulumi.interpolate`postgres.connection.user = ${dbUser}\npostgres.connection.password = ${password}\n`) }
            : {},
        },
        child,
      );
      this.secretNames.database = `${name}-database`;
    }

    // --- The S3 archiver beside the X-Road container (seed §8).
    let serviceAccountName: pulumi.Output<string> | undefined;
    let archiver: ContainerArgs | undefined;
    if (args.archive) {
      const a = args.archive;
      serviceAccountName = awsIdentity(
        { namespace, name: `${name}-archiver`, labels: identityLabels("archiver"), policy: a.accessPolicy, clusterName: a.clusterName, tags: { "trust-services/service": "xroad" } },
        this,
      );
      const interval = seconds(a.interval ?? "6h");
      archiver = {
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
        mounts: [
          { volume: "data", path: "/var/lib/xroad", readOnly: true },
          { volume: "archiver-tmp", path: "/tmp" },
        ],
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        probes: {
          startup: { command: ["test", "-f", "/tmp/alive"], periodSeconds: 30, failureThreshold: 20 },
          liveness: { command: ["/bin/sh", "-c", `test $(( $(date +%s) - $(stat -c %Y /tmp/alive) )) -lt ${interval + 1800}`], periodSeconds: 300 },
        },
        security: archiverSecurity,
      };
    }

    // --- The SSH key pair for the configuration sync (ha, seed §4.2.4 names).
    let sshSecret: k8s.core.v1.Secret | undefined;
    if (ha) {
      const key = new tls.PrivateKey(`${name}-sync-key`, { algorithm: "RSA", rsaBits: 4096 }, child);
      sshSecret = new k8s.core.v1.Secret(
        `${name}-ssh`,
        {
          metadata: { name: `${name}-ssh`, namespace, labels: identityLabels("sync-key") },
          type: "Opaque",
          stringData: { "private-key": key.privateKeyOpenssh, "public-key": key.publicKeyOpenssh },
        },
        child,
      );
      this.secretNames.ssh = `${name}-ssh`;
    }

    // --- What the roles share.
    const port = (portName: keyof typeof XROAD_PORTS) => ({ name: portName, port: XROAD_PORTS[portName] });
    const ports = [port("http"), port("https"), port("admin"), port("messaging"), port("ocsp"), port("health")];
    const probes = (startupFailures: number) => ({
      // Upstream's probes (doc/Sidecar/kubernetes_security_server_sidecar_user_guide.md §4.5.5).
      startup: { httpPath: "/", port: XROAD_PORTS.http, periodSeconds: 10, failureThreshold: startupFailures },
      liveness: { httpPath: "/", port: XROAD_PORTS.http, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 },
      // 5588 answers 200 only when the server can process messages (registered, token logged in, OCSP good).
      readiness: { httpPath: "/", port: XROAD_PORTS.health, periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 1 },
    });
    const image = (role: "standalone" | "primary" | "secondary") => `${repo}:${xroadImageTag(version, variant, role, args.country)}`;
    const databaseEnv: EnvVarArgs[] = db
      ? [
          { name: "XROAD_DB_HOST", value: db.host },
          { name: "XROAD_DB_PORT", value: pulumi.output(db.port).apply(String) },
          { name: "XROAD_DATABASE_NAME", value: dbPrefix },
        ]
      : [];
    const secretsFrom = [credentials.metadata.name, ...(databaseSecret ? [databaseSecret.metadata.name] : [])];
    const volumeFor = (volumeName: string, size: string, shared = false): VolumeArgs =>
      args.hostPath
        ? { name: volumeName, hostPath: `${args.hostPath}/${volumeName}` }
        : {
            name: volumeName,
            claim: { size, accessMode: shared ? "ReadWriteMany" : "ReadWriteOnce", storageClass: shared ? args.sharedStorageClass : args.storageClass },
          };
    const propertiesMount = otherSuperuser ? [{ volume: "xroad-properties", path: "/etc/xroad.properties", subPath: "xroad.properties", readOnly: true }] : [];
    const propertiesVolume: VolumeArgs[] =
      otherSuperuser && databaseSecret
        ? [{ name: "xroad-properties", secretName: databaseSecret.metadata.name, items: [{ key: "xroad.properties", path: "xroad.properties", mode: 0o640 }] }]
        : [];
    const archiverVolumes: VolumeArgs[] = archiver ? [{ name: "archiver-tmp", emptyDir: true, sizeLimit: "256Mi" }] : [];
    const common = {
      namespace,
      topology,
      app: XROAD_APP,
      instance: name,
      version,
      podLabels: { "trust-services/service": "xroad" },
      terminationGracePeriodSeconds: 120,
      scheduling: args.scheduling,
      production,
      // Until the server is registered its readiness (5588) cannot pass, so Pulumi does not wait for it.
      awaitReady: registered,
    };

    // --- Who may talk to whom (seed §4.3), on top of the namespace's default deny.
    const clients: PeerArgs[] = [
      ...allowedNamespaces.map((n): PeerArgs => ({ namespace: n })),
      ...(allowedCidrs.length ? [{ cidrs: allowedCidrs }] : []),
    ];
    const messaging: TrafficRuleArgs = cidrRule(
      // Other Security Servers, and an ip-target NLB's health checks from the VPC.
      sourceRanges.length > 0 ? [...sourceRanges, ...(args.loadBalancerController || targetType === "ip" ? args.loadBalancerHealthCheckCidrs ?? [] : [])] : ["0.0.0.0/0"],
      [XROAD_PORTS.messaging, XROAD_PORTS.ocsp, XROAD_PORTS.health],
    );
    const consumers: TrafficRuleArgs[] = clients.length ? [{ peers: clients, ports: [XROAD_PORTS.http, XROAD_PORTS.https] }] : [];
    const admins: TrafficRuleArgs[] = clients.length ? [{ peers: clients, ports: [XROAD_PORTS.admin] }] : [];
    const egress: TrafficRuleArgs[] = [
      // Central server (80, 443, 4001), OCSP and TSA (80, 443), peer Security Servers (5500, 5577).
      cidrRule(egressCidrs, [80, 443, 4001, XROAD_PORTS.messaging, XROAD_PORTS.ocsp]),
      ...(db ? [egressTo(db)] : []),
    ];

    // --- Services. The NLB keeps peer addresses (client IP preservation for ip targets,
    // externalTrafficPolicy Local for instance targets) so the NetworkPolicy's source ranges hold.
    const controller = args.loadBalancerController ?? false;
    const subnetsFor = (lbScheme: string): Record<string, pulumi.Input<string>> => {
      const ids = lbScheme === "internal" ? args.loadBalancerSubnets?.privateSubnetIds : args.loadBalancerSubnets?.publicSubnetIds;
      return ids?.length ? { "service.beta.kubernetes.io/aws-load-balancer-subnets": pulumi.all(ids).apply((x) => x.join(",")) } : {};
    };
    const nlb = (lbScheme: string): Partial<ServiceArgs> =>
      controller
        ? {
            // The controller's own NLB (upstream/endpoints.md §1 "X-Road NLB"): explicit class and scheme,
            // pods as targets, health from 5588 (ready only when the server can process messages).
            loadBalancerClass: LBC_NLB_CLASS,
            annotations: {
              ...subnetsFor(lbScheme),
              "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
              "service.beta.kubernetes.io/aws-load-balancer-scheme": lbScheme,
              "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
              "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "http",
              "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": String(XROAD_PORTS.health),
              "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/",
            },
          }
        : targetType === "ip"
          ? {
              annotations: {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": lbScheme,
                "service.beta.kubernetes.io/aws-load-balancer-target-group-attributes": "preserve_client_ip.enabled=true",
              },
            }
          : {
              annotations: {
                // The seed's annotation, lower-case (its capital-K variant matched nothing). The in-tree
                // controller ignores `-scheme`: `-internal` is what makes its NLB internal.
                "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": lbScheme,
                ...(lbScheme === "internal" ? { "service.beta.kubernetes.io/aws-load-balancer-internal": "true" } : {}),
              },
              externalTrafficPolicy: "Local",
            };
    const internal: Partial<ServiceArgs> = args.internalLoadBalancer ? { type: "LoadBalancer", ...nlb("internal"), loadBalancerSourceRanges: allowedCidrs } : {};
    const messagingService: ServiceArgs[] = loadBalancer
      ? [
          {
            name: `${name}-messaging`,
            // TCP passthrough: X-Road terminates its own TLS between Security Servers.
            ports: ["messaging", "ocsp"],
            type: "LoadBalancer",
            ...nlb(scheme),
            loadBalancerSourceRanges: sourceRanges,
          },
        ]
      : [];
    const consumerService: ServiceArgs = { name: `${name}-consumers`, ports: ["http", "https"], ...internal };
    // The admin UI is how the server gets registered, so it is reachable before it is ready. With an
    // endpoint it is an internal HTTPS hostname (backend HTTPS to the UI's own certificate; the ALB
    // does not verify it), restricted to allowedCidrs by a listener-rule condition.
    const adminService: ServiceArgs = args.adminEndpoint
      ? {
          name: `${name}-admin`,
          ports: ["admin"],
          publishNotReadyAddresses: true,
          endpoint: {
            endpointClass: args.adminEndpoint.endpointClass,
            name: `${name}-admin`,
            hostname: args.adminEndpoint.hostname,
            internal: true,
            admin: true,
            // Only these: the stack's default ranges are for endpoints meant for the public.
            sourceRanges: allowedCidrs,
            backendProtocol: "HTTPS",
            healthCheckPath: "/",
            // The UI answers its start page; a redirect still means it is up.
            successCodes: "200-399",
          },
        }
      : { name: `${name}-admin`, ports: ["admin"], publishNotReadyAddresses: true, ...internal };

    const owner = (role: "server" | "primary"): ContainerArgs => ({
      name: "xroad",
      image: image(role === "server" ? "standalone" : "primary"),
      envFromSecrets: secretsFrom,
      env: [{ name: "XROAD_LOG_LEVEL", value: logLevel }, ...databaseEnv],
      ports: role === "primary" ? [...ports, port("ssh")] : ports,
      probes: probes(60),
      resources,
      mounts: [
        { volume: "config", path: "/etc/xroad" },
        { volume: "data", path: "/var/lib/xroad" },
        // The parent of 16/main: a block volume's lost+found would make initdb refuse a non-empty directory.
        ...(topology === "single" ? [{ volume: "postgresql", path: "/var/lib/postgresql" }] : []),
        ...(role === "primary" ? [{ volume: "ssh", path: "/etc/.ssh", readOnly: true }] : []),
        ...propertiesMount,
      ],
      security: xroadSecurity,
    });

    let serving: Workload;
    let adminOwner: Workload;
    if (!ha) {
      // The one pod that owns the configuration: `Recreate` (from the kit) releases its volumes first.
      serving = new Workload(
        `${name}-server`,
        {
          ...common,
          component: "security-server",
          serviceAccountName,
          container: owner("server"),
          sidecars: archiver ? [archiver] : undefined,
          volumes: [
            volumeFor("config", configSize),
            volumeFor("data", dataSize),
            ...(topology === "single" ? [volumeFor("postgresql", databaseSize)] : []),
            ...propertiesVolume,
            ...archiverVolumes,
          ],
          services: [...messagingService, consumerService, adminService],
          allowFrom: [messaging, ...consumers, ...admins],
          allowTo: [...egress, ...(archiver ? [podIdentityAgent()] : [])],
        },
        kit,
      );
      adminOwner = serving;
    } else {
      const secondaryLabels = selectorLabels({ name: XROAD_APP, instance: name, component: "secondary" });
      const primaryLabels = selectorLabels({ name: XROAD_APP, instance: name, component: "primary" });
      const primary = (adminOwner = new Workload(
        `${name}-primary`,
        {
          ...common,
          component: "primary",
          replicas: 1,
          singleReplicaReason: "exactly one primary owns /etc/xroad and the message-log archives; it serves no client traffic (seed 004 §2.3)",
          serviceAccountName,
          container: owner("primary"),
          sidecars: archiver ? [archiver] : undefined,
          volumes: [
            volumeFor("config", configSize, args.sharedConfig),
            volumeFor("data", dataSize),
            // The primary gets only the public key: sshd's authorized key for the sync user.
            { name: "ssh", secretName: sshSecret!.metadata.name, items: [{ key: "public-key", path: "id_rsa.pub", mode: 0o644 }] },
            ...propertiesVolume,
            ...archiverVolumes,
          ],
          services: [
            adminService,
            // The headless Service the secondaries sync from; it publishes the primary while it is
            // not ready (5588 stays red until registration), else the secondaries could never sync.
            { name: `${name}-primary`, ports: ["ssh"], headless: true, publishNotReadyAddresses: true },
          ],
          allowFrom: [...admins, { peers: [{ podLabels: secondaryLabels }], ports: [XROAD_PORTS.ssh] }],
          allowTo: [...egress, ...(archiver ? [podIdentityAgent()] : [])],
        },
        kit,
      ));
      serving = new Workload(
        `${name}-secondary`,
        {
          ...common,
          component: "secondary",
          replicas: secondaries,
          // One secondary at a time leaves the load balancer during a rollout (the kit's ha default).
          rollout: { maxUnavailable: 1, maxSurge: 0 },
          minReadySeconds: 30,
          container: {
            name: "xroad",
            image: image("secondary"),
            // Secondaries get db.properties from the primary over rsync; they never need the master password.
            envFromSecrets: [credentials.metadata.name],
            env: [{ name: "XROAD_PRIMARY_DNS", value: pulumi.interpolate`${name}-primary.${namespace}.svc.cluster.local` }],
            ports,
            // The first start waits for the first sync from the primary.
            probes: probes(180),
            resources,
            mounts: [{ volume: "ssh", path: "/etc/.ssh", readOnly: true }],
            security: xroadSecurity,
          },
          volumes: [
            // 0644 and root-owned: rsync runs as the xroad user, and ssh accepts a key file another user owns
            // (upstream/xroad.md §3 "Sync mechanics").
            {
              name: "ssh",
              secretName: sshSecret!.metadata.name,
              items: [
                { key: "private-key", path: "id_rsa", mode: 0o644 },
                { key: "public-key", path: "id_rsa.pub", mode: 0o644 },
              ],
            },
          ],
          services: [...messagingService, consumerService],
          allowFrom: [messaging, ...consumers],
          allowTo: [...egress, { peers: [{ podLabels: primaryLabels }], ports: [XROAD_PORTS.ssh] }],
        },
        // A version change reaches the primary first; with `registered` Pulumi waits for it to be ready.
        { ...kit, dependsOn: [rolloutOf(primary)] },
      );
    }

    // The messaging Service comes first among the serving role's Services when there is one.
    const lb = loadBalancer ? serving.services[0] : undefined;
    this.loadBalancerHostname = lb ? lb.status.loadBalancer.ingress.apply((i) => i?.[0]?.hostname ?? i?.[0]?.ip) : pulumi.output(undefined);
    this.adminUrl = pulumi.interpolate`https://${name}-admin.${namespace}.svc.cluster.local:${XROAD_PORTS.admin}`;
    this.adminEndpointUrl = adminOwner.endpointUrls[0];
    this.dnsRecords = [...adminOwner.dnsRecords];
    // The messaging NLB's name: an alias in the stack's zone, or a record for the user to make.
    if (lb && args.messagingHostname) {
      const target = this.loadBalancerHostname.apply((h) => h ?? "");
      if (args.messagingDns) {
        aliasRecord(`${name}-messaging-dns`, { zoneId: args.messagingDns.hostedZoneId, hostname: args.messagingHostname, target, targetZoneId: args.messagingDns.loadBalancerZoneId }, child);
      } else {
        this.dnsRecords.push(dnsRecordFor(args.messagingHostname, target));
      }
    }
    this.consumerUrl = pulumi.interpolate`http://${name}-consumers.${namespace}.svc.cluster.local:${XROAD_PORTS.http}`;
    this.image = image(ha ? "primary" : "standalone");
    this.registerOutputs({
      namespace: this.namespace,
      loadBalancerHostname: this.loadBalancerHostname,
      adminUrl: this.adminUrl,
      adminEndpointUrl: this.adminEndpointUrl,
      consumerUrl: this.consumerUrl,
    });
  }
}

/** Names of the Secrets an X-Road Security Server keeps its credentials in. */
export interface XRoadSecretNames {
  /** Admin user and password, token PIN. */
  credentials: string;
  /** The database password (and xroad.properties for another superuser). */
  database?: string;
  /** The configuration sync key pair (ha). */
  ssh?: string;
}

/** Refuses contradictory args with the arg name, the value and what is allowed; returns the (empty) component inputs. */
function checkArgs(name: string, args: XRoadSecurityServerArgs): Record<string, never> {
  const topology = args.topology;
  const variant = args.variant ?? "slim";
  const secondaries = args.secondaries ?? 2;
  const scheme = args.loadBalancerScheme ?? "internet-facing";
  const targetType = args.loadBalancerTargetType ?? "instance";
  const fail = (key: string, value: unknown, allowed: string) => argError(`XRoadSecurityServer ${name}`, key, value, allowed);
  if (!XROAD_TOPOLOGIES.includes(topology)) fail("topology", topology, XROAD_TOPOLOGIES.join(", "));
  if (!DEFAULT_MEMORY[variant]) fail("variant", variant, "slim or full");
  if (topology !== "single" && !args.database) fail("database", undefined, `an external PostgreSQL 16 for topology ${topology}`);
  if (args.database && args.database.password === undefined) fail("database.password", undefined, "the superuser's password (secret)");
  if (topology === "single" && args.database) fail("database", "(given)", "none: topology single runs PostgreSQL inside the pod");
  if (topology === "ha" && secondaries < 2) fail("secondaries", secondaries, "at least 2 in ha (no single replica serves traffic alone)");
  if (!["internet-facing", "internal"].includes(scheme)) fail("loadBalancerScheme", scheme, "internet-facing or internal");
  if (!["instance", "ip"].includes(targetType)) fail("loadBalancerTargetType", targetType, "instance or ip");
  if (args.sharedConfig && topology !== "ha") fail("sharedConfig", true, "only with topology ha");
  if (args.hostPath && topology !== "single") fail("hostPath", args.hostPath, "only with topology single");
  if (args.adminEndpoint && (args.allowedCidrs ?? []).length === 0) fail("allowedCidrs", [], "the CIDRs that may reach the admin UI at its endpoint (a VPN or office range): required with adminEndpoint");
  if (args.messagingDns && !args.messagingHostname) fail("messagingDns", "(given)", "with messagingHostname: the name the record is for");
  if (args.messagingHostname && !args.loadBalancer && args.loadBalancer !== undefined) fail("messagingHostname", args.messagingHostname, "only with loadBalancer: it names the messaging NLB");
  if (args.archive) seconds(args.archive.interval ?? "6h");
  return {};
}
