/**
 * Building blocks for the stack settings schema: value types that several
 * blocks share (CIDRs, Kubernetes quantities, secrets, databases).
 * Nothing here reads config or creates resources.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { z } from "zod";
import { isPinnedImage, SQL_IDENTIFIER, SQL_IDENTIFIER_RULE } from "../components/checks";

export const TOPOLOGIES = ["single", "external-db", "ha"] as const;
export const topology = z.enum(TOPOLOGIES);
export type Topology = z.infer<typeof topology>;

/** Keys whose values are secrets: never echoed in an error, wrapped as secret Outputs once parsed. */
export const SECRET_KEYS = new Set(["adminPassword", "tokenPin", "password", "kubeconfig", "privateKey", "previousPrivateKey", "databaseFieldsKey"]);

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

const rdsCreate = (defaults: { engineVersion: string; engineVersionPattern: RegExp; engineVersionRule: string }) =>
  z.strictObject({
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
    backupRetentionDays: z.number().int().min(7).max(35).optional().describe("Automated backup retention in days (default 7, 35 when `production`)."),
    multiAz: z.boolean().optional().describe("Multi-AZ standby (default: on when `production` or topology `ha`)."),
  });

/** What `create: {}` means for an RDS instance. */
export function rdsCreateDefaults(engineVersion: string): z.output<ReturnType<typeof rdsCreate>> {
  return rdsCreate({ engineVersion, engineVersionPattern: /^/, engineVersionRule: "" }).parse({});
}

/** What `create: {}` means for an ElastiCache replication group. */
export function cacheCreateDefaults(): NonNullable<CacheSettings["create"]> {
  return cacheCreate.parse({});
}

/** Name of a shared instance in `trust-services:databases` (it names an RDS instance: no double or trailing '-'). */
export const sharedName = z
  .string()
  .max(30)
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, { message: "a name such as main (lowercase letters and digits, single '-' between them)" });

/** A pinned image reference: `[registry[:port]/]repository:tag` (not latest) or a digest. */
/** One or more PEM certificates. */
export const pemCertificates = z.string().refine(
  (p) => {
    const certs = p.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    try {
      return certs.length > 0 && certs.every((c) => new crypto.X509Certificate(c));
    } catch {
      return false;
    }
  },
  { message: "PEM certificates (-----BEGIN CERTIFICATE----- …)" },
);

export const pinnedImage = z.string().refine(isPinnedImage, { message: "a pinned image reference (repository:tag other than latest, or @sha256 digest)" });

/** An in-cluster store (topology single). */
const inClusterStore = z.strictObject({
  storageSize: byteQuantity.default("10Gi").describe("Size of the store's volume."),
  storageClass: z.string().min(1).optional().describe("StorageClass of the volume (default: the platform's encrypted gp3)."),
  image: pinnedImage.optional().describe("Image of the store (default: the pinned official image; give a mirror's here)."),
});

/**
 * A service's database: created on RDS, given, or a database of its own on a
 * shared instance (`trust-services:databases`); in topology `single` it runs in
 * the cluster unless given. At most one of `create`, `given` and `shared`.
 */
export function databaseBlock(defaults: {
  engineVersion: string;
  engineVersionPattern: RegExp;
  engineVersionRule: string;
  port: number;
  user: string;
  /** The service runs its single-topology database in the cluster (X-Road keeps it in its own container). */
  inCluster: boolean;
  /** What a given password may hold, when the service cannot take every character (the rule says why). */
  givenPassword?: { pattern: RegExp; rule: string };
}) {
  const block = z.strictObject({
    create: rdsCreate(defaults).optional().describe("Create an RDS instance for this service alone."),
    given: z
      .strictObject({
        host: z.string().min(1).describe("Database host name."),
        port: z.number().int().min(1).max(65535).default(defaults.port).describe("Database port."),
        user: z.string().min(1).default(defaults.user).describe("User the service connects as (for X-Road: a superuser)."),
        password: (defaults.givenPassword
          ? z.string().regex(defaults.givenPassword.pattern, { message: defaults.givenPassword.rule }).pipe(secretString)
          : secretString
        ).describe("Its password; set with `pulumi config set --path --secret`."),
        database: z.string().regex(SQL_IDENTIFIER, { message: SQL_IDENTIFIER_RULE }).optional().describe("Database name (default: the service's)."),
        tls: z.boolean().default(true).describe("The server takes TLS connections."),
        caCertificate: pemCertificates.optional().describe("The CA that signed the server's certificate (PEM): clients verify the server with it."),
        cidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Where the database's address lies (egress NetworkPolicy)."),
      })
      .optional()
      .describe("Use an existing database."),
    shared: sharedName.optional().describe("A database and role of its own on the shared instance `trust-services:databases.<name>`."),
    ...(defaults.inCluster ? { inCluster: inClusterStore.prefault({}).describe("The in-cluster database of topology `single`.") } : {}),
  });
  return block.refine((d) => [d.create, d.given, d.shared].filter((x) => x !== undefined).length <= 1, {
    message: "at most one of `create`, `given` or `shared`",
  });
}

export type DatabaseSettings = {
  create?: z.output<ReturnType<typeof rdsCreate>>;
  given?: { host: string; port: number; user: string; password: pulumi.Output<string>; database?: string; tls: boolean; caCertificate?: string; cidrs: string[] };
  shared?: string;
  inCluster?: z.output<typeof inClusterStore>;
};

/** A service's Redis: ElastiCache created for it, given, or in the cluster (topology single). */
const cacheCreate = z.strictObject({
  nodeType: z.string().regex(/^cache\.[a-z0-9-]+\.[a-z0-9]+$/, { message: "an ElastiCache node type such as cache.t4g.small" }).default("cache.t4g.small").describe("ElastiCache node type."),
  engineVersion: z.string().regex(/^[67]\.\d+$/, { message: 'a Redis OSS version such as "7.1"' }).default("7.1").describe("Redis OSS engine version."),
  snapshotRetentionDays: z.number().int().min(1).max(35).optional().describe("Daily snapshots kept (default 1, 7 when `production`)."),
  failover: z.boolean().optional().describe("A replica in another zone with automatic failover (default: on when `production` or topology `ha`)."),
});

export const cacheBlock = z
  .strictObject({
    create: cacheCreate
      .optional()
      .describe("Create an ElastiCache replication group for this service."),
    given: z
      .strictObject({
        host: z.string().min(1).describe("Redis host name."),
        port: z.number().int().min(1).max(65535).default(6379).describe("Redis port."),
        password: secretString.optional().describe("AUTH password, if the server requires one."),
        tls: z.boolean().default(true).describe("The server takes TLS connections."),
        caCertificate: pemCertificates.optional().describe("The CA that signed the server's certificate (PEM), when not a public one: clients verify the server with it."),
        cidrs: z.array(cidr).default(["0.0.0.0/0"]).describe("Where the server's address lies (egress NetworkPolicy)."),
      })
      .optional()
      .describe("Use an existing Redis."),
    inCluster: inClusterStore.prefault({}).describe("The in-cluster Redis of topology `single`."),
  })
  .refine((c) => !(c.create && c.given), { message: "at most one of `create` or `given`" });

export type CacheSettings = z.output<typeof cacheBlock>;

/** The shared RDS instances (`trust-services:databases.<name>`), each used by several services. */
export const sharedDatabases = z
  .record(
    sharedName,
    z
      .strictObject({
        engine: z.enum(["postgres", "mysql"]).describe("postgres or mysql."),
        ...rdsCreate({ engineVersion: "", engineVersionPattern: /^(\d+(\.\d+){0,2})?$/, engineVersionRule: 'a version such as "16" or "8.4"' }).shape,
      })
      .superRefine((d, ctx) => {
        const ok = d.engine === "postgres" ? /^(1[3-9])(\.\d+)?$/ : /^8\.\d+(\.\d+)?$/;
        if (d.engineVersion && !ok.test(d.engineVersion)) {
          ctx.addIssue({ code: "custom", path: ["engineVersion"], message: d.engine === "postgres" ? 'a PostgreSQL version RDS runs, "13" to "19" (or "16.x")' : 'a MySQL 8 version such as "8.4" or "8.0.40"' });
        }
      })
      .transform((d) => ({ ...d, engineVersion: d.engineVersion || (d.engine === "postgres" ? "16" : "8.4") })),
  )
  .default({});

export type SharedDatabaseSettings = z.output<typeof sharedDatabases>[string];

const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Where a service's pods may run (passed to every pod it creates); refused here where the API server would refuse it. */
export const schedulingBlock = z.strictObject({
  nodeSelector: z
    .record(z.string().regex(LABEL_NAME, { message: "a label key such as pool or example.org/pool" }), z.string().regex(LABEL_VALUE, { message: "a label value (63 characters of letters, digits, '-', '_', '.')" }))
    .optional()
    .describe("Node labels the pods require."),
  tolerations: z
    .array(
      z
        .strictObject({
          key: z.string().regex(LABEL_NAME, { message: "a taint key" }).optional(),
          operator: z.enum(["Equal", "Exists"]).optional(),
          value: z.string().regex(LABEL_VALUE, { message: "a taint value" }).optional(),
          effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
          tolerationSeconds: z.number().int().min(0).optional(),
        })
        .superRefine((t, ctx) => {
          const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
          if (t.operator === "Exists" && t.value) issue("value", "no value with operator Exists");
          if (!t.key && t.operator !== "Exists") issue("operator", "Exists when no key is given (it tolerates every taint)");
          if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") issue("tolerationSeconds", "only with effect NoExecute");
        }),
    )
    .optional()
    .describe("Taints the pods tolerate."),
});
