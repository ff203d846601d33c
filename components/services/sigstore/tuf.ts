/**
 * The deployment's own TUF repository: the targets Sigstore clients fetch
 * (`trusted_root.json`, `signing_config.v0.2.json`), signed with keys the
 * program keeps, in the layout clients read (consistent snapshots:
 * `<n>.root.json`, `timestamp.json`, `<n>.snapshot.json`, `<n>.targets.json`,
 * `targets/<sha256>.<name>`). Built with @tufjs/models; a pure function of
 * its inputs: its keys are Ed25519, whose signatures are deterministic, so the
 * same inputs give the same files and a preview shows no change.
 */
import { Key, Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from "@tufjs/models";
import * as crypto from "crypto";
import { sslibKey } from "../rstuf/keyid";

/** The TUF specification version the metadata claims. */
export const TUF_SPEC_VERSION = "1.0.31";

export interface TufRepositoryArgs {
  /** Root keys (PEM private keys, Ed25519). */
  rootKeys: string[];
  /** Signatures root needs. @default all root keys */
  rootThreshold?: number;
  /** The key that signs targets, snapshot and timestamp (PEM private key, Ed25519). */
  onlineKey: string;
  /** Target name → content. */
  targets: Record<string, string>;
  /** Expiry of each role (RFC 3339, whole seconds, UTC). */
  expires: { root: string; targets: string; snapshot: string; timestamp: string };
  /** Version of every role (root's too, unless `rootExpires` is given). @default 1 */
  version?: number;
  /**
   * Root's versions 1..N by their expiry: every one is published (`<n>.root.json`, each
   * signed by the root keys), so a client that holds an older root walks up to the
   * newest; `root.json` is the newest. Renewing root before it expires adds a version.
   */
  rootExpires?: string[];
}

interface Signer {
  key: Key;
  sign: (data: Buffer) => Signature;
}

function signer(privatePem: string): Signer {
  const s = sslibKey(privatePem);
  // Ed25519 signs deterministically: the same inputs give the same files, so a preview shows no change.
  if (s.keytype !== "ed25519") throw new Error(`a ${s.keytype} key: the repository's keys are Ed25519 (deterministic signatures: no change on every preview)`);
  const key = new Key({ keyID: s.keyid, keyType: s.keytype, scheme: s.scheme, keyVal: s.keyval });
  const priv = crypto.createPrivateKey(privatePem);
  return { key, sign: (data) => new Signature({ keyID: s.keyid, sig: crypto.sign(null, data, priv).toString("hex") }) };
}

const json = (md: Metadata<any>) => JSON.stringify(md.toJSON());

/** Every file of the repository, by path relative to its base URL. */
export function buildTufRepository(a: TufRepositoryArgs): Record<string, string> {
  const version = a.version ?? 1;
  const roots = a.rootKeys.map(signer);
  const online = signer(a.onlineKey);
  const threshold = a.rootThreshold ?? roots.length;
  if (roots.length === 0 || threshold < 1 || threshold > roots.length) throw new Error(`rootThreshold ${threshold}: between 1 and the ${roots.length} root keys`);
  if (roots.some((r) => r.key.keyID === online.key.keyID)) throw new Error("the online key is also a root key: keep root's keys offline");
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
  for (const [role, when] of [...Object.entries(a.expires), ...(a.rootExpires ?? []).map((w, i) => [`rootExpires[${i}]`, w])]) {
    if (!rfc3339.test(when)) throw new Error(`expires.${role} ${JSON.stringify(when)}: an RFC 3339 UTC time in whole seconds, e.g. 2027-01-01T00:00:00Z`);
  }
  const rootVersions = a.rootExpires?.length ? a.rootExpires.map((expires, i) => ({ version: i + 1, expires })) : [{ version, expires: a.expires.root }];

  // Root's roles from their JSON form (@tufjs/models exports no Role class): root's keys with their
  // threshold, the online key for the others.
  const online1 = { keyids: [online.key.keyID], threshold: 1 };
  const rootFiles = rootVersions.map((rv) => {
    const root = Root.fromJSON({
      _type: "root",
      spec_version: TUF_SPEC_VERSION,
      version: rv.version,
      expires: rv.expires,
      consistent_snapshot: true,
      keys: Object.fromEntries([...roots, online].map((r) => [r.key.keyID, r.key.toJSON()])),
      roles: { root: { keyids: roots.map((r) => r.key.keyID), threshold }, targets: online1, snapshot: online1, timestamp: online1 },
    });
    const rootMd = new Metadata(root);
    for (const r of roots) rootMd.sign(r.sign, true);
    return { version: rv.version, text: json(rootMd) };
  });

  const files: Record<string, string> = {};
  const targetFiles: Record<string, TargetFile> = {};
  for (const [name, content] of Object.entries(a.targets).sort(([x], [y]) => x.localeCompare(y))) {
    const data = Buffer.from(content, "utf8");
    const sha256 = crypto.createHash("sha256").update(data).digest("hex");
    targetFiles[name] = new TargetFile({ path: name, length: data.length, hashes: { sha256 } });
    files[`targets/${sha256}.${name}`] = content;
  }
  const targets = new Metadata(new Targets({ specVersion: TUF_SPEC_VERSION, version, expires: a.expires.targets, targets: targetFiles }));
  targets.sign(online.sign);
  const snapshot = new Metadata(new Snapshot({ specVersion: TUF_SPEC_VERSION, version, expires: a.expires.snapshot, meta: { "targets.json": new MetaFile({ version }) } }));
  snapshot.sign(online.sign);
  const timestamp = new Metadata(new Timestamp({ specVersion: TUF_SPEC_VERSION, version, expires: a.expires.timestamp, snapshotMeta: new MetaFile({ version }) }));
  timestamp.sign(online.sign);

  for (const r of rootFiles) files[`${r.version}.root.json`] = r.text;
  // The root a client is first given (`cosign initialize --root`), beside the versioned ones.
  files["root.json"] = rootFiles[rootFiles.length - 1].text;
  files[`${version}.targets.json`] = json(targets);
  files[`${version}.snapshot.json`] = json(snapshot);
  files["timestamp.json"] = json(timestamp);
  return files;
}
