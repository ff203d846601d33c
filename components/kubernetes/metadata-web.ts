/**
 * The metadata web server's nginx configuration: TUF clients read the
 * repository RSTUF writes, read-only, with caching that follows TUF's rules.
 *
 * - Versioned metadata (`<version>.<role>.json`: root, snapshot, targets, bins)
 *   is written once and never changed (consistent snapshots), so clients and
 *   caches may keep it (`immutable`), and in front of S3 nginx caches it.
 * - Unversioned metadata (`timestamp.json`, and any other unversioned file)
 *   changes on every bump (every five minutes, and on every publication):
 *   `Cache-Control: no-cache`, and never served from nginx's cache, so a client
 *   gets the timestamp the worker wrote last (on a volume the worker rewrites
 *   the file in place, so a read may meet a write: the TUF client then refuses
 *   the partial file and retries, an upstream limit, worker local.py `put`).
 * - Nothing else is served: no listing, no other methods than GET and HEAD.
 *
 * The same file serves a volume (`root`) or proxies the S3 gateway beside it
 * (`upstream`); `test/rstuf-web.spec.ts` runs it in a real nginx and a TUF
 * client (tuf-js) reads through it.
 */

/**
 * The image that runs this configuration: nginx from the unprivileged nginx-s3-gateway
 * image (its nginx serves a volume too; its gateway reads S3 for RSTUF).
 */
export const METADATA_WEB_IMAGE = "nginxinc/nginx-s3-gateway:unprivileged-oss-20260413";

export interface MetadataNginxArgs {
  /** Port nginx listens on. */
  port: number;
  /** Serve files from this directory (a volume with LocalStorage). */
  root?: string;
  /** Or proxy to this origin (the S3 gateway, `http://127.0.0.1:8080`). */
  upstream?: string;
  /** Writable directory for the pid file, temporary files and the cache. @default "/tmp" */
  tmpDir?: string;
  /** Access log file. @default "/var/log/nginx/access.log" (the nginx images link it to the container's stdout) */
  accessLog?: string;
  /** How long a versioned file stays in nginx's cache in front of S3. @default "1d" */
  versionedCacheTime?: string;
  /**
   * Also serve TUF targets by hash (`/targets/<sha256>.<name>`, consistent snapshots), immutable,
   * from the files `targets.<sha256>.<name>` beside the metadata (a ConfigMap key holds no `/`).
   * Only with `root`. @default false
   */
  hashedTargets?: boolean;
}

/** A TUF target by hash: `/targets/<sha256>.<name>`. */
export const HASHED_TARGET = "^/targets/([0-9a-f]{64}\\.[A-Za-z0-9_.-]+)$";

/** Versioned metadata: `<version>.<role>.json` (the role name may hold dots and dashes, e.g. bins delegations). */
export const VERSIONED_METADATA = "^/[0-9]+\\.[A-Za-z0-9_.-]+\\.json$";
/** Unversioned metadata: `<role>.json`. */
export const UNVERSIONED_METADATA = "^/[A-Za-z][A-Za-z0-9_.-]*\\.json$";

/**
 * The start of an nginx configuration for the unprivileged nginx images with a
 * read-only root: one worker, the pid and temporary files under `tmp`, errors
 * to stderr, the access log, no version in headers. It opens `http {`.
 */
export function nginxPrelude(tmp: string, accessLog = "/var/log/nginx/access.log"): string[] {
  return [
    "worker_processes 1;",
    `pid ${tmp}/nginx.pid;`,
    "error_log stderr warn;",
    "events { worker_connections 1024; }",
    "http {",
    `  client_body_temp_path ${tmp}/client_temp;`,
    `  proxy_temp_path ${tmp}/proxy_temp;`,
    `  fastcgi_temp_path ${tmp}/fastcgi_temp;`,
    `  uwsgi_temp_path ${tmp}/uwsgi_temp;`,
    `  scgi_temp_path ${tmp}/scgi_temp;`,
    `  access_log ${accessLog} combined;`,
    "  server_tokens off;",
    "  sendfile on;",
  ];
}

export function metadataNginxConf(a: MetadataNginxArgs): string {
  if ((a.root === undefined) === (a.upstream === undefined)) throw new Error("metadataNginxConf: exactly one of root or upstream");
  if (a.hashedTargets && a.root === undefined) throw new Error("metadataNginxConf: hashedTargets only with root");
  const tmp = a.tmpDir ?? "/tmp";
  const proxied = a.upstream !== undefined;
  const source = (cache: boolean) =>
    proxied
      ? [
          // The normalised path ($uri: `//1.root.json` is `/1.root.json`), not the raw request line the
          // S3 gateway would turn into a key with a leading slash.
          `proxy_pass ${a.upstream}$uri;`,
          "proxy_http_version 1.1;",
          'proxy_set_header Connection "";',
          // Only the origin's body and validators: no S3 headers reach the client.
          "proxy_hide_header x-amz-id-2;",
          "proxy_hide_header x-amz-request-id;",
          "proxy_hide_header x-amz-server-side-encryption;",
          "proxy_hide_header x-amz-server-side-encryption-aws-kms-key-id;",
          "proxy_hide_header x-amz-server-side-encryption-bucket-key-enabled;",
          "proxy_hide_header x-amz-version-id;",
          "proxy_hide_header Cache-Control;",
          ...(cache
            ? ["proxy_cache metadata;", `proxy_cache_valid 200 ${a.versionedCacheTime ?? "1d"};`, "proxy_cache_key $uri;", "proxy_cache_lock on;"]
            : ["proxy_cache off;"]),
        ]
      : ["try_files $uri =404;"];
  const lines = [
    ...nginxPrelude(tmp, a.accessLog),
    "  types { application/json json; }",
    "  default_type application/octet-stream;",
    ...(proxied ? ["  proxy_headers_hash_bucket_size 128;", `  proxy_cache_path ${tmp}/metadata-cache levels=1:2 keys_zone=metadata:10m max_size=256m inactive=7d use_temp_path=off;`] : []),
    "  server {",
    `    listen ${a.port};`,
    ...(a.root !== undefined ? [`    root ${a.root};`] : []),
    "    location = /health { access_log off; default_type text/plain; return 200 \"ok\\n\"; }",
    // The files behind hashed targets are reached only by their TUF path.
    ...(a.hashedTargets ? ['    location ~ "^/targets\\." { return 404; }'] : []),
    "    # Versioned metadata never changes once written (consistent snapshots).",
    `    location ~ "${VERSIONED_METADATA}" {`,
    "      limit_except GET { deny all; }",
    '      add_header Cache-Control "public, max-age=31536000, immutable";',
    ...source(true).map((l) => `      ${l}`),
    "    }",
    "    # timestamp.json changes with every bump: revalidated on every read, never cached here.",
    `    location ~ "${UNVERSIONED_METADATA}" {`,
    "      limit_except GET { deny all; }",
    '      add_header Cache-Control "no-cache";',
    ...source(false).map((l) => `      ${l}`),
    "    }",
    ...(a.hashedTargets
      ? [
          "    # Targets are named by their hash: never changed once written.",
          `    location ~ "${HASHED_TARGET}" {`,
          "      limit_except GET { deny all; }",
          '      add_header Cache-Control "public, max-age=31536000, immutable";',
          `      alias ${a.root}/targets.$1;`,
          "    }",
        ]
      : []),
    "    location / { return 404; }",
    "  }",
    "}",
  ];
  return lines.join("\n") + "\n";
}
