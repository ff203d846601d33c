/**
 * A TUF repository on disk for a real TUF client (tuf-js) to read through what
 * the program deploys, built by the program's own builder
 * (components/services/sigstore/tuf.ts): every `publish` writes a new version
 * (`<n>.root.json`, `<n>.targets.json`, `<n>.snapshot.json`, `timestamp.json`),
 * the consistent-snapshot layout RSTUF's worker writes too.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { buildTufRepository } from "../components/services/sigstore/tuf";

/** A PEM Ed25519 private key. */
export function ed25519Key(): string {
  return String(crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
}

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");

export class TestRepository {
  private version = 0;
  private firstRoot = "";

  constructor(
    readonly dir: string,
    readonly rootKey: string,
    readonly onlineKey: string,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.publish();
  }

  /** The trusted root a client starts from (what the ceremony hands out). */
  rootJson(): string {
    return this.firstRoot;
  }

  /** A new version of every role, as a bump or a publication writes it; returns the timestamp's version. */
  publish(): number {
    this.version += 1;
    const files = buildTufRepository({
      rootKeys: [this.rootKey],
      onlineKey: this.onlineKey,
      targets: {},
      expires: { root: inDays(365), targets: inDays(365), snapshot: inDays(1), timestamp: inDays(1) },
      version: this.version,
    });
    if (this.version === 1) this.firstRoot = files["1.root.json"];
    for (const [name, content] of Object.entries(files)) {
      if (name === "root.json") continue;
      fs.writeFileSync(path.join(this.dir, name), content);
      fs.chmodSync(path.join(this.dir, name), 0o644);
    }
    return this.version;
  }

  /** The snapshot files written so far, oldest first. */
  snapshotFiles(): string[] {
    return Array.from({ length: this.version }, (_, i) => `${i + 1}.snapshot.json`);
  }
}
