/**
 * Pulp's `settings.py`, as pulpcore reads it from `/etc/pulp/settings.py`
 * (dynaconf evaluates the file as Python): the database, the cache, the
 * storage, the origin clients use, the allowed hosts, and the paths of the
 * keys mounted beside it. Every value is written as a Python literal (JSON's
 * string escapes are Python's too), so the file is valid Python whatever a
 * password holds; `test/pulp.spec.ts` runs it with python3.
 */

/** Where the files settings.py names are mounted. */
export const PULP_PATHS = {
  settings: "/etc/pulp/settings.py",
  keys: "/etc/pulp/keys",
  dbKey: "/etc/pulp/keys/database_fields.symmetric.key",
  tokenPrivateKey: "/etc/pulp/keys/container_auth_private_key.pem",
  tokenPublicKey: "/etc/pulp/keys/container_auth_public_key.pem",
  certs: "/etc/pulp/certs",
  databaseCa: "/etc/pulp/certs/database-ca.crt",
  clientCertificates: "/etc/pulp/client-cert",
  databaseClientCert: "/etc/pulp/client-cert/tls.crt",
  databaseClientKey: "/etc/pulp/client-cert/tls.key",
  cacheCa: "/etc/pulp/certs/cache-ca.crt",
  varLib: "/var/lib/pulp",
  media: "/var/lib/pulp/media",
  workingDirectory: "/var/lib/pulp/tmp",
  // pulp-minimal collects the static files here at build time.
  staticRoot: "/var/lib/operator/static/",
} as const;

export interface PulpDatabaseSettings {
  host: string;
  port: number;
  name: string;
  user: string;
  password: string;
  /** libpq sslmode: "verify-full" with a CA, "require" without one, "disable" without TLS. */
  sslmode: string;
  /** A CA file to verify the server with (verify-full). */
  caFile?: string;
  /** A client certificate and key to authenticate with (the server requires one). */
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface PulpCacheSettings {
  host: string;
  port: number;
  password?: string;
  tls: boolean;
  /** A CA file to verify the server with (absent: the system's roots). */
  caFile?: string;
}

export interface PulpS3Settings {
  bucketName: string;
  region: string;
}

export interface PulpSettingsFileArgs {
  secretKey: string;
  /** The URL clients reach the content app at (scheme and host, no path). */
  contentOrigin: string;
  allowedHosts: string[];
  database: PulpDatabaseSettings;
  cache: PulpCacheSettings;
  /** Artifacts in S3 (django-storages, credentials from the pod's role); absent: /var/lib/pulp/media. */
  s3?: PulpS3Settings;
  /** @default "/pulp/" */
  apiRoot?: string;
}

/** A Python literal of a JSON-like value. */
export function pythonLiteral(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`pythonLiteral: ${v}`);
    return String(v);
  }
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pythonLiteral).join(", ")}]`;
  if (typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, e]) => `${JSON.stringify(k)}: ${pythonLiteral(e)}`)
      .join(", ")}}`;
  }
  throw new Error(`pythonLiteral: a ${typeof v}`);
}

/** The whole settings.py. */
export function pulpSettingsPy(a: PulpSettingsFileArgs): string {
  const origin = a.contentOrigin.replace(/\/+$/, "");
  if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new Error(`pulpSettingsPy: contentOrigin ${JSON.stringify(a.contentOrigin)}: a scheme and host, e.g. https://pulp.example.org`);
  const db = a.database;
  const settings: Array<[string, unknown]> = [
    ["SECRET_KEY", a.secretKey],
    ["CONTENT_ORIGIN", origin],
    ["ALLOWED_HOSTS", a.allowedHosts],
    ["API_ROOT", a.apiRoot ?? "/pulp/"],
    // The load balancer terminated TLS; the web server passes its X-Forwarded-Proto on.
    ["SECURE_PROXY_SSL_HEADER", ["HTTP_X_FORWARDED_PROTO", "https"]],
    ["DB_ENCRYPTION_KEY", PULP_PATHS.dbKey],
    [
      "DATABASES",
      {
        default: {
          ENGINE: "django.db.backends.postgresql",
          HOST: db.host,
          PORT: db.port,
          NAME: db.name,
          USER: db.user,
          PASSWORD: db.password,
          CONN_MAX_AGE: 0,
          OPTIONS: {
            sslmode: db.sslmode,
            ...(db.caFile ? { sslrootcert: db.caFile } : {}),
            ...(db.clientCertFile ? { sslcert: db.clientCertFile, sslkey: db.clientKeyFile } : {}),
          },
        },
      },
    ],
    // The content app caches responses (and on-demand content's headers) in Redis.
    ["CACHE_ENABLED", true],
    ["REDIS_HOST", a.cache.host],
    ["REDIS_PORT", a.cache.port],
    ["REDIS_DB", 0],
    ["REDIS_PASSWORD", a.cache.password ?? null],
    ["REDIS_SSL", a.cache.tls],
    ...(a.cache.tls && a.cache.caFile ? ([["REDIS_SSL_CA_CERTS", a.cache.caFile]] as Array<[string, unknown]>) : []),
    ["WORKING_DIRECTORY", PULP_PATHS.workingDirectory],
    ["STATIC_ROOT", PULP_PATHS.staticRoot],
    ...(a.s3
      ? ([
          // django-storages with no keys: boto3's default chain, which takes EKS Pod Identity's credentials.
          ["MEDIA_ROOT", ""],
          [
            "STORAGES",
            {
              default: {
                BACKEND: "storages.backends.s3.S3Storage",
                OPTIONS: { bucket_name: a.s3.bucketName, region_name: a.s3.region, signature_version: "s3v4", addressing_style: "virtual" },
              },
              staticfiles: { BACKEND: "django.contrib.staticfiles.storage.StaticFilesStorage" },
            },
          ],
        ] as Array<[string, unknown]>)
      : ([["MEDIA_ROOT", PULP_PATHS.media]] as Array<[string, unknown]>)),
    // Container registry tokens, signed with the pair mounted beside this file.
    ["TOKEN_AUTH_DISABLED", false],
    ["TOKEN_SERVER", `${origin}/token/`],
    ["TOKEN_SIGNATURE_ALGORITHM", "ES256"],
    ["PRIVATE_KEY_PATH", PULP_PATHS.tokenPrivateKey],
    ["PUBLIC_KEY_PATH", PULP_PATHS.tokenPublicKey],
    // No usage reports to analytics.pulpproject.org from a private deployment.
    ["ANALYTICS", false],
  ];
  return ["# Rendered by trust-services (components/services/pulp/settings-file.ts); do not edit by hand.", ...settings.map(([k, v]) => `${k} = ${pythonLiteral(v)}`), ""].join("\n");
}
