/**
 * Building blocks for the stack settings schema: value types that several
 * blocks share (CIDRs, Kubernetes quantities, secrets, databases).
 * Nothing here reads config or creates resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { z } from "zod";

export const TOPOLOGIES = ["single", "external-db", "ha"] as const;
export const topology = z.enum(TOPOLOGIES);
export type Topology = z.infer<typeof topology>;

/** Keys whose values are secrets: never echoed in an error, wrapped as secret Outputs once parsed. */
export const SECRET_KEYS = new Set(["adminPassword", "tokenPin", "password", "kubeconfig"]);

/**
 * A secret string: validated as plain text, then wrapped in `pulumi.secret` so it
 * stays a secret Output all the way into a Kubernetes Secret or an AWS secret field.
 */
export const secretString = z
  .string()
  .min(1)
  .transform((v): pulumi.Output<string> => pulumi.secret(v));

/** A kubeconfig: YAML or JSON with at least one cluster (with a server), context and user. */
export function isKubeconfig(v: string): boolean {
  try {
    const k = YAML.parse(v) as Record<string, unknown> | null;
    const list = (key: string) => (Array.isArray(k?.[key]) ? (k![key] as Array<Record<string, any>>) : []);
    return list("clusters").some((c) => typeof c?.cluster?.server === "string") && list("contexts").length > 0 && list("users").length > 0;
  } catch {
    return false;
  }
}

/** A kubeconfig kept secret once validated. */
export const secretKubeconfig = z
  .string()
  .min(1)
  .refine(isKubeconfig, { message: "a kubeconfig (YAML or JSON with clusters, contexts and users)" })
  .transform((v): pulumi.Output<string> => pulumi.secret(v));

function isIpv4Cidr(v: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) && Number(m[5]) <= 32;
}

export const cidr = z.string().refine(isIpv4Cidr, { message: "an IPv4 CIDR such as 10.0.0.0/16" });

/** Kubernetes CPU quantity: "500m", "2", "1.5". */
export const cpuQuantity = z
  .string()
  .regex(/^(\d+m|\d+(\.\d+)?)$/, { message: 'a CPU quantity such as "500m" or "2"' });

/** Kubernetes memory/storage quantity: "512Mi", "3Gi", "1Ti". */
export const byteQuantity = z
  .string()
  .regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/, { message: 'a quantity with a binary unit such as "512Mi" or "10Gi"' });

export const resourceList = z.strictObject({
  cpu: cpuQuantity.optional().describe("CPU, e.g. `500m` or `2`."),
  memory: byteQuantity.optional().describe("Memory, e.g. `3Gi`."),
});

/** requests/limits for one container; missing values fall back to the service's defaults. */
export const resources = z.strictObject({
  requests: resourceList.prefault({}).describe("Resource requests."),
  limits: resourceList.prefault({}).describe("Resource limits."),
});

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const kubernetesName = z
  .string()
  .max(63)
  .regex(dnsLabel, { message: "a lowercase DNS label (a-z, 0-9, '-')" });

/** An image tag: pinned, never `latest`. */
export const pinnedTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "an image tag" })
  .refine((t) => t !== "latest", { message: "a pinned version, not `latest`" });

export const cloudWatchRetentionDays = z.union(
  [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((n) =>
    z.literal(n),
  ) as unknown as [z.ZodLiteral<number>, z.ZodLiteral<number>, ...z.ZodLiteral<number>[]],
);

/**
 * A service's managed database: either created (RDS, in this project's VPC)
 * or given (an endpoint someone else runs). Exactly one of the two.
 */
export function databaseBlock(defaults: { engineVersion: string; engineVersionPattern: RegExp; engineVersionRule: string; port: number; user: string }) {
  return z
    .strictObject({
      create: z
        .strictObject({
          instanceClass: z
            .string()
            .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { message: "an RDS instance class such as db.t4g.medium" })
            .default("db.t4g.medium")
            .describe("RDS instance class."),
          engineVersion: z
            .string()
            .regex(defaults.engineVersionPattern, { message: defaults.engineVersionRule })
            .default(defaults.engineVersion)
            .describe("Engine version."),
          allocatedStorage: z.number().int().min(20).max(65536).default(20).describe("Initial storage in GiB."),
          maxAllocatedStorage: z.number().int().min(20).max(65536).default(100).describe("Storage autoscaling ceiling in GiB."),
          backupRetentionDays: z
            .number()
            .int()
            .min(7)
            .max(35)
            .optional()
            .describe("Automated backup retention in days (default 7, 35 when `production`)."),
          multiAz: z.boolean().optional().describe("Multi-AZ standby (default: on when `production` or topology `ha`)."),
        })
        .optional()
        .describe("Create an RDS instance."),
      given: z
        .strictObject({
          host: z.string().min(1).describe("Database host name."),
          port: z.number().int().min(1).max(65535).default(defaults.port).describe("Database port."),
          user: z.string().min(1).default(defaults.user).describe("Master (superuser) name."),
          password: secretString.describe("Master password; set with `pulumi config set --path --secret`."),
        })
        .optional()
        .describe("Use an existing database."),
    })
    .refine((d) => (d.create === undefined) !== (d.given === undefined), {
      message: "exactly one of `create` or `given`",
    });
}
