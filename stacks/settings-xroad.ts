/**
 * The `xroad` block of the stack settings: X-Road Security Server Sidecar
 * (seed 004, upstream/xroad.md). Its cross-field rules live in `checkXRoad`.
 */
import { z } from "zod";
import type { DataNeed } from "./needs";
import { ALB_MAX_SOURCE_RANGES } from "../components/kubernetes/endpoint";
import { dnsName, EndpointNeed, EndpointsSettings, hostnameOf } from "./settings-endpoints";
import { byteQuantity, cidr, databaseBlock, DatabaseSettings, kubernetesName, pinnedImage, resources, schedulingBlock, secretString, topology, Topology } from "./schema";

export const XROAD_COUNTRIES = ["fi", "ee", "fo", "is"] as const;

/** The newest 7.8 patch with published sidecar images (see docs/xroad.md "Versions"). */
export const XROAD_DEFAULT_VERSION = "7.8.2";

/**
 * Which image tags NIIS publishes (upstream/xroad.md §1, `sidecar/docker-build.sh`):
 * standalone `<v>-slim-{fi,fo,is}` and `<v>-{fi,ee,fo,is}`; load-balanced
 * `-slim-primary-{fi,is}`, `-primary-{fi,is,ee}` (and the same for secondaries).
 */
export function xroadTagExists(variant: "slim" | "full", country: string | undefined, balanced: boolean): boolean {
  if (!country) return true;
  if (!balanced) return variant === "slim" ? ["fi", "fo", "is"].includes(country) : true;
  return variant === "slim" ? ["fi", "is"].includes(country) : ["fi", "is", "ee"].includes(country);
}

const version = z
  .string()
  .regex(/^7\.\d+\.\d+$/, { message: 'an X-Road 7 release such as "7.8.0" (X-Road 8 is a different architecture)' })
  .refine((v) => {
    const [, minor] = v.split(".").map(Number);
    return minor >= 8;
  }, { message: "7.8.0 or newer" });

const duration = z.string().regex(/^\d+[mh]$/, { message: 'a duration in minutes or hours such as "30m" or "6h"' });

export const xroadBlock = z.strictObject({
  topology: topology.optional().describe("Overrides the stack's `topology` for X-Road."),
  namespace: kubernetesName.default("xroad").describe("Namespace of the Security Server."),
  version: version.default(XROAD_DEFAULT_VERSION).describe(`Sidecar image version (pinned; 7.8.0 or newer; default the newest 7.8 patch with published sidecar images).`),
  variant: z.enum(["slim", "full"]).default("slim").describe("`slim` (no message log, no op-monitoring) or `full`."),
  country: z.enum(XROAD_COUNTRIES).optional().describe("Country variant of the image (fi, ee, fo, is), where NIIS publishes it."),
  imageRepository: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+$|^[a-z0-9._-]+\/[a-z0-9._-]+$/, { message: "an image repository such as niis/xroad-security-server-sidecar" })
    .default("niis/xroad-security-server-sidecar").describe("Image repository (a mirror of NIIS's images)."),
  secondaries: z.number().int().min(2).max(50).default(2).describe("Secondary replicas behind the load balancer (ha)."),
  adminUser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "a Linux user name" }).default("xrd").describe("Admin UI user."),
  adminPassword: secretString.optional().describe("Admin UI password (generated when absent)."),
  tokenPin: secretString.optional().describe("Software token PIN (generated when absent)."),
  logLevel: z.enum(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]).default("INFO").describe("X-Road application log level."),
  resources: resources.prefault({}).describe("Requests and limits of the X-Road container (default 2 CPU and 3Gi for slim, 4Gi for full)."),
  storage: z
    .strictObject({
      storageClass: z.string().min(1).optional().describe("StorageClass of the volumes (default: the platform's encrypted gp3)."),
      configSize: byteQuantity.default("2Gi").describe("Size of `/etc/xroad`."),
      dataSize: byteQuantity.default("10Gi").describe("Size of `/var/lib/xroad` (backups, message-log archives)."),
      databaseSize: byteQuantity.default("10Gi").describe("Size of the local PostgreSQL volume (single)."),
      sharedConfig: z.boolean().default(false).describe("Put the primary's `/etc/xroad` on EFS (ReadWriteMany) instead of EBS (ha)."),
      hostPath: z.string().regex(/^\/[\w./-]+$/, { message: "an absolute path" }).optional()
        .describe("Host directory for the volumes; only on a local single-node cluster (`cluster.existing.local`)."),
    })
    .prefault({})
    .describe("Persistent volumes."),
  database: databaseBlock({
    engineVersion: "16",
    engineVersionPattern: /^16(\.\d+)?$/,
    engineVersionRule: 'PostgreSQL 16 ("16" or "16.x"): X-Road requires it',
    port: 5432,
    user: "postgres",
    inCluster: false,
  })
    .prefault({})
    .describe("External PostgreSQL 16 (external-db and ha): created on RDS unless `given` or `shared`."),
  scheduling: schedulingBlock.prefault({}).describe("Where the Security Server's pods may run."),
  exposure: z
    .strictObject({
      loadBalancer: z
        .strictObject({
          enabled: z.boolean().default(true).describe("Expose 5500/5577 through an AWS Network Load Balancer."),
          scheme: z.enum(["internet-facing", "internal"]).default("internet-facing").describe("NLB scheme."),
          targetType: z
            .enum(["instance", "ip"])
            .optional()
            .describe("Existing cluster: NLB target type, `instance` (the built-in controller, the default) or `ip` (needs the cluster's own AWS Load Balancer Controller). A created cluster's controller always uses `ip` with client IPs preserved."),
          sourceRanges: z.array(cidr).default([]).describe("CIDRs allowed through the NLB (empty: any)."),
          hostname: dnsName
            .optional()
            .describe("DNS name of the NLB, the address other Security Servers use (default `xroad.<endpoints.domain>`; a Route 53 alias is made when `endpoints.hostedZoneId` is set)."),
        })
        .prefault({})
        .describe("The load balancer other Security Servers reach."),
      internalLoadBalancer: z.boolean().default(false).describe("Also expose 8080/8443 (and 4000 without `endpoints`) through an internal NLB (else ClusterIP only)."),
      adminHostname: dnsName
        .optional()
        .describe("Hostname of the admin UI's internal HTTPS endpoint when `endpoints` is set (default `xroad-admin.<endpoints.domain>`)."),
      allowedNamespaces: z.array(kubernetesName).default([]).describe("Namespaces whose pods may reach 8080/8443 (consumers) and 4000 (admin UI)."),
      allowedCidrs: z.array(cidr).default([]).describe("CIDRs that may reach 8080/8443/4000 (e.g. a VPN)."),
      egressCidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Where the Security Server may connect: central server, OCSP, TSA, peers."),
    })
    .prefault({})
    .describe("Who may reach the Security Server."),
  registered: z.boolean().default(false).describe("Set to true once the server is registered with the central server: from then on `pulumi up` waits for readiness (5588) and rolls the primary before the secondaries."),
  archive: z
    .strictObject({
      enabled: z.boolean().optional().describe("Ship `/var/lib/xroad` archives to S3 with SSE-KMS (default: on when the cluster is created)."),
      interval: duration.default("6h").describe("How often the archiver syncs (matches X-Road's 6-hourly archiving)."),
      prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/, { message: "an S3 key prefix such as xroad/archives" }).default("xroad").describe("Key prefix in the bucket."),
      image: pinnedImage.default("amazon/aws-cli:2.27.50").describe("AWS CLI image of the archiver container."),
    })
    .prefault({})
    .describe("Message-log and backup archives to S3 (seed §8)."),
});

export type XRoadSettings = z.output<typeof xroadBlock>;

/** X-Road's data needs: PostgreSQL 16 outside the pod (external-db, ha), and the archive bucket. */
export function xroadNeeds(x: XRoadSettings, topology: Topology, clusterCreated: boolean): DataNeed[] {
  const needs: DataNeed[] = [];
  if (topology !== "single") {
    needs.push({
      service: "xroad",
      key: "database",
      kind: "database",
      topology,
      engine: "postgres",
      settings: x.database as DatabaseSettings,
      defaultVersion: "16",
      clients: { namespace: x.namespace, app: "xroad-security-server", components: ["security-server", "primary", "secondary"], scheduling: x.scheduling },
      database: "xroad",
      user: "postgres",
      // The entrypoint creates serverconf, messagelog and op-monitor and their roles as a superuser (upstream/xroad.md §2).
      superuser: true,
      version: { pattern: /^16(\.\d+)?$/, rule: "PostgreSQL 16 (X-Road requires it)" },
    });
  }
  if (x.archive.enabled ?? clusterCreated) needs.push({ service: "xroad", key: "archive", kind: "bucket", topology });
  return needs;
}

/**
 * X-Road's HTTPS endpoint: the admin UI, internal only (seed 004 §4.3: 4000 is
 * never public), restricted to `exposure.allowedCidrs`. The messaging NLB is TCP
 * passthrough (X-Road terminates its own TLS), so it is not an HTTPS endpoint.
 */
export function xroadEndpoints(x: XRoadSettings, e: EndpointsSettings): EndpointNeed[] {
  return [{ service: "xroad", name: "xroad-admin", hostname: hostnameOf(e, "xroad-admin", x.exposure.adminHostname), internal: true, hostnameKey: "xroad.exposure.adminHostname" }];
}

/** The messaging NLB's DNS name (when `endpoints` is set). */
export function xroadMessagingHostname(x: XRoadSettings, e: EndpointsSettings | undefined): string | undefined {
  return e ? hostnameOf(e, "xroad", x.exposure.loadBalancer.hostname) : x.exposure.loadBalancer.hostname;
}

interface RootView {
  topology: z.output<typeof topology>;
  cluster: { create?: { nodes: { min: number } }; existing?: { local: boolean; nodeSecurityGroupId?: string; storageClasses: { shared?: string } } };
  network: { existing?: unknown };
  endpoints?: EndpointsSettings;
}

/** Cross-field rules of the `xroad` block; each names the key it is about. */
export function checkXRoad(x: XRoadSettings, root: RootView, ctx: z.RefinementCtx): void {
  const topo = x.topology ?? root.topology;
  const balanced = topo === "ha";
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: ["xroad", ...path], message });

  if (!xroadTagExists(x.variant, x.country, balanced)) {
    issue(["country"], `NIIS publishes no ${x.variant}${balanced ? " primary/secondary" : ""} image for "${x.country}"; choose ${
      balanced ? (x.variant === "slim" ? "fi or is" : "fi, is or ee") : "fi, fo or is"
    }${x.variant === "slim" ? ", or variant full" : ""}`);
  }
  if (topo === "single" && (x.database.create || x.database.given || x.database.shared)) {
    issue(["database"], "topology single runs PostgreSQL inside the pod; remove xroad.database or use topology external-db or ha");
  }
  if (x.storage.sharedConfig) {
    if (!balanced) issue(["storage", "sharedConfig"], "only the ha primary's /etc/xroad can be shared; use topology ha or remove it");
    if (root.cluster.existing && !root.cluster.existing.storageClasses.shared && !x.storage.storageClass) {
      issue(["storage", "sharedConfig"], "needs a ReadWriteMany class: set cluster.existing.storageClasses.shared");
    }
  }
  if (x.storage.hostPath !== undefined) {
    if (!root.cluster.existing?.local) issue(["storage", "hostPath"], "hostPath only on a local single-node cluster (cluster.existing.local: true)");
    if (topo !== "single") issue(["storage", "hostPath"], "hostPath only with topology single");
  }
  if (x.archive.enabled && !root.cluster.create) {
    issue(["archive", "enabled"], "the archiver uses EKS Pod Identity and an S3 bucket this project creates: needs cluster.create");
  }
  if (balanced && root.cluster.create && root.cluster.create.nodes.min < 2) {
    issue(["topology"], "ha spreads replicas over nodes: cluster.create.nodes.min must be at least 2");
  }
  if (x.exposure.loadBalancer.targetType !== undefined && root.cluster.create) {
    issue(["exposure", "loadBalancer", "targetType"], "a created cluster's AWS Load Balancer Controller always uses ip targets with client IPs preserved; targetType is for an existing cluster");
  }
  if (root.endpoints && x.exposure.allowedCidrs.length === 0) {
    issue(["exposure", "allowedCidrs"], "the CIDRs that may reach the admin UI at its hostname (a VPN or office range): required with trust-services:endpoints");
  }
  if (root.endpoints && root.cluster.create && x.exposure.allowedCidrs.length > ALB_MAX_SOURCE_RANGES) {
    issue(["exposure", "allowedCidrs"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs with endpoints on a created cluster: they restrict the admin UI's ALB rule, which matches three values per condition (cover them with wider ranges)`);
  }
  if (x.exposure.adminHostname !== undefined && !root.endpoints) {
    issue(["exposure", "adminHostname"], "the admin UI gets a hostname only with trust-services:endpoints; set that block or remove this key");
  }
  const messagingHost = xroadMessagingHostname(x, root.endpoints);
  if (messagingHost && root.endpoints?.hostedZoneId && !messagingHost.endsWith(`.${root.endpoints.domain}`)) {
    issue(["exposure", "loadBalancer", "hostname"], `${messagingHost} is outside ${root.endpoints.domain}, whose zone (endpoints.hostedZoneId) gets the record; use a name under it`);
  }
  if (x.exposure.loadBalancer.enabled && root.cluster.existing?.local) {
    issue(["exposure", "loadBalancer", "enabled"], "a local cluster has no AWS Network Load Balancer; set it to false");
  }
}
