/**
 * The `rstuf` block of the stack settings: Repository Service for TUF (seed 000,
 * upstream/rstuf.md). Its cross-field rules live in `checkRstuf`.
 */
import { z } from "zod";
import { isUnencryptedPrivateKey, ONLINE_KEY_TYPES, sslibKey } from "../components/services/rstuf/keyid";
import { RSTUF_APP_NAME, RSTUF_IMAGE_REPOSITORIES, RSTUF_VERSIONS, RSTUF_WEB_IMAGE } from "../components/services/rstuf";
import type { DataNeed } from "./needs";
import { cacheBlock, CacheSettings, cidr, databaseBlock, DatabaseSettings, kubernetesName, pinnedImage, resources, schedulingBlock, secretString, topology, Topology } from "./schema";
import { dnsName, EndpointNeed, EndpointsSettings, hostnameOf } from "./settings-endpoints";
import { ALB_MAX_SOURCE_RANGES } from "../components/kubernetes/endpoint";

/** Why RSTUF talks to Redis in plain text, without AUTH (a tag value: at most 256 characters). */
export const RSTUF_REDIS_PLAINTEXT_REASON =
  "RSTUF API and worker accept only redis://<host>: no TLS, no AUTH (repository-service-tuf-api#91, -worker#709, repository-service-tuf#6)";

const releaseTag = z.string().regex(/^v\d+\.\d+\.\d+$/, { message: 'a release tag such as "v1.0.1"' });

/** A PEM private key the worker can read and sign with, kept secret once validated. */
const onlinePrivateKey = z
  .string()
  .refine(isUnencryptedPrivateKey, { message: "an unencrypted PEM private key (PKCS#8, or PKCS#1 / SEC1): the worker reads it without a password" })
  .refine(
    (pem) => {
      try {
        sslibKey(pem);
        return true;
      } catch {
        return false;
      }
    },
    { message: `a key the worker signs with: ${ONLINE_KEY_TYPES}` },
  )
  .pipe(secretString);

const roleBlock = (what: string) =>
  z.strictObject({
    replicas: z.number().int().min(1).max(20).optional().describe(`${what} replicas (default 1, 2 in ha).`),
    resources: resources.prefault({}).describe(`Requests and limits of the ${what.toLowerCase()}.`),
  });

export const rstufBlock = z.strictObject({
  topology: topology.optional().describe("Overrides the stack's `topology` for RSTUF."),
  namespace: kubernetesName.default("rstuf").describe("Namespace of RSTUF."),
  version: z
    .strictObject({
      api: releaseTag.default(RSTUF_VERSIONS.api).describe("API image tag."),
      worker: releaseTag.default(RSTUF_VERSIONS.worker).describe("Worker image tag."),
    })
    .prefault({})
    .describe("Pinned release tags of the API and worker images."),
  imageRepository: z
    .strictObject({
      api: z.string().min(1).default(RSTUF_IMAGE_REPOSITORIES.api).describe("API image repository (or a mirror)."),
      worker: z.string().min(1).default(RSTUF_IMAGE_REPOSITORIES.worker).describe("Worker image repository (or a mirror)."),
    })
    .prefault({})
    .describe("Image repositories."),
  webImage: pinnedImage
    .default(RSTUF_WEB_IMAGE)
    .describe("Image of the metadata web server (nginx; its S3 gateway when the metadata is in S3)."),
  api: roleBlock("API").prefault({}).describe("The REST API (stateless)."),
  worker: roleBlock("Worker").prefault({}).describe("The Celery workers that sign and write the metadata."),
  web: roleBlock("Web server").prefault({}).describe("The read-only metadata web server."),
  onlineKey: z
    .strictObject({
      privateKey: onlinePrivateKey.optional().describe(`Your online key (${ONLINE_KEY_TYPES}), unencrypted PEM; set with \`pulumi config set --path --secret\`. Default: an Ed25519 key generated and kept in the stack's state.`),
      previousPrivateKey: onlinePrivateKey
        .optional()
        .describe("During a rotation: the online key root still names (unencrypted PEM, secret). Its file stays beside the new key's, or beside a new KMS key, until `rstuf admin metadata update` has put the new one in root (docs/rstuf.md)."),
      awsKmsKeyArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, { message: "a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<uuid>" })
        .optional()
        .describe("An asymmetric SIGN_VERIFY KMS key instead of a PEM key (the worker signs through KMS with the static IAM user's credentials: its signer drops Pod Identity's)."),
    })
    .prefault({})
    .describe("The online signing key (timestamp, snapshot, targets, bins)."),
  lockTimeout: z.number().int().min(10).max(3600).default(500).describe("Seconds a worker may hold the metadata lock (`RSTUF_LOCK_TIMEOUT`)."),
  logLevel: z.enum(["DEBUG", "INFO", "WARNING", "ERROR"]).default("INFO").describe("Log level of the API (the worker's is fixed by its image)."),
  database: databaseBlock({
    engineVersion: "17",
    engineVersionPattern: /^1[4-7](\.\d+)?$/,
    engineVersionRule: 'PostgreSQL 14 to 17 (e.g. "17")',
    port: 5432,
    user: "rstuf",
    inCluster: true,
    // The migration renders the URL (percent-encoding reserved characters) into alembic's ConfigParser,
    // which refuses any `%` it cannot interpolate (worker alembic/env.py): unreserved characters only.
    givenPassword: { pattern: /^[A-Za-z0-9._~-]+$/, rule: "letters, digits and . _ ~ - only: the worker's migration passes the password through alembic's config parser, which refuses the % its URL encoding makes of any other character" },
  })
    .prefault({})
    .describe("PostgreSQL: in the cluster (single), on RDS (external-db, ha) unless `given` or `shared`."),
  cache: cacheBlock.prefault({}).describe("Redis (broker, results and the repository settings; persistent): in the cluster (single), ElastiCache with cluster mode off otherwise."),
  storage: z
    .strictObject({
      backend: z
        .enum(["local", "s3"])
        .optional()
        .describe("Where the metadata is written: `local` (a volume; ReadWriteMany with several workers) or `s3` (default: local in single, s3 elsewhere when the stack uses AWS)."),
      size: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'a size such as "1Gi"' }).default("1Gi").describe("Size of the local metadata volume."),
      storageClass: z.string().min(1).optional().describe("StorageClass of the local volume (default: the platform's, ReadWriteMany for several workers)."),
    })
    .prefault({})
    .describe("Metadata storage."),
  exposure: z
    .strictObject({
      api: z
        .enum(["internal", "public"])
        .default("internal")
        .describe("With `endpoints`: `internal` (the API has no authentication: an internal load balancer, admitted from `allowedCidrs`) or `public` (internet-facing, admin routes disabled with RSTUF_DISABLE_ENDPOINTS, admitted from `allowedCidrs`)."),
      allowedCidrs: z.array(cidr).default([]).describe("Who may reach the API at its hostname (CI runners, operators): required with `endpoints`."),
      allowedNamespaces: z.array(kubernetesName).default([]).describe("Namespaces whose pods may reach the API inside the cluster."),
      apiHostname: dnsName.optional().describe("Hostname of the API (default `rstuf-api.<endpoints.domain>`)."),
      metadataHostname: dnsName.optional().describe("Hostname of the TUF metadata (default `rstuf-metadata.<endpoints.domain>`)."),
      metadataSourceRanges: z.array(cidr).default([]).describe("Who may read the metadata (default: anyone, as TUF clients everywhere do)."),
    })
    .prefault({})
    .describe("Who may reach RSTUF."),
  bootstrap: z
    .strictObject({
      payload: z
        .string()
        .refine(isBootstrapPayload, { message: "the ceremony's ceremony-payload.json (JSON with settings and metadata.root)" })
        .optional()
        .describe("The ceremony's `ceremony-payload.json` (public data): a Job sends the bootstrap once the API is ready, and does nothing when the repository is bootstrapped."),
    })
    .prefault({})
    .describe("Bootstrap by the program (optional; the runbook bootstraps by hand)."),
  scheduling: schedulingBlock.prefault({}).describe("Where RSTUF's pods may run."),
});

export type RstufSettings = z.output<typeof rstufBlock>;

function isBootstrapPayload(text: string): boolean {
  try {
    const p = JSON.parse(text) as Record<string, any>;
    return typeof p === "object" && p !== null && typeof p.settings === "object" && typeof p.metadata?.root === "object";
  } catch {
    return false;
  }
}

/**
 * Where the metadata goes for a topology, unless set: a volume in single, S3 elsewhere
 * on a created cluster (the web server reads the bucket through EKS Pod Identity).
 */
export function rstufStorageBackend(r: RstufSettings, topo: Topology, canUseS3: boolean): "local" | "s3" {
  return r.storage.backend ?? (topo !== "single" && canUseS3 ? "s3" : "local");
}

/** RSTUF's data needs: PostgreSQL, Redis (no TLS, no AUTH: RSTUF cannot), and the metadata bucket with `s3`. */
export function rstufNeeds(r: RstufSettings, topo: Topology, canUseS3: boolean): DataNeed[] {
  const clients = { namespace: r.namespace, app: RSTUF_APP_NAME, scheduling: r.scheduling };
  const needs: DataNeed[] = [
    {
      service: "rstuf",
      key: "database",
      kind: "database",
      topology: topo,
      engine: "postgres",
      settings: r.database as DatabaseSettings,
      defaultVersion: "17",
      // The worker (and its migration Task) is all that connects.
      clients: { ...clients, components: ["worker", "migrate"] },
      database: "rstuf",
      user: "rstuf",
      // libpq's PGSSLMODE: the worker drops query strings from RSTUF_DB_SERVER.
      tls: true,
      version: { pattern: /^1[4-7](\.\d+)?$/, rule: "PostgreSQL 14 to 17" },
    },
    {
      service: "rstuf",
      key: "cache",
      kind: "cache",
      topology: topo,
      settings: r.cache as CacheSettings,
      clients: { ...clients, components: ["api", "worker"] },
      plaintextReason: RSTUF_REDIS_PLAINTEXT_REASON,
    },
  ];
  if (rstufStorageBackend(r, topo, canUseS3) === "s3") needs.push({ service: "rstuf", key: "metadata", kind: "bucket", topology: topo, dedicated: true });
  return needs;
}

/** RSTUF's HTTPS endpoints: the metadata (for anyone, unless ranges are set) and the API (internal unless public). */
export function rstufEndpoints(r: RstufSettings, e: EndpointsSettings): EndpointNeed[] {
  return [
    { service: "rstuf", name: "rstuf-metadata", hostname: hostnameOf(e, "rstuf-metadata", r.exposure.metadataHostname), internal: false, hostnameKey: "rstuf.exposure.metadataHostname" },
    { service: "rstuf", name: "rstuf-api", hostname: hostnameOf(e, "rstuf-api", r.exposure.apiHostname), internal: r.exposure.api === "internal", hostnameKey: "rstuf.exposure.apiHostname" },
  ];
}

/**
 * A KMS online key with the metadata in S3 must be in the stack's region (the bucket's):
 * the worker gives its signer and its S3 client one region, RSTUF_AWS_DEFAULT_REGION.
 */
export function checkRstufKmsRegion(r: RstufSettings | undefined, topo: Topology, canUseS3: boolean, region: string | undefined): string | undefined {
  const kmsRegion = r?.onlineKey.awsKmsKeyArn?.split(":")[3];
  if (!r || !kmsRegion || !region || rstufStorageBackend(r, topo, canUseS3) !== "s3" || kmsRegion === region) return undefined;
  return `trust-services:rstuf.onlineKey.awsKmsKeyArn: a key in ${kmsRegion} — a key in ${region}, the metadata bucket's region (the worker gives its KMS signer and its S3 client one region, RSTUF_AWS_DEFAULT_REGION)`;
}

interface RootView {
  topology: z.output<typeof topology>;
  cluster: { create?: unknown; existing?: { storageClasses: { shared?: string } } };
  endpoints?: EndpointsSettings;
}

/** Cross-field rules of the `rstuf` block; each names the key it is about. */
export function checkRstuf(r: RstufSettings, root: RootView, canUseS3: boolean, ctx: z.RefinementCtx): void {
  const topo = r.topology ?? root.topology;
  const ha = topo === "ha";
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: ["rstuf", ...path], message });
  const backend = rstufStorageBackend(r, topo, canUseS3);
  const workers = r.worker.replicas ?? (ha ? 2 : 1);
  if (r.onlineKey.privateKey !== undefined && r.onlineKey.awsKmsKeyArn !== undefined) issue(["onlineKey"], "either privateKey or awsKmsKeyArn, not both");
  if (r.onlineKey.awsKmsKeyArn !== undefined && !canUseS3) issue(["onlineKey", "awsKmsKeyArn"], "a KMS online key needs the IAM user this stack creates in AWS, with cluster.create");
  if (backend === "s3" && !canUseS3) issue(["storage", "backend"], "s3 needs a bucket this stack creates and EKS Pod Identity for the web server: cluster.create; use local");
  if (backend === "local") {
    // Several workers (or a separate web server with several replicas) share the volume only where it is ReadWriteMany.
    const shared = r.storage.storageClass !== undefined || root.cluster.create !== undefined || root.cluster.existing?.storageClasses.shared !== undefined;
    if (workers > 1 && !shared) issue(["storage", "backend"], "local storage with several workers needs a ReadWriteMany class: set cluster.existing.storageClasses.shared or rstuf.storage.storageClass, or use s3");
  }
  if (r.cache.given && r.cache.given.port !== 6379) issue(["cache", "given", "port"], "6379: the worker's metadata lock connects to redis://<host> on the default port, whatever RSTUF_REDIS_SERVER_PORT says (worker repository.py)");
  if (backend === "local" && workers === 1 && topo !== "ha" && (r.web.replicas ?? 1) > 1) issue(["web", "replicas"], "1 with a ReadWriteOnce volume (one worker): nginx runs in the worker's pod; use s3, or 2 or more workers on a ReadWriteMany class");
  if (r.cache.given?.tls) issue(["cache", "given", "tls"], "false: RSTUF reaches Redis only as redis://<host>, without TLS (repository-service-tuf-api#91)");
  if (r.cache.given?.password !== undefined) issue(["cache", "given", "password"], "none: RSTUF cannot send Redis AUTH (repository-service-tuf-worker#709)");
  if (r.exposure.api === "public" && !root.endpoints) issue(["exposure", "api"], "public needs trust-services:endpoints (an HTTPS endpoint); without it the API stays in the cluster");
  if (ha && workers < 2) issue(["worker", "replicas"], "at least 2 in ha");
  if (ha && (r.api.replicas ?? 2) < 2) issue(["api", "replicas"], "at least 2 in ha (no single replica serves traffic alone)");
  if (ha && (r.web.replicas ?? 2) < 2) issue(["web", "replicas"], "at least 2 in ha (no single replica serves traffic alone)");
  if (root.endpoints) {
    if (r.exposure.allowedCidrs.length === 0) issue(["exposure", "allowedCidrs"], "who may reach the API at its hostname (it has no authentication): required with trust-services:endpoints");
    if (root.cluster.create && r.exposure.allowedCidrs.length > ALB_MAX_SOURCE_RANGES) {
      issue(["exposure", "allowedCidrs"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs behind an ALB (a listener rule matches three values per condition)`);
    }
    if (root.cluster.create && r.exposure.metadataSourceRanges.length > ALB_MAX_SOURCE_RANGES) {
      issue(["exposure", "metadataSourceRanges"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs behind an ALB (a listener rule matches three values per condition)`);
    }
  } else {
    for (const key of ["apiHostname", "metadataHostname"] as const) {
      if (r.exposure[key] !== undefined) issue(["exposure", key], "a hostname only with trust-services:endpoints; set that block or remove this key");
    }
  }
}
