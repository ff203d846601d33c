/**
 * Repository Service for TUF (RSTUF) on Kubernetes, the deployment of seed 000
 * made to work with the current images (upstream/rstuf.md): the REST API, the
 * Celery workers that sign and write the TUF metadata, a read-only metadata
 * web server, PostgreSQL and Redis (from the platform), in three topologies:
 *
 * - single:      API 1, worker 1, in-cluster PostgreSQL and Redis, the metadata
 *                on a ReadWriteOnce volume shared by the worker and nginx in one pod;
 * - external-db: RDS PostgreSQL (TLS through PGSSLMODE), ElastiCache Redis
 *                (no TLS, no AUTH: RSTUF cannot), the metadata in S3 read
 *                through nginx and the S3 gateway with EKS Pod Identity;
 * - ha:          APIs ≥ 2, workers ≥ 2, web ≥ 2 on S3 (or a ReadWriteMany
 *                volume), the schema migrated by one Job before the workers roll.
 *
 * Built from the service kit; which env var each image reads, and why, is in
 * upstream/rstuf.md §2 (API v1.0.1, worker v1.0.2).
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as crypto from "crypto";
import { keyUseStatement, policyDocument, PolicyStatement, STATIC_CREDENTIALS_TAG } from "../../aws/common";
import { awsIdentity } from "../../kubernetes/access";
import { argError } from "../../checks";
import { credentialsSecret, DataEndpoint, egressTo } from "../../kubernetes/datastore";
import { DnsRecordOutput, EndpointClassArgs } from "../../kubernetes/endpoint";
import { appLabels, selectorLabels } from "../../kubernetes/labels";
import { ServiceNamespace, TOPOLOGY_LABEL } from "../../kubernetes/namespace";
import { cidrRule, PeerArgs, podIdentityAgent, TrafficRuleArgs } from "../../kubernetes/network";
import { Task } from "../../kubernetes/task";
import { ContainerArgs, EnvVarArgs, podSecurityLevel, ResourcesArgs, resourcesWithDefaults, rolloutOf, SchedulingArgs, VolumeArgs, Workload } from "../../kubernetes/workload";
import { publicKeyPem, sslibKey } from "./keyid";
import { METADATA_WEB_IMAGE, metadataNginxConf } from "../../kubernetes/metadata-web";

export const RSTUF_TOPOLOGIES = ["single", "external-db", "ha"];
export const RSTUF_APP_NAME = "repository-service-tuf";
/** The releases run by default (upstream/rstuf.md §0). */
export const RSTUF_VERSIONS = { api: "v1.0.1", worker: "v1.0.2" };
export const RSTUF_WEB_IMAGE = METADATA_WEB_IMAGE;
export const RSTUF_IMAGE_REPOSITORIES = {
  api: "ghcr.io/repository-service-tuf/repository-service-tuf-api",
  worker: "ghcr.io/repository-service-tuf/repository-service-tuf-worker",
};

/** Ports: the API as a non-root process, nginx in front of the metadata, the S3 gateway's own (its unprivileged image). */
export const RSTUF_PORTS = { api: 8080, web: 8000, gateway: 8080 } as const;
/** Where the worker writes the metadata with LocalStorage (the guide's path). */
export const RSTUF_STORAGE_PATH = "/var/opt/repository-service-tuf/storage";
/** The directory the worker opens `<keyid>` in (`RSTUF_ONLINE_KEY_DIR`). */
export const RSTUF_ONLINE_KEY_DIR = "/run/secrets/online-key";
/**
 * The API routers an internet-facing API does not serve (`RSTUF_DISABLE_ENDPOINTS`,
 * whole routers with the trailing slash, `:`-separated: API app.py `load_endpoints`):
 * bootstrap, settings, root and delegation changes stay on the internal admin API.
 */
export const RSTUF_ADMIN_ROUTERS = ["/api/v1/bootstrap/", "/api/v1/config/", "/api/v1/metadata/", "/api/v1/delegations/"];

/** The uid nginx has in the nginx images (its `nginx` user, named, so the kubelet could not check it is not root). */
const NGINX_UID = 101;
/** An unprivileged uid for the API and the migration (the images have no USER; nothing they run writes files). */
const PYTHON_UID = 65532;

/** The metadata on a volume (LocalStorage). */
export interface RstufLocalStorageArgs {
  /** @default "1Gi" */
  size?: string;
  /** StorageClass of the volume. @default the cluster's default */
  storageClass?: pulumi.Input<string>;
  /**
   * ReadWriteMany (EFS): several workers, and a web server of its own with
   * several replicas. Otherwise the volume is ReadWriteOnce and nginx runs in
   * the worker's pod, so both are on the node that holds it. @default false
   */
  readWriteMany?: boolean;
}

/** The metadata in S3 (AWSS3): the bucket the platform made for it. */
export interface RstufS3StorageArgs {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  /** The bucket's KMS key (objects are encrypted with it by default). */
  kmsKeyArn: pulumi.Input<string>;
  region: string;
  /** The EKS cluster whose Pod Identity gives the S3 gateway its read role. */
  clusterName: pulumi.Input<string>;
}

/** The role's replicas and resources. */
export interface RstufRoleArgs {
  /** @default 1, or 2 in ha */
  replicas?: number;
  resources?: ResourcesArgs;
}

/** HTTPS endpoints of the API and the metadata. */
export interface RstufEndpointsArgs {
  endpointClass: EndpointClassArgs;
  /** @default `rstuf-api.<domain>` */
  apiHostname?: string;
  /** @default `rstuf-metadata.<domain>` */
  metadataHostname?: string;
  /**
   * The API is internet-facing (for CI publishing artifacts): its admin routers
   * are then disabled, and an internal admin API serves them. @default false (internal)
   */
  apiPublic?: boolean;
  /** Who may read the metadata. @default [] (anyone: TUF clients everywhere) */
  metadataSourceRanges?: string[];
}

export interface RepositoryServiceTufArgs {
  /** "single", "external-db" or "ha". */
  topology: string;
  /** @default "rstuf" */
  namespace?: string;
  /** API image tag. @default "v1.0.1" */
  apiVersion?: string;
  /** Worker image tag. @default "v1.0.2" */
  workerVersion?: string;
  /** @default "ghcr.io/repository-service-tuf/repository-service-tuf-api" */
  apiImageRepository?: string;
  /** @default "ghcr.io/repository-service-tuf/repository-service-tuf-worker" */
  workerImageRepository?: string;
  /** nginx for the metadata, and the S3 gateway with S3 (one image). @default RSTUF_WEB_IMAGE */
  webImage?: string;
  api?: RstufRoleArgs;
  worker?: RstufRoleArgs;
  web?: RstufRoleArgs;
  /**
   * The online key (unencrypted PEM: Ed25519, ECDSA P-256 or RSA; secret).
   * @default an Ed25519 key generated once and kept in the stack's state
   */
  onlineKeyPem?: pulumi.Input<string>;
  /** An AWS KMS signing key instead (the ceremony then names `awskms:<arn>`). */
  onlineKeyAwsKmsArn?: string;
  /**
   * During a rotation: the online key root still names (unencrypted PEM, secret).
   * Its file stays beside the new key's until root names the new one (docs/rstuf.md).
   */
  previousOnlineKeyPem?: pulumi.Input<string>;
  /** `RSTUF_LOCK_TIMEOUT` seconds. @default 500 */
  lockTimeout?: number;
  /** The API's log level (the worker's is fixed by its image). @default "INFO" */
  logLevel?: string;
  /** PostgreSQL (its database and role exist). */
  database: DataEndpoint;
  /** Redis, without TLS and AUTH (RSTUF can use neither). */
  cache: DataEndpoint;
  /** Metadata on a volume. One of localStorage or s3Storage. */
  localStorage?: RstufLocalStorageArgs;
  /** Metadata in S3. */
  s3Storage?: RstufS3StorageArgs;
  /** Endpoints (absent: the API and the metadata stay inside the cluster). */
  endpoints?: RstufEndpointsArgs;
  /** CIDRs that may reach the API (at its endpoint, or its pods). Required with endpoints. @default [] */
  allowedCidrs?: string[];
  /** Namespaces whose pods may reach the API and the metadata. @default [] */
  allowedNamespaces?: string[];
  /** The ceremony's ceremony-payload.json: a Job bootstraps the repository with it, once. */
  bootstrapPayload?: pulumi.Input<string>;
  scheduling?: SchedulingArgs;
  /** Keep the namespace, volumes and IAM user on destroy. @default false */
  production?: boolean;
}

const DEFAULT_RESOURCES: Record<"api" | "worker" | "web" | "gateway" | "migrate", ResourcesArgs> = {
  api: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  worker: { requests: { cpu: "250m", memory: "768Mi" }, limits: { cpu: "2", memory: "1536Mi" } },
  web: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  gateway: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  migrate: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
};


/**
 * RSTUF: API, workers, metadata web server and the online key, on the
 * PostgreSQL, Redis and storage the platform hands over.
 */
export class RepositoryServiceTuf extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** The API inside the cluster (all routers). */
  public readonly apiUrl: pulumi.Output<string>;
  /** The API's HTTPS endpoint. */
  public readonly apiEndpointUrl?: string;
  /** The metadata inside the cluster. */
  public readonly metadataUrl: pulumi.Output<string>;
  /** The metadata's HTTPS endpoint (what TUF clients and `rstuf admin metadata update --metadata-url` use). */
  public readonly metadataEndpointUrl?: string;
  /** The online key's id (securesystemslib's, as the RSTUF CLI computes it in the ceremony); absent with KMS. */
  public readonly onlineKeyId: pulumi.Output<string | undefined>;
  /** The online key's public half (PEM) for the ceremony's "Key PEM File"; absent with KMS. */
  public readonly onlinePublicKey: pulumi.Output<string | undefined>;
  /** The URI the ceremony writes into root (`fn:<keyid>` or `awskms:<arn>`). */
  public readonly onlineKeyUri: pulumi.Output<string>;
  /** DNS records to create for the endpoints (where the stack writes none). */
  public readonly dnsRecords: DnsRecordOutput[];
  /** The IAM user whose access key the workers hold (S3 and KMS; worker issue 783). */
  public readonly workerUserName?: pulumi.Output<string>;

  constructor(name: string, args: RepositoryServiceTufArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:RepositoryServiceTuf", name, checkArgs(name, args), opts);
    const topology = args.topology;
    const ha = topology === "ha";
    const production = args.production ?? false;
    const namespaceName = args.namespace ?? "rstuf";
    const apiVersion = args.apiVersion ?? RSTUF_VERSIONS.api;
    const workerVersion = args.workerVersion ?? RSTUF_VERSIONS.worker;
    const apiImage = `${args.apiImageRepository ?? RSTUF_IMAGE_REPOSITORIES.api}:${apiVersion}`;
    const workerImage = `${args.workerImageRepository ?? RSTUF_IMAGE_REPOSITORIES.worker}:${workerVersion}`;
    const webImage = args.webImage ?? RSTUF_WEB_IMAGE;
    const db = args.database;
    const cache = args.cache;
    const s3 = args.s3Storage;
    const local = args.localStorage;
    const workers = args.worker?.replicas ?? (ha ? 2 : 1);
    const webReplicas = args.web?.replicas ?? (ha ? 2 : 1);
    const apiReplicas = args.api?.replicas ?? (ha ? 2 : 1);
    // nginx beside the worker, on the node that holds a ReadWriteOnce volume.
    const webInWorkerPod = local !== undefined && !local.readWriteMany;
    const allowedCidrs = args.allowedCidrs ?? [];
    const allowedNamespaces = args.allowedNamespaces ?? [];
    const child = { parent: this };
    const tags = { "trust-services/service": "rstuf" };
    const labelsOf = (component: string) => appLabels({ name: RSTUF_APP_NAME, instance: name, component, version: workerVersion });

    // --- The namespace. The worker image runs as root: its entrypoint migrates and starts
    // supervisord, and celery beat writes its schedule into the working directory.
    const workerSecurity = {
      level: "baseline",
      reason:
        "the RSTUF worker image has no USER: its entrypoint runs alembic and supervisord as root, and celery beat writes celerybeat-schedule into /opt/repository-service-tuf-worker (upstream/rstuf.md §2)",
      readOnlyRootFilesystem: false,
      dropCapabilities: ["NET_RAW"],
      allowPrivilegeEscalation: false,
    };
    const level = podSecurityLevel([workerSecurity]);
    const ns = new ServiceNamespace(
      `${name}-ns`,
      {
        name: namespaceName,
        podSecurity: level.level,
        podSecurityReason: level.reasons.join("; "),
        labels: { "trust-services/service": "rstuf", [TOPOLOGY_LABEL]: topology },
        retainOnDelete: production,
      },
      child,
    );
    const namespace = ns.name;
    this.namespace = namespace;

    // --- The online key: generated once (Ed25519, PKCS#8 as the worker reads it) unless given.
    let onlinePem: pulumi.Output<string> | undefined;
    let publicPem: pulumi.Output<string> | undefined;
    if (args.onlineKeyAwsKmsArn === undefined) {
      if (args.onlineKeyPem !== undefined) {
        onlinePem = pulumi.secret(args.onlineKeyPem);
        // The public half is public: unwrapped so the id and key reach the outputs in clear.
        publicPem = pulumi.unsecret(onlinePem.apply(publicKeyPem));
      } else {
        const key = new tls.PrivateKey(`${name}-online-key`, { algorithm: "ED25519" }, { parent: this, protect: production });
        onlinePem = pulumi.secret(key.privateKeyPemPkcs8);
        publicPem = key.publicKeyPem;
      }
    }
    const keyId = publicPem ? publicPem.apply((p) => sslibKey(p).keyid) : undefined;
    this.onlineKeyId = keyId ? keyId.apply((k): string | undefined => k) : pulumi.output(undefined);
    this.onlinePublicKey = publicPem ? publicPem.apply((p): string | undefined => p) : pulumi.output(undefined);
    this.onlineKeyUri = keyId ? keyId.apply((k) => `fn:${k}`) : pulumi.output(`awskms:${args.onlineKeyAwsKmsArn}`);
    // One file named after the key id: the worker opens $RSTUF_ONLINE_KEY_DIR/<keyid> (signer.py FileNameSigner).
    // During a rotation the previous key's file stays beside it: root names the old key until the
    // update, and the update task signs with the new one at once (worker repository.py, update).
    const previousPem = args.previousOnlineKeyPem !== undefined ? pulumi.secret(args.previousOnlineKeyPem) : undefined;
    const previousId = previousPem ? pulumi.unsecret(previousPem.apply((p) => sslibKey(p).keyid)) : undefined;
    // Moving from a PEM key to KMS, the previous file stays mounted until root names the KMS key.
    const keyFiles = pulumi
      .all([keyId ?? "", onlinePem ?? "", previousId ?? "", previousPem ?? ""])
      .apply(([id, pem, oldId, oldPem]): Record<string, string> => ({ ...(oldId && oldId !== id ? { [oldId]: oldPem } : {}), ...(id ? { [id]: pem } : {}) }));
    const keySecret =
      (onlinePem && keyId) || previousPem
        ? new k8s.core.v1.Secret(
            `${name}-online-key`,
            {
              metadata: { name: `${name}-online-key`, namespace, labels: labelsOf("online-key") },
              type: "Opaque",
              stringData: pulumi.secret(keyFiles),
            },
            child,
          )
        : undefined;

    // --- The database password, and its CA, in this namespace.
    const dbSecret = credentialsSecret(`${name}-database`, db, { namespace, labels: labelsOf("credentials"), passwordKey: "password", caKey: "ca.crt" }, child);

    // --- S3 and KMS: the worker's signer and its S3 client take static keys only (worker issue 783:
    // its signer's isolated env drops Pod Identity's variables), so a dedicated IAM user may do exactly this.
    let awsSecret: k8s.core.v1.Secret | undefined;
    let awsKeyDigest: pulumi.Output<string> | undefined;
    if (s3 || args.onlineKeyAwsKmsArn) {
      const statements: PolicyStatement[] = [
        ...(s3
          ? [
              // The worker lists the buckets at start and refuses to run when its bucket is missing (awss3.py configure).
              { Sid: "FindTheBucket", Effect: "Allow" as const, Action: "s3:ListAllMyBuckets", Resource: "*" },
              { Sid: "ListMetadata", Effect: "Allow" as const, Action: "s3:ListBucket", Resource: s3.bucketArn },
              {
                Sid: "ReadWriteMetadata",
                Effect: "Allow" as const,
                // put_object always sends an ACL (bucket-owner-full-control), which needs PutObjectAcl.
                Action: ["s3:GetObject", "s3:PutObject", "s3:PutObjectAcl"],
                Resource: pulumi.interpolate`${s3.bucketArn}/*`,
              },
              { Sid: "BucketKey", ...keyUseStatement(s3.kmsKeyArn) },
            ]
          : []),
        ...(args.onlineKeyAwsKmsArn ? [{ Sid: "OnlineKey", Effect: "Allow" as const, Action: ["kms:Sign", "kms:GetPublicKey"], Resource: args.onlineKeyAwsKmsArn }] : []),
      ];
      const user = new aws.iam.User(
        `${name}-worker`,
        {
          path: "/trust-services/",
          tags: {
            ...tags,
            [STATIC_CREDENTIALS_TAG]: "RSTUF worker takes only static AWS keys for S3 and KMS (repository-service-tuf-worker#783)",
          },
        },
        { parent: this, retainOnDelete: production },
      );
      new aws.iam.UserPolicy(`${name}-worker`, { user: user.name, policy: policyDocument(statements) }, child);
      const accessKey = new aws.iam.AccessKey(`${name}-worker`, { user: user.name }, child);
      this.workerUserName = user.name;
      awsKeyDigest = accessKey.id.apply((id) => crypto.createHash("sha256").update(id).digest("hex").slice(0, 16));
      awsSecret = new k8s.core.v1.Secret(
        `${name}-aws`,
        {
          metadata: { name: `${name}-aws`, namespace, labels: labelsOf("credentials") },
          type: "Opaque",
          stringData: { RSTUF_AWS_ACCESS_KEY_ID: pulumi.secret(accessKey.id), RSTUF_AWS_SECRET_ACCESS_KEY: pulumi.secret(accessKey.secret) },
        },
        child,
      );
    }

    // --- What API and worker share: Redis (`redis://<host>` exactly; the port apart), the log level.
    const redisEnv: EnvVarArgs[] = [
      { name: "RSTUF_BROKER_SERVER", value: pulumi.interpolate`redis://${cache.host}:${cache.port}` },
      { name: "RSTUF_REDIS_SERVER", value: pulumi.interpolate`redis://${cache.host}` },
      { name: "RSTUF_REDIS_SERVER_PORT", value: pulumi.output(cache.port).apply(String) },
    ];
    // PostgreSQL: the scheme is required; the URL's query string is dropped, so TLS goes through libpq's PGSSLMODE.
    const dbEnv: EnvVarArgs[] = [
      { name: "RSTUF_DB_SERVER", value: pulumi.interpolate`postgresql://${db.host}:${db.port}/${db.database ?? "rstuf"}` },
      { name: "RSTUF_DB_USER", value: db.user ?? "rstuf" },
      { name: "RSTUF_DB_PASSWORD", secretName: dbSecret.metadata.name, secretKey: "password" },
      ...(db.caCertificate !== undefined
        ? [
            { name: "PGSSLMODE", value: "verify-full" },
            { name: "PGSSLROOTCERT", value: "/run/secrets/database/ca.crt" },
          ]
        : db.tls
          ? [{ name: "PGSSLMODE", value: "require" }]
          : []),
      // Connections through NAT and load balancers outlive idle timeouts with keepalives.
      ...(db.location !== "in-cluster" ? [{ name: "RSTUF_DB_KEEPALIVE", value: "true" }] : []),
    ];
    const dbMounts = db.caCertificate !== undefined ? [{ volume: "database-ca", path: "/run/secrets/database", readOnly: true }] : [];
    const dbVolumes: VolumeArgs[] = db.caCertificate !== undefined ? [{ name: "database-ca", secretName: dbSecret.metadata.name, items: [{ key: "ca.crt", path: "ca.crt" }] }] : [];
    const awsRegion = s3?.region ?? args.onlineKeyAwsKmsArn?.split(":")[3];
    const storageEnv: EnvVarArgs[] = s3
      ? [
          { name: "RSTUF_STORAGE_BACKEND", value: "AWSS3" },
          { name: "RSTUF_AWS_STORAGE_BUCKET", value: s3.bucketName },
          // The default (public-read) is refused by buckets that enforce bucket ownership, as ours do.
          { name: "RSTUF_AWS_S3_OBJECT_ACL", value: "bucket-owner-full-control" },
        ]
      : [
          { name: "RSTUF_STORAGE_BACKEND", value: "LocalStorage" },
          { name: "RSTUF_LOCAL_STORAGE_BACKEND_PATH", value: RSTUF_STORAGE_PATH },
        ];
    const common = {
      namespace,
      topology,
      app: RSTUF_APP_NAME,
      instance: name,
      podLabels: { "trust-services/service": "rstuf" },
      scheduling: args.scheduling,
      production,
    };

    // --- Who talks to whom, on top of the namespace's default deny.
    const clients: PeerArgs[] = [
      ...allowedNamespaces.map((n): PeerArgs => ({ namespace: n })),
      ...(allowedCidrs.length ? [{ cidrs: allowedCidrs }] : []),
    ];
    const toCache = egressTo(cache);
    const toDb = egressTo(db);
    const toAws: TrafficRuleArgs[] = s3 || args.onlineKeyAwsKmsArn ? [cidrRule(["0.0.0.0/0"], [443])] : [];

    // --- The schema migration: one Job per worker version, before any worker starts
    // (each worker's entrypoint still runs `alembic upgrade head`, then finds nothing to do).
    const migrate = new Task(
      `${name}-migrate`,
      {
        ...common,
        component: "migrate",
        version: workerVersion,
        container: {
          name: "migrate",
          image: workerImage,
          command: ["alembic", "upgrade", "head"],
          workingDir: "/opt/repository-service-tuf-worker",
          env: dbEnv,
          resources: DEFAULT_RESOURCES.migrate,
          mounts: dbMounts,
          security: { runAsUser: PYTHON_UID, runAsGroup: PYTHON_UID },
        },
        volumes: dbVolumes,
        allowTo: [toDb],
      },
      child,
    );

    // --- The metadata web server: our nginx (caching by TUF's rules), over the volume or the S3 gateway.
    const webResources = resourcesWithDefaults(args.web?.resources, DEFAULT_RESOURCES.web);
    const nginxConf = new k8s.core.v1.ConfigMap(
      `${name}-web`,
      {
        metadata: { name: `${name}-web`, namespace, labels: labelsOf("web") },
        data: {
          "nginx.conf": s3
            ? metadataNginxConf({ port: RSTUF_PORTS.web, upstream: `http://127.0.0.1:${RSTUF_PORTS.gateway}` })
            : metadataNginxConf({ port: RSTUF_PORTS.web, root: RSTUF_STORAGE_PATH }),
        },
      },
      child,
    );
    const nginx: ContainerArgs = {
      name: "nginx",
      image: webImage,
      // Our configuration, not the image's entrypoint (which renders the gateway's).
      command: ["nginx", "-c", "/etc/rstuf-web/nginx.conf", "-g", "daemon off;"],
      ports: [{ name: "http", port: RSTUF_PORTS.web }],
      probes: {
        liveness: { httpPath: "/health", port: RSTUF_PORTS.web, periodSeconds: 10, failureThreshold: 3 },
        readiness: { httpPath: "/health", port: RSTUF_PORTS.web, periodSeconds: 5, failureThreshold: 2 },
      },
      resources: webResources,
      mounts: [
        { volume: "web-config", path: "/etc/rstuf-web", readOnly: true },
        { volume: "web-tmp", path: "/tmp" },
        ...(local ? [{ volume: "storage", path: RSTUF_STORAGE_PATH, readOnly: true }] : []),
      ],
      security: { runAsUser: NGINX_UID, runAsGroup: NGINX_UID },
    };
    const webVolumes: VolumeArgs[] = [
      { name: "web-config", configMapName: nginxConf.metadata.name },
      { name: "web-tmp", emptyDir: true, sizeLimit: "1Gi" },
    ];
    const metadataReaders: TrafficRuleArgs[] = clients.length ? [{ peers: clients, ports: [RSTUF_PORTS.web] }] : [];
    const metadataService = {
      name: `${name}-metadata`,
      ports: ["http"],
      endpoint: args.endpoints
        ? {
            endpointClass: args.endpoints.endpointClass,
            name: "rstuf-metadata",
            hostname: args.endpoints.metadataHostname,
            internal: false,
            ...((args.endpoints.metadataSourceRanges ?? []).length
              ? { sourceRanges: args.endpoints.metadataSourceRanges }
              : { openToAnyoneReason: "TUF metadata is public and signed: clients everywhere fetch it (seed 000 web-metadata)" }),
            healthCheckPath: "/health",
          }
        : undefined,
    };

    // --- The workers.
    const workerResources = resourcesWithDefaults(args.worker?.resources, DEFAULT_RESOURCES.worker);
    // Started once: a Celery ping of the pod's own node over the broker (the chart's probe). Each ping is a
    // new Python process that imports the app (pandas among it) and leaves a reply binding in Redis, so it
    // is the startup probe only.
    const ping = ["sh", "-c", "celery -A app inspect ping -d rstuf@$RSTUF_WORKER_ID --timeout 10"];
    // Alive: both Celery programs of supervisor.conf (signing, and the jobs with beat) are running.
    const alive = ["python3", "-c", WORKER_ALIVE];
    const worker = new Workload(
      `${name}-worker`,
      {
        ...common,
        component: "worker",
        version: workerVersion,
        replicas: workers,
        // supervisord stops Celery warmly, so a worker finishes the task it holds the metadata lock for: its two
        // programs one after the other, each within stopwaitsecs 300 (the image's supervisor.conf).
        terminationGracePeriodSeconds: 630,
        // The IAM user's key is read at start: a new key rolls the workers before the old one is deleted.
        podAnnotations: awsKeyDigest ? { "trust-services.io/aws-access-key": awsKeyDigest } : undefined,
        container: {
          name: "worker",
          image: workerImage,
          // The image's entrypoint, but supervisord as PID 1 (`exec`): bash as PID 1 ignores the SIGTERM of a
          // pod deletion, and the worker would be killed mid-write after the grace period.
          command: ["bash", "-c", "alembic upgrade head && exec supervisord -c \"$DATA_DIR/supervisor.conf\""],
          env: [
            ...redisEnv,
            ...dbEnv,
            ...storageEnv,
            // The probe asks this Celery node name; the entrypoint defaults it to the hostname, the same value.
            { name: "RSTUF_WORKER_ID", fieldPath: "metadata.name" },
            { name: "RSTUF_LOCK_TIMEOUT", value: String(args.lockTimeout ?? 500) },
            // Celery starts one process per CPU it sees, the node's (billiard cpu_count → os.cpu_count), in each
            // of its two programs: Python ≥ 3.13 (the image has 3.14) reads this instead, so the pod fits its limit.
            { name: "PYTHON_CPU_COUNT", value: String(cpuCount(workerResources.limits?.cpu ?? "1")) },
            ...(keySecret ? [{ name: "RSTUF_ONLINE_KEY_DIR", value: RSTUF_ONLINE_KEY_DIR }] : []),
            ...(awsRegion ? [{ name: "RSTUF_AWS_DEFAULT_REGION", value: awsRegion }] : []),
          ],
          envFromSecrets: awsSecret ? [awsSecret.metadata.name] : undefined,
          probes: {
            // Ready once its node answers on the broker: a rollout in ha replaces the next worker only then.
            // No readiness probe after that: the worker serves no Service (nginx beside it has its own).
            startup: { command: ping, periodSeconds: 15, timeoutSeconds: 20, failureThreshold: 40 },
            liveness: { command: alive, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
          },
          resources: workerResources,
          mounts: [
            // Nothing on /data: the image keeps supervisor.conf there.
            ...(keySecret ? [{ volume: "online-key", path: RSTUF_ONLINE_KEY_DIR, readOnly: true }] : []),
            ...(local ? [{ volume: "storage", path: RSTUF_STORAGE_PATH }] : []),
            ...dbMounts,
          ],
          security: workerSecurity,
        },
        sidecars: webInWorkerPod ? [nginx] : undefined,
        volumes: [
          ...(keySecret ? [{ name: "online-key", secretName: keySecret.metadata.name, defaultMode: 0o400 }] : []),
          ...(local ? [{ name: "storage", claim: { size: local.size ?? "1Gi", accessMode: local.readWriteMany ? "ReadWriteMany" : "ReadWriteOnce", storageClass: local.storageClass } }] : []),
          ...dbVolumes,
          ...(webInWorkerPod ? webVolumes : []),
        ],
        services: webInWorkerPod ? [metadataService] : [],
        allowFrom: webInWorkerPod ? metadataReaders : [],
        allowTo: [toCache, toDb, ...toAws],
      },
      // The schema is migrated before any worker of this version starts.
      { parent: this, dependsOn: [migrate] },
    );

    // --- The separate web server (S3, or a ReadWriteMany volume).
    let metadataOwner: Workload = worker;
    if (!webInWorkerPod) {
      let serviceAccountName: pulumi.Output<string> | undefined;
      let gateway: ContainerArgs | undefined;
      if (s3) {
        const readPolicy = policyDocument([
          { Sid: "ReadMetadata", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${s3.bucketArn}/*` },
          { Sid: "BucketKey", Effect: "Allow", Action: ["kms:Decrypt"], Resource: s3.kmsKeyArn },
        ]);
        serviceAccountName = awsIdentity({ namespace, name: `${name}-web`, labels: labelsOf("web"), policy: readPolicy, clusterName: s3.clusterName, tags }, this);
        gateway = {
          name: "s3-gateway",
          image: webImage,
          env: [
            { name: "S3_BUCKET_NAME", value: s3.bucketName },
            { name: "S3_SERVER", value: `s3.${s3.region}.amazonaws.com` },
            { name: "S3_SERVER_PORT", value: "443" },
            { name: "S3_SERVER_PROTO", value: "https" },
            { name: "S3_REGION", value: s3.region },
            { name: "S3_STYLE", value: "virtual-v2" },
            { name: "AWS_SIGS_VERSION", value: "4" },
            { name: "ALLOW_DIRECTORY_LIST", value: "false" },
            { name: "CORS_ENABLED", value: "false" },
            // nginx in front caches by TUF's rules; the gateway keeps nothing (a stale timestamp.json would be served).
            { name: "PROXY_CACHE_VALID_OK", value: "0s" },
            { name: "PROXY_CACHE_VALID_NOTFOUND", value: "0s" },
            { name: "PROXY_CACHE_VALID_FORBIDDEN", value: "0s" },
            { name: "PROXY_CACHE_USE_STALE", value: "off" },
          ],
          probes: {
            liveness: { httpPath: "/health", port: RSTUF_PORTS.gateway, periodSeconds: 10, failureThreshold: 3 },
          },
          resources: DEFAULT_RESOURCES.gateway,
          // The image's entrypoint renders its configuration into /etc/nginx/conf.d at start (nginx image templates).
          security: { runAsUser: NGINX_UID, runAsGroup: NGINX_UID, readOnlyRootFilesystem: false },
        };
      }
      metadataOwner = new Workload(
        `${name}-web`,
        {
          ...common,
          component: "web",
          version: workerVersion,
          replicas: webReplicas,
          serviceAccountName,
          container: nginx,
          sidecars: gateway ? [gateway] : undefined,
          volumes: [...webVolumes, ...(local ? [{ name: "storage", claimName: `${name}-worker-storage`, claimAccessMode: "ReadWriteMany" }] : [])],
          services: [metadataService],
          allowFrom: metadataReaders,
          allowTo: gateway ? [cidrRule(["0.0.0.0/0"], [443]), podIdentityAgent()] : [],
        },
        // With a volume, the claim is the worker's (a pod waits for its claim; Pulumi need not).
        child,
      );
    }

    // --- The API: stateless, as a non-root process on 8080 (the image's entrypoint binds 80 as root).
    const apiResources = resourcesWithDefaults(args.api?.resources, DEFAULT_RESOURCES.api);
    const apiPublic = args.endpoints?.apiPublic ?? false;
    const apiContainer = (disabled: string[]): ContainerArgs => ({
      name: "api",
      image: apiImage,
      command: ["uvicorn", "app:rstuf_app", "--host", "0.0.0.0", "--port", String(RSTUF_PORTS.api)],
      workingDir: "/opt/repository-service-tuf-api",
      env: [
        ...redisEnv,
        // Read by the API only: the worker's logging is fixed in its app.py.
        { name: "RSTUF_LOG_LEVEL", value: args.logLevel ?? "INFO" },
        ...(disabled.length ? [{ name: "RSTUF_DISABLE_ENDPOINTS", value: disabled.join(":") }] : []),
      ],
      ports: [{ name: "http", port: RSTUF_PORTS.api }],
      probes: {
        // The API has no health route: `/` is its static docs page (alive), and a task lookup reads
        // Redis, where every request's state lives (ready).
        startup: { httpPath: "/", port: RSTUF_PORTS.api, periodSeconds: 5, failureThreshold: 60 },
        liveness: { httpPath: "/", port: RSTUF_PORTS.api, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        readiness: { httpPath: "/api/v1/task/?task_id=readiness", port: RSTUF_PORTS.api, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2 },
      },
      resources: apiResources,
      security: { runAsUser: PYTHON_UID, runAsGroup: PYTHON_UID },
    });
    const apiClients: TrafficRuleArgs[] = clients.length ? [{ peers: clients, ports: [RSTUF_PORTS.api] }] : [];
    const bootstrapPeer: TrafficRuleArgs[] =
      args.bootstrapPayload !== undefined ? [{ peers: [{ podLabels: selectorLabels({ name: RSTUF_APP_NAME, instance: name, component: "bootstrap" }) }], ports: [RSTUF_PORTS.api] }] : [];
    const apiEndpoint = args.endpoints
      ? {
          endpointClass: args.endpoints.endpointClass,
          name: "rstuf-api",
          hostname: args.endpoints.apiHostname,
          internal: !apiPublic,
          // Internal: the whole API, an admin API. Public: admin routers disabled, still only allowedCidrs.
          admin: !apiPublic,
          sourceRanges: allowedCidrs,
          healthCheckPath: "/",
        }
      : undefined;
    const api = new Workload(
      `${name}-api`,
      {
        ...common,
        component: "api",
        version: apiVersion,
        replicas: apiReplicas,
        container: apiContainer(apiPublic ? RSTUF_ADMIN_ROUTERS : []),
        services: [{ name: `${name}-api`, ports: ["http"], endpoint: apiEndpoint }],
        allowFrom: [...apiClients, ...(apiPublic ? [] : bootstrapPeer)],
        allowTo: [toCache],
      },
      child,
    );
    // With a public API, the admin routers are served by an internal API of their own
    // (port-forward, or in-cluster clients), which the ceremony and the bootstrap Job use.
    const admin = apiPublic
      ? new Workload(
          `${name}-api-admin`,
          {
            ...common,
            component: "api-admin",
            version: apiVersion,
            replicas: ha ? 2 : 1,
            container: apiContainer([]),
            services: [{ name: `${name}-api-admin`, ports: ["http"] }],
            allowFrom: [...(allowedNamespaces.length ? [{ peers: allowedNamespaces.map((n): PeerArgs => ({ namespace: n })), ports: [RSTUF_PORTS.api] }] : []), ...bootstrapPeer],
            allowTo: [toCache],
          },
          child,
        )
      : api;

    // --- Bootstrap (optional): once the API and a worker are up, send the ceremony's payload;
    // a bootstrapped (or bootstrapping) repository is left as it is.
    if (args.bootstrapPayload !== undefined) {
      const payload = new k8s.core.v1.ConfigMap(
        `${name}-bootstrap`,
        { metadata: { name: `${name}-bootstrap`, namespace, labels: labelsOf("bootstrap") }, data: { "ceremony-payload.json": args.bootstrapPayload, "bootstrap.py": BOOTSTRAP_SCRIPT } },
        child,
      );
      new Task(
        `${name}-bootstrap`,
        {
          ...common,
          component: "bootstrap",
          version: apiVersion,
          container: {
            name: "bootstrap",
            image: apiImage,
            command: ["python3", "/etc/rstuf-bootstrap/bootstrap.py"],
            env: [
              { name: "RSTUF_API", value: pulumi.interpolate`http://${admin.host}:${RSTUF_PORTS.api}` },
              { name: "PAYLOAD", value: "/etc/rstuf-bootstrap/ceremony-payload.json" },
            ],
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            mounts: [{ volume: "bootstrap", path: "/etc/rstuf-bootstrap", readOnly: true }],
            security: { runAsUser: PYTHON_UID, runAsGroup: PYTHON_UID },
          },
          volumes: [{ name: "bootstrap", configMapName: payload.metadata.name }],
          allowTo: [{ peers: [{ podLabels: admin.selector }], ports: [RSTUF_PORTS.api] }],
          activeDeadlineSeconds: 1800,
        },
        { parent: this, dependsOn: [rolloutOf(admin), rolloutOf(worker)] },
      );
    }

    this.apiUrl = pulumi.interpolate`http://${admin.host}:${RSTUF_PORTS.api}`;
    this.apiEndpointUrl = api.endpointUrls[0];
    this.metadataUrl = pulumi.interpolate`http://${metadataOwner.host}:${RSTUF_PORTS.web}`;
    this.metadataEndpointUrl = metadataOwner.endpointUrls[0];
    this.dnsRecords = [...api.dnsRecords, ...metadataOwner.dnsRecords];
    this.registerOutputs({
      namespace: this.namespace,
      apiUrl: this.apiUrl,
      metadataUrl: this.metadataUrl,
      onlineKeyId: this.onlineKeyId,
      onlinePublicKey: this.onlinePublicKey,
      onlineKeyUri: this.onlineKeyUri,
    });
  }
}

/** Whole CPUs in a Kubernetes CPU quantity, rounded up ("2" → 2, "1500m" → 2, "250m" → 1). */
export function cpuCount(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity);
  if (!m) return 1;
  const cpus = Number(m[1]) / (m[2] ? 1000 : 1);
  return Math.max(1, Math.ceil(cpus));
}

/**
 * The worker's liveness check (python3 -c): both Celery programs that supervisord
 * keeps (supervisor.conf: `-Q metadata_repository`, and `-B -Q rstuf_internals`)
 * have a process (their command lines, or the titles Celery gives them when
 * setproctitle is installed: "[celeryd: …] (worker … -Q metadata_repository …)").
 * It matches `-Q <queue>`, which no copy of this script holds. Reads /proc
 * only: no import of the app, no broker traffic. It proves the two programs
 * run, not that they consume: the startup ping did that once.
 */
export const WORKER_ALIVE = String.raw`import os, sys
me = str(os.getpid())
want = [b"-Q " + q for q in (b"metadata_repository", b"rstuf_internals")]
found = set()
for p in os.listdir("/proc"):
    if not p.isdigit() or p == me:
        continue
    try:
        cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ")
    except OSError:
        continue
    if b"celery" in cmd:
        found.update(w for w in want if w in cmd)
sys.exit(0 if len(found) == 2 else 1)
`;

/**
 * The bootstrap Job's script (Python's standard library, in the API image).
 * GET /api/v1/bootstrap/ until the API answers, then by state (API bootstrap_state):
 * - finished: nothing to do;
 * - `signing`: the bootstrap waits for root signatures (`rstuf admin metadata sign`): nothing to send;
 * - `pre`: a bootstrap is under way: follow its task;
 * - none: POST the payload (a 404 means another sender won: read the state again), and follow the task;
 * - anything else (`unknown`): fail, saying so.
 * Following a task ends with SUCCESS (exit 0), or FAILURE / ERRORED (exit 1: the Job is retried,
 * and a stale `pre` lock shows up in the Job's log). Network errors are retried.
 */
export const BOOTSTRAP_SCRIPT = `import json, os, sys, time, urllib.error, urllib.request

API = os.environ["RSTUF_API"].rstrip("/")
FAILED = ("FAILURE", "ERRORED", "REVOKED", "REJECTED")
POLL = float(os.environ.get("POLL_SECONDS", "3"))
RETRY = float(os.environ.get("RETRY_SECONDS", "5"))
# A task PENDING this long is one Celery no longer knows (its result expired, its message lost).
STALE = float(os.environ.get("STALE_SECONDS", "900"))


def call(method, path, body=None):
    req = urllib.request.Request(API + path, data=body, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def retrying(method, path):
    for attempt in range(120):
        try:
            return call(method, path)
        except urllib.error.HTTPError as e:
            if e.code < 500:
                raise
            print("waiting for the API:", e, flush=True)
            time.sleep(RETRY)
        except (urllib.error.URLError, OSError, ValueError) as e:
            print("waiting for the API:", e, flush=True)
            time.sleep(RETRY)
    sys.exit("the API did not answer")


def follow(task_id):
    print("following bootstrap task", task_id, flush=True)
    since = time.monotonic()
    while True:
        task = retrying("GET", "/api/v1/task/?task_id=" + task_id)["data"]
        state = task.get("state")
        if state == "SUCCESS":
            after = retrying("GET", "/api/v1/bootstrap/")["data"]
            if after.get("state") == "signing":
                print("bootstrap sent; it waits for root signatures (rstuf admin metadata sign)", flush=True)
            else:
                print("bootstrap finished", flush=True)
            return
        if state != "PENDING":
            since = time.monotonic()
        elif time.monotonic() - since > STALE:
            sys.exit("bootstrap task %s stays PENDING: a stale pre lock (its result is gone); clear BOOTSTRAP in Redis database 1 (docs/rstuf.md) and retry" % task_id)
        if state in FAILED:
            sys.exit("bootstrap task %s: %s %s" % (task_id, state, json.dumps(task.get("result"))))
        time.sleep(POLL)


def settle(state):
    """True when there is nothing to send; follows a bootstrap under way."""
    if state.get("bootstrap") is True:
        print("the repository is bootstrapped (task %s): nothing to do" % state.get("id"), flush=True)
        return True
    phase = state.get("state")
    if phase == "signing":
        print("the bootstrap waits for root signatures (rstuf admin metadata sign): nothing to send", flush=True)
        return True
    if phase == "pre":
        follow(state.get("id"))
        return True
    if phase is not None:
        sys.exit("unexpected bootstrap state %r: look at the BOOTSTRAP setting in Redis before retrying" % phase)
    return False


def main():
    if settle(retrying("GET", "/api/v1/bootstrap/")["data"]):
        return
    with open(os.environ["PAYLOAD"], "rb") as f:
        payload = f.read()
    try:
        task_id = call("POST", "/api/v1/bootstrap/", payload)["data"]["task_id"]
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
        print("the API says the repository has metadata:", e.read().decode(), flush=True)
        if not settle(retrying("GET", "/api/v1/bootstrap/")["data"]):
            sys.exit("the API refused the bootstrap but reports no bootstrap")
        return
    follow(task_id)


main()
`;

/** Refuses contradictory args with the arg name, the value and what is allowed; returns the (empty) component inputs. */
function checkArgs(name: string, args: RepositoryServiceTufArgs): Record<string, never> {
  const fail = (key: string, value: unknown, allowed: string) => argError(`RepositoryServiceTuf ${name}`, key, value, allowed);
  const ha = args.topology === "ha";
  if (!RSTUF_TOPOLOGIES.includes(args.topology)) fail("topology", args.topology, RSTUF_TOPOLOGIES.join(", "));
  if ((args.localStorage === undefined) === (args.s3Storage === undefined)) fail("localStorage/s3Storage", "(both or neither)", "exactly one");
  if (args.onlineKeyPem !== undefined && args.onlineKeyAwsKmsArn !== undefined) fail("onlineKeyAwsKmsArn", args.onlineKeyAwsKmsArn, "not with onlineKeyPem");
  if (args.cache.tls) fail("cache.tls", true, "false: RSTUF's Redis URL is redis://<host> only (repository-service-tuf-api#91)");
  if (args.cache.password !== undefined) fail("cache.password", "(set)", "none: RSTUF cannot send Redis AUTH (repository-service-tuf-worker#709)");
  // The worker's lock client connects to redis://<host> on the default port whatever RSTUF_REDIS_SERVER_PORT says (worker repository.py).
  if (args.cache.port !== undefined && typeof args.cache.port === "number" && args.cache.port !== 6379) fail("cache.port", args.cache.port, "6379: the worker's metadata lock ignores RSTUF_REDIS_SERVER_PORT");
  const workers = args.worker?.replicas ?? (ha ? 2 : 1);
  if (args.localStorage && !args.localStorage.readWriteMany && (args.web?.replicas ?? 1) > 1) fail("web.replicas", args.web?.replicas, "1 with a ReadWriteOnce volume (nginx runs in the worker's pod)");
  if (args.localStorage && !args.localStorage.readWriteMany && workers > 1) fail("worker.replicas", workers, "1 with a ReadWriteOnce volume; set localStorage.readWriteMany or use s3Storage");
  if (ha) {
    for (const role of ["api", "worker", "web"] as const) {
      const n = args[role]?.replicas ?? 2;
      if (n < 2) fail(`${role}.replicas`, n, "at least 2 in ha");
    }
    if (args.localStorage && !args.localStorage.readWriteMany) fail("localStorage.readWriteMany", false, "true in ha (several workers and web servers share the volume), or s3Storage");
  }
  if (args.endpoints && (args.allowedCidrs ?? []).length === 0) fail("allowedCidrs", [], "the CIDRs that may reach the API at its endpoint (it has no authentication): required with endpoints");
  return {};
}
