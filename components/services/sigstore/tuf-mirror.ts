/**
 * The deployment's TUF mirror: the repository `cosign initialize` and
 * sigstore-js start from, built by the program (tuf.ts, @tufjs/models) from
 * keys kept in the stack's state, and served read-only by nginx replicas from
 * an immutable ConfigMap (a new one for new content, which rolls the pods),
 * so no replica ever makes keys or metadata of its own.
 *
 * Versions and expiry: root's versions 1..N each expire `rootExpiryDays` after
 * the one before (from the deployment's epoch), and all are published; the
 * other roles share a version and expiry that a time resource renews: it is
 * made again when the targets change or `renewAfterDays` have passed, and the
 * next `pulumi up` then signs a higher version valid `expiryDays` from then.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { EndpointArgs } from "../../kubernetes/endpoint";
import { metadataNginxConf } from "../../kubernetes/metadata-web";
import { Workload } from "../../kubernetes/workload";
import { RoleContext, SIGSTORE_PORTS } from "./context";
import { addDays } from "./material";
import { buildTufRepository } from "./tuf";

/** The uid nginx has in the unprivileged nginx images. */
const NGINX_UID = 101;
const CONTENT_PATH = "/srv/tuf";

export interface TufMirrorArgs {
  image: string;
  rootKeyPem: pulumi.Output<string>;
  onlineKeyPem: pulumi.Output<string>;
  /** Target name → content (`trusted_root.json`, `signing_config.v0.2.json`). */
  targets: pulumi.Output<Record<string, string>>;
  /** The deployment's epoch: root's versions count from it. */
  epoch: pulumi.Output<string>;
  expiryDays: number;
  renewAfterDays: number;
  rootExpiryDays: number;
  rootVersion: number;
  endpoint?: EndpointArgs;
}

export interface TufMirror {
  workload: Workload;
  /** Every file by path (public). */
  files: pulumi.Output<Record<string, string>>;
  /** The newest root (what `cosign initialize --root` takes). */
  rootJson: pulumi.Output<string>;
  rootExpires: pulumi.Output<string>;
  /** When targets, snapshot and timestamp expire. */
  expires: pulumi.Output<string>;
  /** From when a `pulumi up` renews them. */
  renewAfter: pulumi.Output<string>;
  version: pulumi.Output<number>;
}

/**
 * The version of targets, snapshot and timestamp signed at `signedAt` (the
 * renewal time's base, RFC 3339) in a deployment made at `epoch`: seconds since
 * the epoch, plus one. 1 at first, and higher at every later signing, since each
 * is a new base time.
 */
export function tufVersion(signedAt: string, epoch: string): number {
  const seconds = Math.floor((Date.parse(signedAt) - Date.parse(epoch)) / 1000);
  if (!Number.isFinite(seconds)) throw new Error(`tufVersion: ${signedAt} or ${epoch} is not an RFC 3339 time`);
  return Math.max(1, seconds + 1);
}

/** The ConfigMap key of a repository file (`targets/<h>.<name>` → `targets.<h>.<name>`: keys hold no `/`). */
export function tufFileKey(path: string): string {
  return path.replace(/^targets\//, "targets.");
}

export function tufMirror(c: RoleContext, a: TufMirrorArgs): TufMirror {
  const child = { parent: c.parent };
  const digest = a.targets.apply((t) => crypto.createHash("sha256").update(JSON.stringify(Object.entries(t).sort())).digest("hex"));
  // Made again when the targets or the lifetimes change, or once renewAfterDays have passed.
  const online = new time.Rotating(
    `${c.name}-tuf-online`,
    { rotationDays: a.renewAfterDays, triggers: { targets: digest, expiryDays: String(a.expiryDays), renewAfterDays: String(a.renewAfterDays) } },
    child,
  );
  const rootExpiries = a.epoch.apply((e) => Array.from({ length: a.rootVersion }, (_, i) => addDays(e, (i + 1) * a.rootExpiryDays)));
  const version = pulumi.all([online.rfc3339, a.epoch]).apply(([signedAt, e]) => tufVersion(signedAt, e));
  const expires = online.rfc3339.apply((t) => addDays(t, a.expiryDays));
  const files = pulumi.unsecret(
    pulumi.all([a.rootKeyPem, a.onlineKeyPem, a.targets, rootExpiries, expires, version]).apply(([rootKey, onlineKey, targets, rootExpires, until, v]) =>
      buildTufRepository({
        rootKeys: [rootKey],
        onlineKey,
        targets,
        rootExpires,
        expires: { root: rootExpires[rootExpires.length - 1], targets: until, snapshot: until, timestamp: until },
        version: v,
      }),
    ),
  );
  // Auto-named and immutable: new content is a new ConfigMap, and the pods roll onto it.
  const content = new k8s.core.v1.ConfigMap(
    `${c.name}-tuf-content`,
    {
      metadata: { namespace: c.namespace, labels: c.labelsOf("tuf") },
      immutable: true,
      data: files.apply((f) => Object.fromEntries(Object.entries(f).map(([p, text]) => [tufFileKey(p), text]))),
    },
    child,
  );
  const web = new k8s.core.v1.ConfigMap(
    `${c.name}-tuf-web`,
    {
      metadata: { name: `${c.name}-tuf-web`, namespace: c.namespace, labels: c.labelsOf("tuf") },
      data: { "nginx.conf": metadataNginxConf({ port: SIGSTORE_PORTS.tuf, root: CONTENT_PATH, hashedTargets: true }) },
    },
    child,
  );
  const workload = new Workload(
    `${c.name}-tuf`,
    {
      ...c.common,
      component: "tuf",
      replicas: c.replicas("tuf"),
      antiAffinity: c.antiAffinity,
      container: {
        name: "nginx",
        image: a.image,
        command: ["nginx", "-c", "/etc/tuf-web/nginx.conf", "-g", "daemon off;"],
        ports: [{ name: "http", port: SIGSTORE_PORTS.tuf }],
        probes: {
          liveness: { httpPath: "/health", port: SIGSTORE_PORTS.tuf, periodSeconds: 10, failureThreshold: 3 },
          readiness: { httpPath: "/root.json", port: SIGSTORE_PORTS.tuf, periodSeconds: 5, failureThreshold: 2 },
        },
        resources: c.resources("tuf"),
        mounts: [
          { volume: "web-config", path: "/etc/tuf-web", readOnly: true },
          { volume: "content", path: CONTENT_PATH, readOnly: true },
          { volume: "tmp", path: "/tmp" },
        ],
        security: { runAsUser: NGINX_UID, runAsGroup: NGINX_UID },
      },
      volumes: [
        { name: "web-config", configMapName: web.metadata.name },
        { name: "content", configMapName: content.metadata.name },
        { name: "tmp", emptyDir: true, sizeLimit: "64Mi" },
      ],
      services: [{ name: `${c.name}-tuf`, ports: ["http"], endpoint: a.endpoint }],
      allowFrom: c.clientRule(SIGSTORE_PORTS.tuf),
    },
    child,
  );
  return {
    workload,
    files,
    rootJson: files.apply((f) => f["root.json"]),
    rootExpires: rootExpiries.apply((r) => r[r.length - 1]),
    expires,
    renewAfter: online.rotationRfc3339,
    version,
  };
}
