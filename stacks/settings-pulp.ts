/**
 * The `pulp` block of the stack settings: Pulp 3 (seed 001 on Pulp 3's
 * architecture, upstream/pulp.md). Its cross-field rules live in `checkPulp`.
 */
import { z } from "zod";
import { ALB_MAX_SOURCE_RANGES } from "../components/kubernetes/endpoint";
import { PULP_APP_NAME, PULP_IMAGES } from "../components/services/pulp";
import type { DataNeed } from "./needs";
import { cacheBlock, CacheSettings, cidr, databaseBlock, DatabaseSettings, kubernetesName, pemCertificates, pinnedImage, resources, schedulingBlock, secretString, topology, Topology } from "./schema";
import { dnsName, EndpointNeed, EndpointsSettings, hostnameOf } from "./settings-endpoints";

const role = (what: string, ha: string) =>
  z
    .strictObject({
      replicas: z.number().int().min(1).max(50).optional().describe(`${what} replicas (default 1; ${ha} in ha).`),
      resources: resources.prefault({}).describe(`Requests and limits of the ${what.toLowerCase()}.`),
    })
    .prefault({});

export const pulpBlock = z.strictObject({
  topology: topology.optional().describe("Overrides the stack's `topology` for Pulp."),
  namespace: kubernetesName.default("pulp").describe("Namespace of Pulp."),
  image: pinnedImage.default(PULP_IMAGES.pulp).describe("The Pulp image (pulp-minimal: pulpcore with its plugins), pinned."),
  webImage: pinnedImage.default(PULP_IMAGES.web).describe("The web server's image (nginx, with this project's configuration)."),
  api: role("API", "2").describe("The REST API (gunicorn)."),
  content: role("Content app", "2").describe("The content app (serves and streams artifacts)."),
  worker: role("Worker", "4").describe("The task workers."),
  web: role("Web server", "2").describe("The web server in front of the API and the content app."),
  workerGracePeriodSeconds: z
    .number()
    .int()
    .min(30)
    .max(86400)
    .default(3600)
    .describe("Seconds a stopping worker may finish its task in: on SIGTERM it takes no new task and finishes the one it holds; a task still running then fails."),
  adminPassword: secretString.optional().describe("The `admin` user's password (secret). Default: generated, kept in the stack's state (output `pulp.adminPassword` says how to read it)."),
  databaseFieldsKey: z
    .string()
    .regex(/^\s*[A-Za-z0-9_-]{43}=\s*$/, { message: "a Fernet key: url-safe base64 of 32 bytes (44 characters ending in =)" })
    .pipe(secretString)
    .optional()
    .describe("The database-fields encryption key of an earlier deployment whose database this one takes over (secret; `kubectl get secret pulp-keys`). Default: generated once and kept in the stack's state."),
  database: databaseBlock({ engineVersion: "17", engineVersionPattern: /^1[4-7](\.\d+)?$/, engineVersionRule: 'PostgreSQL 14 to 17 (e.g. "17")', port: 5432, user: "pulp", inCluster: true })
    .prefault({})
    .describe("PostgreSQL: in the cluster (single), on RDS (external-db, ha) unless `given` or `shared`."),
  cache: cacheBlock.prefault({}).describe("Redis (the content cache): in the cluster (single), ElastiCache with cluster mode off otherwise; TLS and AUTH."),
  storage: z
    .strictObject({
      backend: z.enum(["local", "s3"]).optional().describe("Where artifacts go: `local` (`/var/lib/pulp` on a volume; ReadWriteMany with several replicas) or `s3` (default: local in single, s3 elsewhere when the stack creates the cluster)."),
      size: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'a size such as "100Gi"' }).default("50Gi").describe("Size of the `/var/lib/pulp` volume."),
      storageClass: z.string().min(1).optional().describe("StorageClass of the volume (default: the platform's, ReadWriteMany for several replicas)."),
      scratchSize: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'a size such as "10Gi"' }).default("10Gi").describe("With s3: the scratch space each pod works in (`/var/lib/pulp/tmp`), so workers do not fill the node's disk."),
    })
    .prefault({})
    .describe("Artifact storage."),
  certificateAuthority: z
    .strictObject({
      certificate: pemCertificates.describe("Your CA's certificate (PEM)."),
      privateKey: secretString.describe("Its key (PEM, unencrypted, secret)."),
    })
    .optional()
    .describe("Your CA for the TLS among Pulp, its PostgreSQL and its Redis in the cluster (default: a CA generated and kept in the stack's state)."),
  exposure: z
    .strictObject({
      hostname: dnsName.optional().describe("Hostname of Pulp (default `pulp.<endpoints.domain>`): the API, the content app and CONTENT_ORIGIN."),
      sourceRanges: z.array(cidr).default([]).describe("With `endpoints`: who may reach Pulp (default: anyone)."),
      allowedNamespaces: z.array(kubernetesName).default([]).describe("Namespaces whose pods may reach Pulp inside the cluster."),
    })
    .prefault({})
    .describe("Who may reach Pulp."),
  scheduling: schedulingBlock.prefault({}).describe("Where Pulp's pods may run."),
});

export type PulpSettings = z.output<typeof pulpBlock>;

/** Where artifacts go, unless set: a volume in single, S3 elsewhere on a created cluster. */
export function pulpStorageBackend(p: PulpSettings, topo: Topology, canUseS3: boolean): "local" | "s3" {
  return p.storage.backend ?? (topo !== "single" && canUseS3 ? "s3" : "local");
}

/** Pulp's data needs: PostgreSQL and Redis with TLS, and the artifact bucket with `s3`. */
export function pulpNeeds(p: PulpSettings, topo: Topology, canUseS3: boolean): DataNeed[] {
  const clients = { namespace: p.namespace, app: PULP_APP_NAME, scheduling: p.scheduling };
  const ca = p.certificateAuthority ? { certificate: p.certificateAuthority.certificate, privateKey: p.certificateAuthority.privateKey } : undefined;
  const needs: DataNeed[] = [
    {
      service: "pulp",
      key: "database",
      kind: "database",
      topology: topo,
      engine: "postgres",
      settings: p.database as DatabaseSettings,
      defaultVersion: "17",
      clients: { ...clients, components: ["api", "content", "worker", "migrate", "admin-password"] },
      database: "pulp",
      user: "pulp",
      tls: true,
      // In the cluster Pulp also authenticates with a certificate of the service's CA (seed "Certificates").
      clientCertificates: true,
      ca,
      version: { pattern: /^1[4-7](\.\d+)?$/, rule: "PostgreSQL 14 to 17" },
    },
    { service: "pulp", key: "cache", kind: "cache", topology: topo, settings: p.cache as CacheSettings, clients: { ...clients, components: ["api", "content", "worker"] }, tls: true, ca },
  ];
  if (pulpStorageBackend(p, topo, canUseS3) === "s3") needs.push({ service: "pulp", key: "artifacts", kind: "bucket", topology: topo, dedicated: true });
  return needs;
}

/** Pulp's one HTTPS endpoint: the web server, for the API and the content app. */
export function pulpEndpoints(p: PulpSettings, e: EndpointsSettings): EndpointNeed[] {
  return [{ service: "pulp", name: "pulp", hostname: hostnameOf(e, "pulp", p.exposure.hostname), internal: false, hostnameKey: "pulp.exposure.hostname" }];
}

interface RootView {
  topology: z.output<typeof topology>;
  cluster: { create?: unknown; existing?: { storageClasses: { shared?: string } } };
  endpoints?: EndpointsSettings;
}

/** Cross-field rules of the `pulp` block; each names the key it is about. */
export function checkPulp(p: PulpSettings, root: RootView, canUseS3: boolean, ctx: z.RefinementCtx): void {
  const topo = p.topology ?? root.topology;
  const ha = topo === "ha";
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: ["pulp", ...path], message });
  const backend = pulpStorageBackend(p, topo, canUseS3);
  if (ha) {
    for (const r of ["api", "content", "web"] as const) if ((p[r].replicas ?? 2) < 2) issue([r, "replicas"], "at least 2 in ha (no single replica serves alone)");
    if ((p.worker.replicas ?? 4) < 2) issue(["worker", "replicas"], "at least 2 in ha (the seed: 4 to 8)");
  }
  if (backend === "s3" && !canUseS3) issue(["storage", "backend"], "s3 needs a bucket this stack creates and EKS Pod Identity: cluster.create; use local");
  if (backend === "local") {
    const many = ha || [p.api, p.content, p.worker].some((r) => (r.replicas ?? 1) > 1);
    const shared = p.storage.storageClass !== undefined || root.cluster.create !== undefined || root.cluster.existing?.storageClasses.shared !== undefined;
    if (many && !shared) issue(["storage", "backend"], "local with several replicas needs a ReadWriteMany class: set cluster.existing.storageClasses.shared or pulp.storage.storageClass, or use s3");
  }
  const given = p.database.given;
  if (given?.tls && !given.caCertificate) issue(["database", "given", "caCertificate"], "the CA of the server's certificate (PEM): Pulp verifies the server (sslmode verify-full); or tls: false");
  if (root.endpoints) {
    if (root.cluster.create && p.exposure.sourceRanges.length > ALB_MAX_SOURCE_RANGES) issue(["exposure", "sourceRanges"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs behind an ALB (a listener rule matches three values per condition)`);
  } else if (p.exposure.hostname !== undefined) {
    issue(["exposure", "hostname"], "a hostname only with trust-services:endpoints; set that block or remove this key");
  }
}
