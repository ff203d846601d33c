/**
 * The whole stack configuration as one zod schema, parsed once into one typed
 * object. Every default is documented here (`.describe`, `.default`); the
 * README's configuration reference is kept in sync with this schema by a test.
 *
 * A bad value stops the program here, before any resource is registered, with
 * one error that lists every problem as
 *   trust-services:<key.path>: <what was given> — <what is allowed>
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { DataNeed } from "./needs";
import { cacheCreateDefaults, cidr, cloudWatchRetentionDays, rdsCreateDefaults, secretKubeconfig, sharedDatabases, SECRET_KEYS, topology, Topology } from "./schema";
import { checkCertificateRegion, checkEndpoints, EndpointNeed, endpointsBlock } from "./settings-endpoints";
import { xroadBlock, checkXRoad, xroadEndpoints, xroadNeeds } from "./settings-xroad";
import { checkRstuf, checkRstufKmsRegion, rstufBlock, rstufEndpoints, rstufNeeds } from "./settings-rstuf";
import { checkSigstore, checkSigstoreRdsRegion, sigstoreBlock, sigstoreEndpoints, sigstoreNeeds } from "./settings-sigstore";
import { checkPulp, pulpBlock, pulpEndpoints, pulpNeeds } from "./settings-pulp";

export const CONFIG_NAMESPACE = "trust-services";

const EKS_ADDONS = [
  "vpc-cni",
  "coredns",
  "kube-proxy",
  "eks-pod-identity-agent",
  "aws-ebs-csi-driver",
  "aws-efs-csi-driver",
  "amazon-cloudwatch-observability",
] as const;

const clusterCreate = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,99}$/, { message: "an EKS cluster name (letters, digits, '-')" })
    .optional()
    .describe("EKS cluster name (default `trust-services-<stack>`)."),
  version: z
    .string()
    .regex(/^1\.(2[89]|3[0-9])$/, { message: 'a quoted Kubernetes minor version from "1.28" to "1.39"' })
    .default("1.33")
    .describe("Kubernetes version of the control plane and nodes."),
  nodes: z
    .strictObject({
      instanceTypes: z
        .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: "an EC2 instance type such as m6i.large" }))
        .min(1)
        .default(["m6i.xlarge"])
        .describe("EC2 instance types of the managed node group (4 vCPU or more: an X-Road pod requests 2 CPUs; m6i.2xlarge by default when a service runs in ha)."),
      min: z.number().int().min(1).max(100).default(2).describe("Minimum node count (3 by default when a service runs in ha)."),
      desired: z.number().int().min(1).max(100).default(3).describe("Desired node count."),
      max: z.number().int().min(1).max(100).default(6).describe("Maximum node count."),
      diskSize: z.number().int().min(20).max(16384).default(50).describe("Node root volume in GiB."),
      capacityType: z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND").describe("ON_DEMAND or SPOT."),
    })
    .prefault({})
    .describe("Managed node group; `npm run plan` checks it holds every pod at its minimum size, with one node lost in ha (rule `schedulable`)."),
  publicAccessCidrs: z
    .array(cidr)
    .default([])
    .describe("CIDRs allowed to reach the public API endpoint. Empty: private endpoint only, so Pulumi must run inside the VPC (VPN, bastion, CI runner)."),
  adminRoleArns: z
    .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, { message: "an IAM role ARN" }))
    .default([])
    .describe("IAM roles given cluster-admin through EKS access entries."),
  logRetentionDays: cloudWatchRetentionDays.default(90).describe("Retention of the control-plane log group in days."),
  addonVersions: z
    .partialRecord(z.enum(EKS_ADDONS), z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, { message: "an add-on version such as v1.19.2-eksbuild.1" }))
    .default({})
    .describe("Pinned EKS add-on versions by add-on name; unpinned add-ons get EKS's default for the cluster version."),
  loadBalancerController: z
    .strictObject({
      chartVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { message: 'a chart version such as "3.5.0"' }).default("3.5.0").describe("Version of the aws-load-balancer-controller chart (eks-charts)."),
      replicas: z.number().int().min(1).max(5).default(2).describe("Controller replicas: one leads, the others serve its webhooks and take over."),
    })
    .prefault({})
    .describe("The AWS Load Balancer Controller every created cluster runs: it makes the ALBs of `endpoints` and the NLBs of LoadBalancer Services."),
});

const clusterExisting = z.strictObject({
  kubeconfig: secretKubeconfig.optional().describe("Kubeconfig of the cluster; set with `pulumi config set --path --secret`."),
  stackReference: z
    .strictObject({
      name: z.string().regex(/^[\w.-]+(\/[\w.-]+){0,2}$/, { message: "a stack name such as org/project/stack" }).describe("Stack that owns the cluster."),
      output: z.string().min(1).default("kubeconfig").describe("Name of that stack's kubeconfig output."),
    })
    .optional()
    .describe("Read the kubeconfig from another stack's output."),
  storageClasses: z
    .strictObject({
      block: z.string().min(1).optional().describe("StorageClass for ReadWriteOnce volumes (default: the cluster's default class)."),
      shared: z.string().min(1).optional().describe("StorageClass for ReadWriteMany volumes (required for RWX needs)."),
    })
    .prefault({})
    .describe("StorageClass names on the existing cluster."),
  nodeSecurityGroupId: z
    .string()
    .regex(/^sg-[0-9a-f]{8,17}$/, { message: "a security group id such as sg-0123456789abcdef0" })
    .optional()
    .describe("Security group of the cluster's nodes, admitted to databases this project creates."),
  local: z.boolean().default(false).describe("A local single-node cluster (kind, minikube): allows hostPath volumes."),
});

const network = z.strictObject({
  cidr: cidr.default("10.0.0.0/16").describe("VPC CIDR."),
  availabilityZones: z.number().int().min(2).max(6).default(3).describe("How many availability zones to span."),
  zoneNames: z.array(z.string().regex(/^[a-z]{2}-[a-z]+-\d[a-z]$/, { message: "an availability zone name such as eu-west-1a" })).min(2).optional()
    .describe("Explicit availability zone names (instead of the first `availabilityZones` of the region)."),
  existing: z
    .strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: "a VPC id such as vpc-0123456789abcdef0" }).describe("VPC id."),
      privateSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: "a subnet id" })).min(2).describe("Private subnets (nodes, databases)."),
      publicSubnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: "a subnet id" })).default([]).describe("Public subnets (internet-facing load balancers)."),
    })
    .optional()
    .describe("Use an existing VPC instead of creating one."),
});

const rootBase = z.strictObject({
    production: z.boolean().default(false).describe("Protect data from a destroy: retained resources, deletion protection, final snapshots, longer backups."),
    topology: topology.default("single").describe("Default topology of every service: single, external-db or ha."),
    cluster: z
      .strictObject({
        create: clusterCreate.optional().describe("Create an EKS cluster."),
        existing: clusterExisting.optional().describe("Use an existing cluster."),
      })
      .prefault({ create: {} })
      .describe("Where the services run: exactly one of `create` or `existing`."),
    network: network.prefault({}).describe("The VPC (created, or existing)."),
    backup: z
      .strictObject({
        retentionDays: z.number().int().min(1).max(36500).optional().describe("AWS Backup retention in days (default 7, 35 when `production`)."),
        schedule: z
          .string()
          .regex(/^cron\(.+\)$/, { message: "an AWS cron expression such as cron(0 3 * * ? *)" })
          .default("cron(0 3 * * ? *)")
          .describe("When the daily AWS Backup rule runs (UTC)."),
      })
      .prefault({})
      .describe("AWS Backup of EBS volumes and EFS."),
    monitoring: z
      .strictObject({
        containerInsights: z.boolean().default(true).describe("Install CloudWatch Container Insights."),
        logRetentionDays: cloudWatchRetentionDays.default(30).describe("Retention of the Container Insights log groups."),
      })
      .prefault({})
      .describe("CloudWatch Container Insights."),
    databases: sharedDatabases.describe(
      "Shared RDS instances by name; a service's `database.shared: <name>` gets a database and role of its own on one (created by a Job in the cluster).",
    ),
    endpoints: endpointsBlock.optional().describe("Public HTTPS endpoints; absent, every service stays inside the cluster (reach it with `kubectl port-forward`, see the outputs)."),
    accessLogs: z
      .strictObject({
        retentionDays: z.number().int().min(1).max(3653).optional().describe("Days the log bucket keeps S3 and ALB access logs (default 90, 365 when `production`)."),
      })
      .prefault({})
      .describe("The log bucket every bucket and ALB of the stack logs its access to."),
    xroad: xroadBlock.optional().describe("X-Road Security Server; present means enabled."),
    rstuf: rstufBlock.optional().describe("Repository Service for TUF; present means enabled."),
    sigstore: sigstoreBlock.optional().describe("Sigstore (Trillian, Rekor, Fulcio, CT log, TSA, TUF) as in Red Hat Trusted Artifact Signer; present means enabled."),
    pulp: pulpBlock.optional().describe("Pulp 3 (API, content app, workers, web server); present means enabled."),
  });

const rootSchema = rootBase.superRefine((s, ctx) => {
    const { create, existing } = s.cluster;
    if ((create === undefined) === (existing === undefined)) {
      ctx.addIssue({ code: "custom", path: ["cluster"], message: "exactly one of `create` or `existing`" });
    }
    if (existing && (existing.kubeconfig === undefined) === (existing.stackReference === undefined)) {
      ctx.addIssue({ code: "custom", path: ["cluster", "existing"], message: "exactly one of `kubeconfig` or `stackReference`" });
    }
    if (create) {
      const n = create.nodes;
      if (!(n.min <= n.desired && n.desired <= n.max)) {
        ctx.addIssue({ code: "custom", path: ["cluster", "create", "nodes"], message: "min ≤ desired ≤ max" });
      }
    }
    if (s.network.zoneNames && s.network.existing) {
      ctx.addIssue({ code: "custom", path: ["network", "zoneNames"], message: "zoneNames only applies to a created VPC; remove it or network.existing" });
    }
    if (s.xroad) checkXRoad(s.xroad, s, ctx);
    if (s.rstuf) checkRstuf(s.rstuf, s, s.cluster.create !== undefined, ctx);
    if (s.sigstore) checkSigstore(s.sigstore, s, s.cluster.create !== undefined, ctx);
    if (s.pulp) checkPulp(s.pulp, s, s.cluster.create !== undefined, ctx);
    if (s.endpoints) checkEndpoints(s.endpoints, s, endpointsOf(s as unknown as RawSettings), ctx);
    checkNeeds(s, ctx);
  });

/** The settings keys that are service blocks, in the order services were added. Adding a service adds its key here. */
export const SERVICE_KEYS = ["xroad", "rstuf", "sigstore", "pulp"] as const;
export type ServiceKey = (typeof SERVICE_KEYS)[number];

/**
 * The one table of data needs: for each service, what it asks the platform for.
 * A new service adds its row (a function of its settings block).
 */
const NEEDS: { [K in ServiceKey]: (s: RawSettings) => DataNeed[] } = {
  xroad: (s) => (s.xroad ? xroadNeeds(s.xroad, topologyOf(s, s.xroad), s.cluster.create !== undefined) : []),
  rstuf: (s) => (s.rstuf ? rstufNeeds(s.rstuf, topologyOf(s, s.rstuf), s.cluster.create !== undefined) : []),
  sigstore: (s) => (s.sigstore ? sigstoreNeeds(s.sigstore, topologyOf(s, s.sigstore), s.cluster.create !== undefined) : []),
  pulp: (s) => (s.pulp ? pulpNeeds(s.pulp, topologyOf(s, s.pulp), s.cluster.create !== undefined) : []),
};

/**
 * The one table of public endpoints: for each service, the HTTPS endpoints it
 * serves when `endpoints` is set (their hostnames go into the certificate).
 */
const ENDPOINTS: { [K in ServiceKey]: (s: RawSettings) => EndpointNeed[] } = {
  xroad: (s) => (s.xroad && s.endpoints ? xroadEndpoints(s.xroad, s.endpoints) : []),
  rstuf: (s) => (s.rstuf && s.endpoints ? rstufEndpoints(s.rstuf, s.endpoints) : []),
  sigstore: (s) => (s.sigstore && s.endpoints ? sigstoreEndpoints(s.sigstore, s.endpoints) : []),
  pulp: (s) => (s.pulp && s.endpoints ? pulpEndpoints(s.pulp, s.endpoints) : []),
};

/** Every enabled service's endpoints, in service order (none without `endpoints`). */
export function endpointsOf(s: RawSettings): EndpointNeed[] {
  return SERVICE_KEYS.flatMap((k) => ENDPOINTS[k](s));
}

/** Every enabled service's data needs, in service order. */
export function needsOf(s: RawSettings): DataNeed[] {
  return SERVICE_KEYS.flatMap((k) => NEEDS[k](s));
}

type RootOf = z.output<typeof rootBase>;

/** The rules every database and cache need follows, whatever the service; each names the key it is about. */
function checkNeeds(s: RootOf, ctx: z.RefinementCtx): void {
  const existing = s.cluster.existing;
  // Where RDS and ElastiCache can be created: a created cluster's VPC, or a given VPC whose nodes' security group is known.
  const canCreate = s.cluster.create !== undefined || (s.network.existing !== undefined && existing?.nodeSecurityGroupId !== undefined);
  const awsNetwork = s.cluster.create !== undefined || s.network.existing !== undefined;
  for (const [name] of Object.entries(s.databases)) {
    if (!canCreate) {
      ctx.addIssue({ code: "custom", path: ["databases", name], message: "a shared RDS instance needs cluster.create, or network.existing with cluster.existing.nodeSecurityGroupId" });
    }
  }
  for (const n of needsOf(s as unknown as RawSettings)) {
    if (n.kind === "bucket") continue;
    const at = (...rest: string[]) => [n.service, n.key, ...rest];
    const what = n.kind === "database" ? (n.engine === "postgres" ? "PostgreSQL" : "MySQL") : "Redis";
    const c = n.settings as { create?: unknown; given?: unknown; shared?: string };
    if (n.topology === "single") {
      if (c.create) ctx.addIssue({ code: "custom", path: at("create"), message: `topology single runs ${what} in the cluster; remove it, or use topology external-db or ha` });
      if (c.shared) ctx.addIssue({ code: "custom", path: at("shared"), message: `topology single runs ${what} in the cluster; remove it, or use topology external-db or ha` });
      continue;
    }
    if (c.shared !== undefined && n.kind === "database") {
      const inst = s.databases[c.shared];
      if (!inst) {
        const known = Object.keys(s.databases);
        ctx.addIssue({ code: "custom", path: at("shared"), message: `no shared instance "${c.shared}" — one of trust-services:databases (${known.length ? known.join(", ") : "none declared"})` });
      } else if (inst.engine !== n.engine) {
        ctx.addIssue({ code: "custom", path: at("shared"), message: `"${c.shared}" runs ${inst.engine}; ${n.service} needs ${n.engine}` });
      } else if (n.version && !n.version.pattern.test(inst.engineVersion)) {
        ctx.addIssue({ code: "custom", path: at("shared"), message: `"${c.shared}" runs ${inst.engine} ${inst.engineVersion}; ${n.service} needs ${n.version.rule}` });
      }
    }
    if (c.given === undefined && c.shared === undefined) {
      if (!awsNetwork && c.create === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at(),
          message: `topology ${n.topology} needs an external ${what}: set ${n.service}.${n.key}.given (this stack has no AWS network to create ${n.kind === "database" ? "RDS" : "ElastiCache"} in)`,
        });
      } else if (!canCreate) {
        ctx.addIssue({ code: "custom", path: at("create"), message: `creating ${n.kind === "database" ? "RDS" : "ElastiCache"} beside an existing cluster needs network.existing and cluster.existing.nodeSecurityGroupId` });
      }
    }
  }
}

export type RawSettings = z.output<typeof rootSchema>;

/** The parsed stack settings, plus what the runtime knows (project, stack, region). */
export type Settings = RawSettings & {
  project: string;
  stack: string;
  /** AWS region (`aws:region`); needed when any AWS resource is created. */
  region?: string;
  /** True when this stack creates AWS resources (an EKS cluster or a managed database). */
  usesAws: boolean;
};

/** The schema, for the configuration reference and its test. */
export const settingsSchema = rootSchema;

export class SettingsError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "SettingsError";
  }
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describeGiven(raw: unknown, path: PropertyKey[]): string {
  if (path.some((p) => typeof p === "string" && SECRET_KEYS.has(p))) return "(a secret value)";
  const v = valueAt(raw, path);
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v, (k, val) => (SECRET_KEYS.has(k) ? "(secret)" : val));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function keyPath(path: PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

function describeAllowed(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected === "object" ? "a block (object)" : issue.expected === "array" ? "a list" : `a ${issue.expected}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
    case "too_small":
      return issue.origin === "array" || issue.origin === "string"
        ? `at least ${issue.minimum} ${issue.origin === "array" ? "item(s)" : "character(s)"}`
        : `a number ${issue.inclusive ? "≥" : ">"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `at most ${issue.maximum} ${issue.origin === "array" ? "item(s)" : "character(s)"}`
        : `a number ${issue.inclusive ? "≤" : "<"} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

/** One line per problem: `trust-services:<key.path>: <given> — <allowed>`. */
export function formatIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) {
        const parent = valueAt(raw, issue.path);
        const known = Object.keys(shapeAt(issue.path)).filter((key) => !(parent && typeof parent === "object" && key === k));
        lines.push(`${CONFIG_NAMESPACE}:${keyPath([...issue.path, k])}: unknown key — known keys here: ${known.join(", ") || "(none)"}`);
      }
      continue;
    }
    if (issue.code === "invalid_union" && issue.path.length > 0) {
      // Literal unions (retention days): list the allowed values.
      const allowed = literalValuesAt(issue.path);
      lines.push(`${CONFIG_NAMESPACE}:${keyPath(issue.path)}: ${describeGiven(raw, issue.path)} — ${allowed ? `one of ${allowed.join(" | ")}` : issue.message}`);
      continue;
    }
    // A version set with `pulumi config set --path` arrives as a number ("1.30" as 1.3): say to quote it.
    const quoteHint =
      issue.code === "invalid_type" && issue.expected === "string" && typeof valueAt(raw, issue.path) === "number" ? " (quote it, e.g. '\"1.33\"')" : "";
    lines.push(`${CONFIG_NAMESPACE}:${keyPath(issue.path)}: ${describeGiven(raw, issue.path)} — ${describeAllowed(issue)}${quoteHint}`);
  }
  return lines;
}

/** Walks the schema to the object at `path` and returns its shape (for "known keys"). */
function schemaAt(path: PropertyKey[]): z.ZodType | undefined {
  let cur: z.ZodType | undefined = rootSchema;
  for (const p of path) {
    cur = unwrap(cur);
    if (cur instanceof z.ZodObject) cur = (cur.shape as Record<string, z.ZodType>)[String(p)];
    else if (cur instanceof z.ZodArray) cur = cur.element as z.ZodType;
    else if (cur instanceof z.ZodRecord) cur = cur.valueType as z.ZodType;
    else return undefined;
  }
  return unwrap(cur);
}

function shapeAt(path: PropertyKey[]): Record<string, unknown> {
  const s = schemaAt(path);
  if (s instanceof z.ZodObject) return s.shape as Record<string, unknown>;
  // A record keyed by an enum (addonVersions): its keys are the enum's values.
  const keyType = s instanceof z.ZodRecord ? unwrap(s.keyType as z.ZodType) : undefined;
  if (keyType instanceof z.ZodEnum) return Object.fromEntries((keyType.options as string[]).map((k) => [k, true]));
  return {};
}

function literalValuesAt(path: PropertyKey[]): unknown[] | undefined {
  const s = schemaAt(path);
  if (s instanceof z.ZodUnion) {
    const opts = (s.options as z.ZodType[]).map(unwrap);
    if (opts.every((o) => o instanceof z.ZodLiteral)) return opts.map((o) => (o as z.ZodLiteral).value);
  }
  return undefined;
}

/** Strips optional/default/prefault/pipe wrappers. */
export function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    const def = (cur as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })._zod.def;
    if (def.innerType) cur = def.innerType;
    else if (def.type === "pipe" && def.in) cur = def.in;
    else break;
  }
  return cur;
}

/**
 * Turns Pulumi's config map (`<namespace>:<key>` → string) into the raw object the
 * schema reads. Object and list values arrive as JSON; scalars as their text.
 */
export function rawConfig(all: Record<string, string>, namespace = CONFIG_NAMESPACE): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${namespace}:`;
  for (const [k, v] of Object.entries(all)) {
    if (!k.startsWith(prefix)) continue;
    const key = k.slice(prefix.length);
    raw[key] = parseScalar(v);
  }
  return raw;
}

function parseScalar(v: string): unknown {
  const t = v.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  if (t === "true") return true;
  if (t === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return v;
}

/** Validates a raw config object; throws one SettingsError listing every problem. */
export function parseSettings(
  raw: Record<string, unknown>,
  runtime: { project: string; stack: string; region?: string },
): Settings {
  const result = rootSchema.safeParse(raw);
  if (!result.success) throw new SettingsError(formatIssues(raw, result.error.issues));
  const s = result.data;
  fillNeedDefaults(needsOf(s));
  haNodeDefaults(raw, s);
  const usesAws =
    s.cluster.create !== undefined ||
    Object.keys(s.databases).length > 0 ||
    needsOf(s).some((n) => n.kind !== "bucket" && (n.settings as { create?: unknown }).create !== undefined);
  const regionProblems = [
    checkCertificateRegion(s.endpoints, runtime.region),
    checkRstufKmsRegion(s.rstuf, s.rstuf ? topologyOf(s, s.rstuf) : s.topology, s.cluster.create !== undefined, runtime.region),
    checkSigstoreRdsRegion(s.sigstore, s.sigstore ? topologyOf(s, s.sigstore) : s.topology, runtime.region),
  ].filter((p): p is string => p !== undefined);
  if (regionProblems.length) throw new SettingsError(regionProblems);
  if (usesAws && !runtime.region) {
    throw new SettingsError([
      `aws:region: nothing — an AWS region such as eu-west-1 (this stack creates AWS resources; set it with \`pulumi config set aws:region <region>\`)`,
    ]);
  }
  return { ...s, project: runtime.project, stack: runtime.stack, region: runtime.region, usesAws };
}

/** The node group a stack with a service in ha gets when it names none: the prod example's, sized by the `schedulable` rule. */
export const HA_NODES = { instanceTypes: ["m6i.2xlarge"], min: 5, desired: 5, max: 10 };

/**
 * In ha the replicas must fit with one node lost: a created cluster whose
 * settings leave the node group's size or instance types out gets the ha
 * defaults for what they leave out (when the counts it gives stay in order).
 */
function haNodeDefaults(raw: Record<string, unknown>, s: RawSettings): void {
  const create = s.cluster.create;
  const ha = s.topology === "ha" || SERVICE_KEYS.some((k) => s[k] && topologyOf(s, s[k]!) === "ha");
  if (!create || !ha) return;
  const given = (((raw.cluster as Record<string, unknown> | undefined)?.create as Record<string, unknown> | undefined)?.nodes ?? {}) as Record<string, unknown>;
  const n = create.nodes;
  if (given.instanceTypes === undefined) n.instanceTypes = [...HA_NODES.instanceTypes];
  const next = {
    min: given.min === undefined ? Math.max(n.min, HA_NODES.min) : n.min,
    desired: given.desired === undefined ? Math.max(n.desired, HA_NODES.desired) : n.desired,
    max: given.max === undefined ? Math.max(n.max, HA_NODES.max) : n.max,
  };
  if (next.min <= next.desired && next.desired <= next.max) Object.assign(n, next);
}

/**
 * A need for a managed database or cache that names none gets one created
 * (checkNeeds has already refused this where the stack has no AWS network to create it in).
 */
export function fillNeedDefaults(needs: DataNeed[]): void {
  for (const n of needs) {
    if (n.kind === "bucket" || n.topology === "single") continue;
    const c = n.settings as { create?: unknown; given?: unknown; shared?: unknown };
    if (c.create === undefined && c.given === undefined && c.shared === undefined) {
      c.create = n.kind === "database" ? rdsCreateDefaults(n.defaultVersion) : cacheCreateDefaults();
    }
  }
}

/** Reads this stack's config from the Pulumi runtime and parses it. */
export function loadSettings(): Settings {
  const all = pulumi.runtime.allConfig();
  return parseSettings(rawConfig(all), {
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    region: all["aws:region"],
  });
}

/** A service's topology: its own override, else the stack's. */
export function topologyOf(s: RawSettings, service: { topology?: Topology }): Topology {
  return service.topology ?? s.topology;
}
