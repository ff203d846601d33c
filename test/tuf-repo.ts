/**
 * A TUF repository laid out as RSTUF's worker writes it (consistent
 * snapshots: `<n>.root.json`, `timestamp.json`, `<n>.snapshot.json`,
 * `<n>.targets.json`), built and signed with @tufjs/models, for a real TUF
 * client (tuf-js) to read through what the program deploys.
 */
import { Key, Metadata, MetaFile, Root, Signature, Snapshot, Targets, Timestamp } from "@tufjs/models";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { sslibKey } from "../components/services/rstuf/keyid";

export interface TestKey {
  key: Key;
  sign: (data: Buffer) => Signature;
  privatePem: string;
}

/** A TUF key from a PEM key pair, its id as securesystemslib (and so the RSTUF CLI) computes it. */
export function tufKey(privatePem: string): TestKey {
  const s = sslibKey(privatePem);
  const key = new Key({ keyID: s.keyid, keyType: s.keytype, scheme: s.scheme, keyVal: s.keyval });
  const priv = crypto.createPrivateKey(privatePem);
  const sign = (data: Buffer) => {
    const sig =
      s.keytype === "rsa"
        ? crypto.sign("sha256", data, { key: priv, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST })
        : crypto.sign(s.keytype === "ed25519" ? null : "sha256", data, priv);
    return new Signature({ keyID: s.keyid, sig: sig.toString("hex") });
  };
  return { key, sign, privatePem };
}

export function ed25519Key(): TestKey {
  const { privateKey } = crypto.generateKeyPairSync("ed25519");
  return tufKey(String(privateKey.export({ type: "pkcs8", format: "pem" })));
}

/** The TUF specification version the metadata claims. */
const SPEC = "1.0.31";
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** A repository whose root key signs root, and whose online key signs the other roles (as RSTUF's does). */
export class TestRepository {
  readonly root: Metadata<Root>;
  private snapshotVersion = 0;
  private timestampVersion = 0;

  constructor(
    readonly dir: string,
    readonly rootKey: TestKey,
    readonly onlineKey: TestKey,
  ) {
    const root = new Root({ specVersion: SPEC, version: 1, expires: inDays(365), consistentSnapshot: true });
    root.addKey(rootKey.key, "root");
    for (const role of ["targets", "snapshot", "timestamp"]) root.addKey(onlineKey.key, role);
    this.root = new Metadata(root);
    this.root.sign(rootKey.sign);
    fs.mkdirSync(dir, { recursive: true });
    this.write("1.root.json", this.root);
    const targets = new Metadata(new Targets({ specVersion: SPEC, version: 1, expires: inDays(365) }));
    targets.sign(onlineKey.sign);
    this.write("1.targets.json", targets);
    this.publish();
  }

  /** The trusted root a client starts from (what the ceremony hands out). */
  rootJson(): string {
    return JSON.stringify(this.root.toJSON());
  }

  /** A new snapshot and timestamp, as the worker's bump or a publication writes them. */
  publish(): number {
    this.snapshotVersion += 1;
    this.timestampVersion += 1;
    const snapshot = new Metadata(new Snapshot({ specVersion: SPEC, version: this.snapshotVersion, expires: inDays(1), meta: { "targets.json": new MetaFile({ version: 1 }) } }));
    snapshot.sign(this.onlineKey.sign);
    this.write(`${this.snapshotVersion}.snapshot.json`, snapshot);
    const timestamp = new Metadata(
      new Timestamp({ specVersion: SPEC, version: this.timestampVersion, expires: inDays(1), snapshotMeta: new MetaFile({ version: this.snapshotVersion }) }),
    );
    timestamp.sign(this.onlineKey.sign);
    this.write("timestamp.json", timestamp);
    return this.timestampVersion;
  }

  /** The snapshot files written so far, oldest first. */
  snapshotFiles(): string[] {
    return Array.from({ length: this.snapshotVersion }, (_, i) => `${i + 1}.snapshot.json`);
  }

  private write(name: string, md: Metadata<any>): void {
    fs.writeFileSync(path.join(this.dir, name), JSON.stringify(md.toJSON()));
    fs.chmodSync(path.join(this.dir, name), 0o644);
  }
}
