/**
 * Pulp 3 on Kubernetes without the operator: the seed's production
 * deployment (seed 001, pulp-k8s) on Pulp 3's architecture
 * (upstream/pulp.md): the REST API, the content app, the task workers and a
 * web server in front of both, on PostgreSQL and Redis from the platform, in
 * three topologies:
 *
 * - single:      one of each; PostgreSQL and Redis in the cluster (TLS with the
 *                service's CA); `/var/lib/pulp` on a ReadWriteOnce volume, the
 *                Pulp pods on its node, `Recreate` rollouts;
 * - external-db: RDS PostgreSQL (verify-full), ElastiCache Redis (TLS, AUTH),
 *                artifacts in S3 through EKS Pod Identity, a scratch volume
 *                per pod for the working directory;
 * - ha:          API, content and web ≥ 2, workers ≥ 4, spread over zones and
 *                nodes, on S3 (or EFS ReadWriteMany).
 *
 * The seed's three limitations are solved: TLS at the load balancer in front of
 * the web server (no NodePort), the API and the content app in separate pods
 * behind one hostname, and on-demand content (the content app streams and the
 * Redis content cache is on).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as crypto from "crypto";
import { keyUseStatement, policyDocument } from "../../aws/common";
import { argError, imageTag } from "../../checks";
import { awsIdentity } from "../../kubernetes/access";
import { DataEndpoint, egressTo } from "../../kubernetes/datastore";
import { DnsRecordOutput, EndpointClassArgs } from "../../kubernetes/endpoint";
import { appLabels, selectorLabels } from "../../kubernetes/labels";
import { METADATA_WEB_IMAGE } from "../../kubernetes/metadata-web";
import { ServiceNamespace, TOPOLOGY_LABEL } from "../../kubernetes/namespace";
import { cidrRule, PeerArgs, podIdentityAgent, TrafficRuleArgs } from "../../kubernetes/network";
import { Task } from "../../kubernetes/task";
import { ContainerArgs, EnvVarArgs, MountArgs, ResourcesArgs, resourcesWithDefaults, SchedulingArgs, VolumeArgs, Workload } from "../../kubernetes/workload";
import { pulpNginxConf } from "./web";
import { PULP_PATHS, pulpSettingsPy } from "./settings-file";

export { PULP_PATHS, pulpSettingsPy, pythonLiteral } from "./settings-file";
export { pulpNginxConf } from "./web";

export const PULP_TOPOLOGIES = ["single", "external-db", "ha"];
export const PULP_APP_NAME = "pulp";
/**
 * pulp-minimal (pulpcore with its plugins) at the newest supported branch's
 * release; the web server is this project's nginx configuration in the
 * unprivileged nginx image the kit uses (pulp-web is stock nginx, which does
 * not run as a non-root user: pulp-oci-images#736).
 */
export const PULP_IMAGES = { pulp: "quay.io/pulp/pulp-minimal:3.105.16", web: METADATA_WEB_IMAGE };
export const PULP_PORTS = { api: 24817, content: 24816, web: 8080 } as const;
/** The pulp user of the Pulp images. */
export const PULP_UID = 700;
const NGINX_UID = 101;

/** Replicas and resources of one role. */
export interface PulpRoleArgs {
  /** @default 1; in ha 2 (4 workers) */
  replicas?: number;
  resources?: ResourcesArgs;
}

/** Artifacts on a volume at /var/lib/pulp. */
export interface PulpVolumeArgs {
  /** @default "50Gi" */
  size?: string;
  storageClass?: pulumi.Input<string>;
  /**
   * ReadWriteMany (several replicas on several nodes). Otherwise the volume is
   * ReadWriteOnce and every Pulp pod runs on its node. @default false
   */
  readWriteMany?: boolean;
}

/** Artifacts in the S3 bucket the platform made. */
export interface PulpBucketArgs {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  region: string;
  /** The EKS cluster whose Pod Identity gives the Pulp pods their S3 role. */
  clusterName: pulumi.Input<string>;
  /** Scratch space of each pod (/var/lib/pulp, where tasks work). @default "10Gi" */
  scratchSize?: string;
}

/** The HTTPS endpoint. */
export interface PulpEndpointArgs {
  endpointClass: EndpointClassArgs;
  /** @default `pulp.<domain>` */
  hostname?: string;
  /** Who may reach it. @default [] (anyone: clients pull content from everywhere) */
  sourceRanges?: string[];
}

export interface PulpArgs {
  /** "single", "external-db" or "ha". */
  topology: string;
  /** @default "pulp" */
  namespace?: string;
  /** @default PULP_IMAGES.pulp */
  image?: string;
  /** @default PULP_IMAGES.web */
  webImage?: string;
  api?: PulpRoleArgs;
  content?: PulpRoleArgs;
  worker?: PulpRoleArgs;
  web?: PulpRoleArgs;
  /** Seconds a stopping worker may finish its task in (it takes no new one). @default 3600 */
  workerGracePeriodSeconds?: number;
  /** The admin user's password (secret). @default generated once */
  adminPassword?: pulumi.Input<string>;
  /**
   * The database-fields encryption key (a Fernet key, secret), to bring back the key of an
   * earlier deployment whose database this one takes over. @default generated once
   */
  databaseFieldsKey?: pulumi.Input<string>;
  /** PostgreSQL (its database and role exist). */
  database: DataEndpoint;
  /** Redis (the content cache). */
  cache: DataEndpoint;
  /** Artifacts on a volume; one of volume or bucket. */
  volume?: PulpVolumeArgs;
  bucket?: PulpBucketArgs;
  endpoint?: PulpEndpointArgs;
  /** Namespaces whose pods may reach the web server. @default [] */
  allowedNamespaces?: string[];
  scheduling?: SchedulingArgs;
  /** Keep the namespace, volume and keys on destroy. @default false */
  production?: boolean;
}

const DEFAULT_RESOURCES: Record<"api" | "content" | "worker" | "web" | "job", ResourcesArgs> = {
  api: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1536Mi" } },
  content: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  worker: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } },
  web: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  job: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
};

/**
 * The worker's liveness (pulpcore-manager shell): the worker of this pod (named
 * `<pid>@<hostname>`) has a heartbeat in the database within its TTL. A stuck
 * worker stops beating; a running process alone proves nothing.
 */
export const WORKER_ALIVE = [
  "import socket, sys",
  "from pulpcore.app.models import AppStatus",
  "alive = AppStatus.objects.online().filter(app_type='worker', name__endswith='@' + socket.gethostname()).exists()",
  "sys.exit(0 if alive else 1)",
].join("\n");

/**
 * Sets the admin password from the environment (pulpcore-manager shell): the
 * reset-admin-password command takes it only as an argument, which any process
 * of the node could read.
 */
export const SET_ADMIN_PASSWORD = [
  "import os",
  "from django.contrib.auth import get_user_model",
  "user, _ = get_user_model().objects.get_or_create(username='admin', defaults={'is_superuser': True, 'is_staff': True})",
  "user.is_superuser = True",
  "user.is_staff = True",
  "user.set_password(os.environ['ADMIN_PASSWORD'])",
  "user.save()",
  "print('the admin password is set')",
].join("\n");

/**
 * Pulp: API, content app, workers and web server on the PostgreSQL, Redis and
 * storage the platform hands over, with its secrets made once.
 */
export class Pulp extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** Where clients reach Pulp (the endpoint, or the web server inside the cluster): the API is under /pulp/api/v3/. */
  public readonly url: string;
  /** CONTENT_ORIGIN: the origin of the content URLs Pulp hands out. */
  public readonly contentOrigin: string;
  /** The Secret holding the admin password (key `password`). */
  public readonly adminPasswordSecret: string;
  /** The Secret holding the database-fields encryption key: back it up (docs/pulp.md). */
  public readonly keysSecret: string;
  public readonly dnsRecords: DnsRecordOutput[];

  constructor(name: string, args: PulpArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:Pulp", name, checkArgs(name, args), opts);
    const topology = args.topology;
    const ha = topology === "ha";
    const production = args.production ?? false;
    const namespaceName = args.namespace ?? "pulp";
    const image = args.image ?? PULP_IMAGES.pulp;
    const webImage = args.webImage ?? PULP_IMAGES.web;
    const version = imageTag(image);
    const child = { parent: this };
    const keep = { parent: this, protect: production };
    const labelsOf = (component: string) => appLabels({ name: PULP_APP_NAME, instance: name, component, version });
    const replicas = (r: "api" | "content" | "worker" | "web") => args[r]?.replicas ?? (ha ? (r === "worker" ? 4 : 2) : 1);
    const db = args.database;
    const cache = args.cache;
    const volume = args.volume;
    const bucket = args.bucket;
    // One node holds a ReadWriteOnce volume: every Pulp pod that mounts it runs there.
    const sharedNode = volume !== undefined && !volume.readWriteMany;

    const ns = new ServiceNamespace(`${name}-ns`, { name: namespaceName, labels: { "trust-services/service": "pulp", [TOPOLOGY_LABEL]: topology }, retainOnDelete: production }, child);
    const namespace = ns.name;
    this.namespace = namespace;
    const peer = (component: string): PeerArgs => ({ podLabels: selectorLabels({ name: PULP_APP_NAME, instance: name, component }) });

    // --- Where clients reach Pulp: the origin of the content URLs, and the hosts Django accepts.
    const webHost = `${name}-web.${namespaceName}.svc.cluster.local`;
    const publicHost = args.endpoint ? args.endpoint.hostname ?? `pulp.${args.endpoint.endpointClass.domain}` : undefined;
    this.url = publicHost ? `https://${publicHost}` : `http://${webHost}:${PULP_PORTS.web}`;
    this.contentOrigin = this.url;
    // The API's own name is the probes' Host (the kubelet would send the pod's IP, which Django refuses);
    // localhost serves a port-forward.
    const apiHost = `${name}-api.${namespaceName}.svc.cluster.local`;
    const allowedHosts = [...(publicHost ? [publicHost] : []), webHost, `${name}-web.${namespaceName}.svc`, `${name}-web.${namespaceName}`, `${name}-web`, apiHost, "localhost", "127.0.0.1"];

    // --- Secrets made once: Django's key, the database-fields key (its loss loses the encrypted
    // fields: kept, protected in production), the container token pair, the admin password.
    const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 50, special: false }, keep).result;
    // A Fernet key: url-safe base64 of 32 random bytes, one line; generated once (protected in production) unless given.
    // The generated one stays in the state even while a given one is used (a protected resource is never deleted).
    const generated = new random.RandomBytes(`${name}-db-fields-key`, { length: 32 }, keep).base64.apply((b) => `${b.replace(/\+/g, "-").replace(/\//g, "_")}\n`);
    const fernet = pulumi.secret(args.databaseFieldsKey !== undefined ? pulumi.output(args.databaseFieldsKey).apply((k) => `${k.trim()}\n`) : generated);
    const tokenKey = new tls.PrivateKey(`${name}-token-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, keep);
    const adminPassword = pulumi.secret(args.adminPassword ?? new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, keep).result);

    const keysName = `${name}-keys`;
    new k8s.core.v1.Secret(
      keysName,
      {
        metadata: { name: keysName, namespace, labels: labelsOf("keys") },
        type: "Opaque",
        stringData: {
          "database_fields.symmetric.key": fernet,
          "container_auth_private_key.pem": pulumi.secret(tokenKey.privateKeyPemPkcs8),
          "container_auth_public_key.pem": tokenKey.publicKeyPem,
        },
      },
      { parent: this, retainOnDelete: production },
    );
    this.keysSecret = keysName;
    this.adminPasswordSecret = `${name}-admin`;
    new k8s.core.v1.Secret(
      this.adminPasswordSecret,
      { metadata: { name: this.adminPasswordSecret, namespace, labels: labelsOf("admin") }, type: "Opaque", stringData: { password: adminPassword } },
      child,
    );

    // --- settings.py (a Secret: it holds the passwords), and the stores' CAs beside it.
    const dbCa = db.caCertificate !== undefined;
    // The in-cluster PostgreSQL also requires a client certificate of the service's CA: its key is a Secret.
    const dbClientCert = db.clientCertificate !== undefined && db.clientKey !== undefined;
    const clientCertName = `${name}-database-client`;
    if (dbClientCert) {
      new k8s.core.v1.Secret(
        clientCertName,
        { metadata: { name: clientCertName, namespace, labels: labelsOf("certs") }, type: "kubernetes.io/tls", stringData: { "tls.crt": db.clientCertificate!, "tls.key": pulumi.secret(db.clientKey!) } },
        child,
      );
    }
    const cacheCa = cache.tls && cache.caCertificate !== undefined;
    // The CAs are public: a ConfigMap.
    const certs = new k8s.core.v1.ConfigMap(
      `${name}-certs`,
      {
        metadata: { name: `${name}-certs`, namespace, labels: labelsOf("certs") },
        data: { ...(dbCa ? { "database-ca.crt": db.caCertificate! } : {}), ...(cacheCa ? { "cache-ca.crt": cache.caCertificate! } : {}) },
      },
      child,
    );
    const settingsPy = pulumi
      .all({
        key: secretKey,
        dbHost: db.host,
        dbPort: db.port,
        dbName: db.database ?? "pulp",
        dbUser: db.user ?? "pulp",
        dbPassword: db.password ?? "",
        cacheHost: cache.host,
        cachePort: cache.port,
        cachePassword: cache.password ?? "",
        bucketName: bucket?.bucketName ?? "",
      })
      .apply((v) =>
        pulpSettingsPy({
          secretKey: String(v.key),
          contentOrigin: this.contentOrigin,
          allowedHosts,
          database: {
            host: String(v.dbHost),
            port: Number(v.dbPort),
            name: String(v.dbName),
            user: String(v.dbUser),
            password: String(v.dbPassword),
            sslmode: dbCa ? "verify-full" : db.tls ? "require" : "disable",
            caFile: dbCa ? PULP_PATHS.databaseCa : undefined,
            clientCertFile: dbClientCert ? PULP_PATHS.databaseClientCert : undefined,
            clientKeyFile: dbClientCert ? PULP_PATHS.databaseClientKey : undefined,
          },
          cache: { host: String(v.cacheHost), port: Number(v.cachePort), password: String(v.cachePassword) || undefined, tls: cache.tls ?? false, caFile: cacheCa ? PULP_PATHS.cacheCa : undefined },
          s3: bucket ? { bucketName: String(v.bucketName), region: bucket.region } : undefined,
        }),
      );
    const settingsName = `${name}-settings`;
    new k8s.core.v1.Secret(settingsName, { metadata: { name: settingsName, namespace, labels: labelsOf("settings") }, type: "Opaque", stringData: { "settings.py": pulumi.secret(settingsPy) } }, child);
    // The pods read settings.py and the keys at start: a digest of what changes them rolls the pods.
    const settingsDigest = pulumi.unsecret(settingsPy.apply((s) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 16)));

    const pulpVolumes: VolumeArgs[] = [
      { name: "settings", secretName: settingsName, items: [{ key: "settings.py", path: "settings.py" }] },
      { name: "keys", secretName: keysName },
      ...(dbCa || cacheCa ? [{ name: "certs", configMapName: certs.metadata.name, items: [...(dbCa ? [{ key: "database-ca.crt", path: "database-ca.crt" }] : []), ...(cacheCa ? [{ key: "cache-ca.crt", path: "cache-ca.crt" }] : [])] }] : []),
      // libpq takes a root-owned key file readable by its group (0440 with the pods' fsGroup).
      ...(dbClientCert ? [{ name: "database-client", secretName: clientCertName }] : []),
      { name: "tmp", emptyDir: true, sizeLimit: "1Gi" },
    ];
    const pulpMounts: MountArgs[] = [
      { volume: "settings", path: PULP_PATHS.settings, subPath: "settings.py", readOnly: true },
      { volume: "keys", path: PULP_PATHS.keys, readOnly: true },
      ...(dbCa || cacheCa ? [{ volume: "certs", path: PULP_PATHS.certs, readOnly: true }] : []),
      ...(dbClientCert ? [{ volume: "database-client", path: PULP_PATHS.clientCertificates, readOnly: true }] : []),
      { volume: "tmp", path: "/tmp" },
    ];
    // /var/lib/pulp: the artifacts' volume, or with S3 a scratch volume each pod works in.
    const varLib: VolumeArgs = volume
      ? { name: "var-lib-pulp", claimName: `${name}-var-lib-pulp`, claimAccessMode: volume.readWriteMany ? "ReadWriteMany" : "ReadWriteOnce" }
      : { name: "var-lib-pulp", emptyDir: true, sizeLimit: bucket?.scratchSize ?? "10Gi" };
    if (volume) {
      new k8s.core.v1.PersistentVolumeClaim(
        `${name}-var-lib-pulp`,
        {
          metadata: { name: `${name}-var-lib-pulp`, namespace, labels: { ...labelsOf("storage"), "trust-services.io/backup": "daily" } },
          spec: { accessModes: [volume.readWriteMany ? "ReadWriteMany" : "ReadWriteOnce"], storageClassName: volume.storageClass, resources: { requests: { storage: volume.size ?? "50Gi" } } },
        },
        { parent: this, protect: production, retainOnDelete: production },
      );
    }
    const varLibMount: MountArgs = { volume: "var-lib-pulp", path: PULP_PATHS.varLib };

    // --- Its AWS role (the artifact bucket), through EKS Pod Identity, for the API, content app and workers.
    let serviceAccountName: pulumi.Output<string> | undefined;
    const toAws: TrafficRuleArgs[] = [];
    if (bucket) {
      const policy = policyDocument([
        { Sid: "Artifacts", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: pulumi.interpolate`${bucket.bucketArn}/*` },
        { Sid: "ListArtifacts", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket.bucketArn },
        { Sid: "BucketKey", ...keyUseStatement(bucket.kmsKeyArn) },
      ]);
      serviceAccountName = awsIdentity({ namespace, name: `${name}-storage`, labels: labelsOf("storage"), policy, clusterName: bucket.clusterName, tags: { "trust-services/service": "pulp" } }, this);
      toAws.push(cidrRule(["0.0.0.0/0"], [443]), podIdentityAgent());
    }

    const toDb = egressTo(db);
    const toCache = egressTo(cache);
    // Remotes (sync, on-demand content) are anywhere on the internet.
    const toRemotes = cidrRule(["0.0.0.0/0"], [80, 443]);
    const security = { runAsUser: PULP_UID, runAsGroup: PULP_UID };
    const common = {
      namespace,
      topology,
      app: PULP_APP_NAME,
      instance: name,
      podLabels: { "trust-services/service": "pulp" },
      scheduling: args.scheduling,
      production,
      fsGroup: PULP_UID,
    };
    const pulpEnv: EnvVarArgs[] = [{ name: "PULP_SETTINGS", value: PULP_PATHS.settings }];

    // --- The migration: once per version (a new image or settings make a new Job), before any Pulp pod
    // of that version starts; the pods' own entrypoints also wait until nothing is left to migrate.
    const migrate = new Task(
      `${name}-migrate`,
      {
        ...common,
        component: "migrate",
        version,
        podAnnotations: { "trust-services.io/settings-digest": settingsDigest },
        container: {
          name: "migrate",
          image,
          command: ["/usr/local/bin/pulpcore-manager", "migrate", "--noinput"],
          env: [...pulpEnv, { name: "HOME", value: "/tmp" }],
          resources: DEFAULT_RESOURCES.job,
          mounts: pulpMounts,
          security,
        },
        volumes: pulpVolumes,
        allowTo: [toDb],
        activeDeadlineSeconds: 3600,
      },
      child,
    );
    // --- The admin password, set after the migration (and again when it or the version changes).
    new Task(
      `${name}-admin-password`,
      {
        ...common,
        component: "admin-password",
        version,
        // Keyed with the Django key: the annotation reveals nothing a guess could be checked against.
        podAnnotations: { "trust-services.io/password-digest": pulumi.unsecret(pulumi.all([secretKey, adminPassword]).apply(([k, p]) => crypto.createHmac("sha256", k).update(p).digest("hex").slice(0, 16))) },
        container: {
          name: "admin-password",
          image,
          command: ["/usr/local/bin/pulpcore-manager", "shell", "-c", SET_ADMIN_PASSWORD],
          // Not PULP_*: dynaconf reads every PULP_ variable as a setting (and parses some values).
          env: [...pulpEnv, { name: "HOME", value: "/tmp" }, { name: "ADMIN_PASSWORD", secretName: this.adminPasswordSecret, secretKey: "password" }],
          resources: DEFAULT_RESOURCES.job,
          mounts: pulpMounts,
          security,
        },
        volumes: pulpVolumes,
        allowTo: [toDb],
      },
      { parent: this, dependsOn: [migrate] },
    );

    // --- The Pulp roles: the image's own wrappers (they wait for PostgreSQL and the migrations).
    const layout: ContainerArgs = {
      name: "layout",
      image,
      // The first-time layout under /var/lib/pulp (idempotent).
      command: ["mkdir", "-p", PULP_PATHS.media, PULP_PATHS.workingDirectory, `${PULP_PATHS.varLib}/assets`],
      resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
      mounts: [varLibMount],
      security,
    };
    // With one ReadWriteOnce volume, the three roles that mount it carry one label and require a node
    // running a pod with it: the first schedules anywhere (a pod may satisfy its own term), the rest
    // follow it, and a replaced pod returns to the node that holds the volume.
    const volumeLabel = { "trust-services.io/shares-volume": `${name}-var-lib-pulp` };
    const role = (component: "api" | "content" | "worker", container: Omit<ContainerArgs, "image" | "resources" | "security">, extra: { allowFrom?: TrafficRuleArgs[]; allowTo: TrafficRuleArgs[]; grace?: number }) =>
      new Workload(
        `${name}-${component}`,
        {
          ...common,
          component,
          version,
          replicas: replicas(component),
          serviceAccountName,
          terminationGracePeriodSeconds: extra.grace,
          // Recreate (one volume) waits for the old pod to stop, a worker's task included: `pulumi up` waits as long.
          rolloutTimeoutMinutes: sharedNode ? Math.ceil((args.workerGracePeriodSeconds ?? 3600) / 60) + 10 : undefined,
          podAnnotations: { "trust-services.io/settings-digest": settingsDigest },
          colocateWith: sharedNode ? volumeLabel : undefined,
          podLabels: { ...common.podLabels, ...(sharedNode ? volumeLabel : {}) },
          initContainers: [layout],
          container: { ...container, image, resources: resourcesWithDefaults(args[component]?.resources, DEFAULT_RESOURCES[component]), mounts: [...pulpMounts, varLibMount], security },
          volumes: [...pulpVolumes, varLib],
          services: container.ports?.length ? [{ name: `${name}-${component}` }] : [],
          allowFrom: extra.allowFrom,
          allowTo: [toDb, toCache, ...extra.allowTo, ...toAws],
        },
        { parent: this, dependsOn: [migrate] },
      );
    const gunicorn = [{ name: "PULP_GUNICORN_TIMEOUT", value: "90" }];
    role(
      "api",
      {
        name: "api",
        command: ["/usr/bin/pulp-api"],
        env: [...pulpEnv, ...gunicorn, { name: "PULP_API_WORKERS", value: "2" }],
        ports: [{ name: "http", port: PULP_PORTS.api }],
        probes: {
          startup: { httpPath: "/pulp/api/v3/livez/", host: apiHost, port: PULP_PORTS.api, periodSeconds: 5, failureThreshold: 120 },
          // Alive without the database (livez does no database work); ready with it (status queries it).
          liveness: { httpPath: "/pulp/api/v3/livez/", host: apiHost, port: PULP_PORTS.api, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
          // status sums the artifacts' sizes with S3 storage: a slow, patient probe.
          readiness: { httpPath: "/pulp/api/v3/status/", host: apiHost, port: PULP_PORTS.api, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 },
        },
      },
      { allowFrom: [{ peers: [peer("web")], ports: [PULP_PORTS.api] }], allowTo: [] },
    );
    role(
      "content",
      {
        name: "content",
        command: ["/usr/bin/pulp-content"],
        env: [...pulpEnv, ...gunicorn, { name: "PULP_CONTENT_WORKERS", value: "2" }],
        ports: [{ name: "http", port: PULP_PORTS.content }],
        probes: {
          // The kubelet's GET of /pulp/content/ renders every distribution from the database (only HEAD
          // returns early): the content app is probed by its port, so a database failover restarts nothing.
          startup: { tcp: true, port: PULP_PORTS.content, periodSeconds: 5, failureThreshold: 120 },
          liveness: { tcp: true, port: PULP_PORTS.content, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
          readiness: { tcp: true, port: PULP_PORTS.content, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2 },
        },
      },
      // On-demand content: the content app streams from the remote while it saves the artifact.
      { allowFrom: [{ peers: [peer("web")], ports: [PULP_PORTS.content] }], allowTo: [toRemotes] },
    );
    role(
      "worker",
      {
        name: "worker",
        command: ["/usr/bin/pulp-worker"],
        env: pulpEnv,
        probes: {
          // A worker beats every WORKER_TTL / 3 seconds; it is alive while its beat is in the database.
          startup: { command: ["/usr/local/bin/pulpcore-manager", "shell", "-c", WORKER_ALIVE], periodSeconds: 20, timeoutSeconds: 30, failureThreshold: 30 },
          // A Django process of its own in the worker's memory: every five minutes.
          liveness: { command: ["/usr/local/bin/pulpcore-manager", "shell", "-c", WORKER_ALIVE], periodSeconds: 300, timeoutSeconds: 60, failureThreshold: 3 },
        },
      },
      // On SIGTERM a worker takes no new task and finishes the one it holds, however long (pulpcore
      // tasking/worker.py): the grace period is the longest task a scale-down or rollout waits for.
      { allowTo: [toRemotes], grace: args.workerGracePeriodSeconds ?? 3600 },
    );

    // --- The web server: one origin for the API and the content app, behind the endpoint.
    const webConf = new k8s.core.v1.ConfigMap(
      `${name}-web`,
      {
        metadata: { name: `${name}-web`, namespace, labels: labelsOf("web") },
        data: {
          "nginx.conf": pulpNginxConf({
            port: PULP_PORTS.web,
            api: `${name}-api.${namespaceName}.svc.cluster.local:${PULP_PORTS.api}`,
            content: `${name}-content.${namespaceName}.svc.cluster.local:${PULP_PORTS.content}`,
          }),
        },
      },
      child,
    );
    const clients: PeerArgs[] = (args.allowedNamespaces ?? []).map((n) => ({ namespace: n }));
    const web = new Workload(
      `${name}-web`,
      {
        ...common,
        fsGroup: undefined,
        component: "web",
        version,
        replicas: replicas("web"),
        container: {
          name: "nginx",
          image: webImage,
          command: ["nginx", "-c", "/etc/pulp-web/nginx.conf", "-g", "daemon off;"],
          ports: [{ name: "http", port: PULP_PORTS.web }],
          probes: {
            liveness: { httpPath: "/health", port: PULP_PORTS.web, periodSeconds: 10, failureThreshold: 3 },
            readiness: { httpPath: "/health", port: PULP_PORTS.web, periodSeconds: 5, failureThreshold: 2 },
          },
          resources: resourcesWithDefaults(args.web?.resources, DEFAULT_RESOURCES.web),
          mounts: [
            { volume: "web-config", path: "/etc/pulp-web", readOnly: true },
            { volume: "web-tmp", path: "/tmp" },
          ],
          security: { runAsUser: NGINX_UID, runAsGroup: NGINX_UID },
        },
        volumes: [
          { name: "web-config", configMapName: webConf.metadata.name },
          { name: "web-tmp", emptyDir: true, sizeLimit: "1Gi" },
        ],
        services: [
          {
            name: `${name}-web`,
            endpoint: args.endpoint
              ? {
                  endpointClass: args.endpoint.endpointClass,
                  name: "pulp",
                  hostname: args.endpoint.hostname,
                  internal: false,
                  ...((args.endpoint.sourceRanges ?? []).length
                    ? { sourceRanges: args.endpoint.sourceRanges }
                    : { openToAnyoneReason: "a package repository: clients everywhere pull content from it (the API requires a login)" }),
                  healthCheckPath: "/health",
                }
              : undefined,
          },
        ],
        allowFrom: clients.length ? [{ peers: clients, ports: [PULP_PORTS.web] }] : [],
        allowTo: [
          { peers: [peer("api")], ports: [PULP_PORTS.api] },
          { peers: [peer("content")], ports: [PULP_PORTS.content] },
        ],
      },
      child,
    );
    this.dnsRecords = web.dnsRecords;
    this.registerOutputs({ namespace: this.namespace, url: this.url, contentOrigin: this.contentOrigin, adminPasswordSecret: this.adminPasswordSecret, keysSecret: this.keysSecret });
  }
}

/** Refuses contradictory args with the arg name, the value and what is allowed; returns the (empty) component inputs. */
function checkArgs(name: string, args: PulpArgs): Record<string, never> {
  const fail = (key: string, value: unknown, allowed: string) => argError(`Pulp ${name}`, key, value, allowed);
  const ha = args.topology === "ha";
  if (!PULP_TOPOLOGIES.includes(args.topology)) fail("topology", args.topology, PULP_TOPOLOGIES.join(", "));
  if ((args.volume === undefined) === (args.bucket === undefined)) fail("volume/bucket", "(both or neither)", "exactly one");
  for (const r of ["api", "content", "web"] as const) {
    const n = args[r]?.replicas ?? (ha ? 2 : 1);
    if (ha && n < 2) fail(`${r}.replicas`, n, "at least 2 in ha");
  }
  if (ha && (args.worker?.replicas ?? 4) < 2) fail("worker.replicas", args.worker?.replicas, "at least 2 in ha");
  if (args.volume && !args.volume.readWriteMany) {
    for (const r of ["api", "content", "worker", "web"] as const) {
      const n = args[r]?.replicas ?? (ha ? (r === "worker" ? 4 : 2) : 1);
      if (n > 1 && r !== "web") fail(`${r}.replicas`, n, "1 with a ReadWriteOnce volume (one pod holds it); set volume.readWriteMany, or use bucket");
    }
    if (ha) fail("volume.readWriteMany", false, "true in ha, or bucket");
  }
  const grace = args.workerGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 30 || grace > 86400)) fail("workerGracePeriodSeconds", grace, "whole seconds from 30 to 86400");
  return {};
}
