/**
 * What Sigstore clients will trust, checked by the clients' own code: the
 * trusted root and signing config parsed by @sigstore/protobuf-specs and
 * turned into trust material by @sigstore/verify; the TUF repository that
 * carries them served on loopback and read by tuf-js. Certificates come from
 * openssl (a CA for Fulcio, a root → intermediate → leaf chain for the TSA).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { SigningConfig, TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { Updater } from "tuf-js";
import { logId, signingConfigJson, TRUSTED_ROOT_MEDIA_TYPE, trustedRootJson } from "../components/services/sigstore/trust-root";
import { buildTufRepository } from "../components/services/sigstore/tuf";
import { freePort } from "./servers";

const pem = (k: crypto.KeyObject, type: "spki" | "pkcs8") => String(k.export({ type, format: "pem" } as any));
const ed25519 = () => pem(crypto.generateKeyPairSync("ed25519").privateKey, "pkcs8");
const p256Public = () => pem(crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey, "spki");

function openssl(dir: string, ...args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
}

/** A self-signed CA, and a TSA chain root → intermediate → leaf (time-stamping EKU, critical), by openssl. */
function certificates(dir: string): { fulcio: string; tsa: string[] } {
  const ext = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), body);
  ext("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
  ext("leaf.ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n");
  ext("inter.ext", "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=critical,timeStamping\n");
  for (const n of ["fulcio", "tsa-root", "tsa-inter", "tsa-leaf"]) openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${n}.key`);
  openssl(dir, "req", "-x509", "-new", "-key", "fulcio.key", "-subj", "/O=trust-services/CN=fulcio", "-days", "3650", "-config", "/dev/null", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "fulcio.crt");
  openssl(dir, "req", "-x509", "-new", "-key", "tsa-root.key", "-subj", "/O=trust-services/CN=tsa root", "-days", "3650", "-config", "/dev/null", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "tsa-root.crt");
  openssl(dir, "req", "-new", "-key", "tsa-inter.key", "-subj", "/O=trust-services/CN=tsa intermediate", "-config", "/dev/null", "-out", "tsa-inter.csr");
  openssl(dir, "x509", "-req", "-in", "tsa-inter.csr", "-CA", "tsa-root.crt", "-CAkey", "tsa-root.key", "-CAcreateserial", "-days", "3650", "-extfile", "inter.ext", "-out", "tsa-inter.crt");
  openssl(dir, "req", "-new", "-key", "tsa-leaf.key", "-subj", "/O=trust-services/CN=tsa", "-config", "/dev/null", "-out", "tsa-leaf.csr");
  openssl(dir, "x509", "-req", "-in", "tsa-leaf.csr", "-CA", "tsa-inter.crt", "-CAkey", "tsa-inter.key", "-CAcreateserial", "-days", "3650", "-extfile", "leaf.ext", "-out", "tsa-leaf.crt");
  const read = (n: string) => fs.readFileSync(path.join(dir, n), "utf8");
  return { fulcio: read("fulcio.crt"), tsa: [read("tsa-leaf.crt"), read("tsa-inter.crt"), read("tsa-root.crt")] };
}

describe("Sigstore trust: trusted root, signing config and their TUF repository", function () {
  this.timeout(60_000);
  let dir: string;
  let certs: { fulcio: string; tsa: string[] };
  const rekorKey = p256Public();
  const ctKey = p256Public();
  const start = "2026-12-01T00:00:00Z";
  let trusted: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-sigstore-"));
    certs = certificates(dir);
    trusted = trustedRootJson({
      tlogs: [{ url: "https://rekor.trust.example.org", publicKeyPem: rekorKey, validFrom: start }],
      ctlogs: [{ url: "https://ctlog.trust.example.org/trusted", publicKeyPem: ctKey, validFrom: start }],
      certificateAuthorities: [{ url: "https://fulcio.trust.example.org", chainPem: [certs.fulcio], validFrom: start }],
      timestampAuthorities: [{ url: "https://tsa.trust.example.org", chainPem: certs.tsa, validFrom: start }],
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes a trusted root the Sigstore libraries read: logs by their ids, the CA and the TSA chain", () => {
    const parsed = TrustedRoot.fromJSON(JSON.parse(trusted));
    assert.equal(parsed.mediaType, TRUSTED_ROOT_MEDIA_TYPE);
    const material = toTrustMaterial(parsed);
    assert.equal(material.tlogs.length, 1);
    assert.equal(material.ctlogs.length, 1);
    // The log id is the SHA-256 of the key's DER SubjectPublicKeyInfo, as Rekor and RFC 6962 make it.
    assert.deepEqual(Buffer.from(material.tlogs[0].logID), logId(rekorKey));
    assert.equal(material.tlogs[0].baseURL, "https://rekor.trust.example.org");
    assert.equal(material.certificateAuthorities.length, 1);
    assert.equal(material.timestampAuthorities.length, 1);
    assert.equal(material.timestampAuthorities[0].certChain.length, 3, "leaf, intermediate, root");
    // The leaf comes first and carries the critical time-stamping EKU.
    const leaf = material.timestampAuthorities[0].certChain[0];
    assert.equal(leaf.isCA, false);
    const text = spawnSync("openssl", ["x509", "-noout", "-ext", "extendedKeyUsage"], { input: certs.tsa[0], encoding: "utf8" }).stdout;
    assert.match(text, /Extended Key Usage: critical\s+Time Stamping/);
  });

  it("refuses a chain in the wrong order, naming where", () => {
    assert.throws(
      () => trustedRootJson({ tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [{ url: "https://tsa.x", chainPem: [...certs.tsa].reverse(), validFrom: start }] }),
      /timestampAuthorities\[0\]: certificate 0 .* is not issued by certificate 1/,
    );
  });

  it("writes a signing config the Sigstore specs parse, with the TSA's timestamp path", () => {
    const config = SigningConfig.fromJSON(JSON.parse(signingConfigJson({ fulcioUrl: "https://fulcio.trust.example.org", oidcUrl: "https://token.actions.githubusercontent.com", rekorUrl: "https://rekor.trust.example.org", tsaUrl: "https://tsa.trust.example.org/", validFrom: start })));
    assert.equal(config.caUrls[0].url, "https://fulcio.trust.example.org");
    assert.equal(config.rekorTlogUrls[0].majorApiVersion, 1);
    assert.equal(config.tsaUrls[0].url, "https://tsa.trust.example.org/api/v1/timestamp");
  });

  describe("the TUF repository, read by tuf-js", () => {
    const rootKeys = [ed25519(), ed25519()];
    const onlineKey = ed25519();
    const expires = { root: "2036-01-01T00:00:00Z", targets: "2027-12-01T00:00:00Z", snapshot: "2027-12-01T00:00:00Z", timestamp: "2027-12-01T00:00:00Z" };
    let files: Record<string, string>;
    let server: http.Server;
    let base: string;

    before(async () => {
      files = buildTufRepository({ rootKeys, rootThreshold: 2, onlineKey, targets: { "trusted_root.json": trusted, "signing_config.v0.2.json": "{}\n" }, expires });
      server = http.createServer((req, res) => {
        const name = decodeURIComponent((req.url ?? "/").slice(1));
        if (name in files) res.writeHead(200, { "content-type": "application/json" }).end(files[name]);
        else res.writeHead(404).end();
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await new Promise((r) => server?.close(r));
    });

    async function fetchTrustedRoot(rootJson: string): Promise<string> {
      const md = fs.mkdtempSync(path.join(dir, "client-"));
      const targets = fs.mkdtempSync(path.join(dir, "targets-"));
      fs.writeFileSync(path.join(md, "root.json"), rootJson);
      const updater = new Updater({ metadataDir: md, metadataBaseUrl: base, targetDir: targets, targetBaseUrl: `${base}/targets` });
      await updater.refresh();
      const info = await updater.getTargetInfo("trusted_root.json");
      assert.ok(info, "trusted_root.json is a target");
      return fs.readFileSync(await updater.downloadTarget(info!, path.join(targets, "trusted_root.json")), "utf8");
    }

    it("gives a client that trusts root.json the trusted root, by its hash-prefixed name", async () => {
      assert.equal(await fetchTrustedRoot(files["root.json"]), trusted);
      assert.ok(Object.keys(files).some((f) => /^targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(f)));
    });

    it("is refused when root lacks its threshold of signatures", async () => {
      const root = JSON.parse(files["1.root.json"]);
      root.signatures = root.signatures.slice(0, 1);
      await assert.rejects(() => fetchTrustedRoot(JSON.stringify(root)), /root was signed by 1\/2 keys/);
    });

    it("is the same files for the same inputs (no change on every preview), and new ones for a new target", () => {
      const again = buildTufRepository({ rootKeys, rootThreshold: 2, onlineKey, targets: { "trusted_root.json": trusted, "signing_config.v0.2.json": "{}\n" }, expires });
      assert.deepEqual(again, files);
      const changed = buildTufRepository({ rootKeys, rootThreshold: 2, onlineKey, targets: { "trusted_root.json": trusted + " ", "signing_config.v0.2.json": "{}\n" }, expires });
      assert.notEqual(changed["1.targets.json"], files["1.targets.json"]);
    });

    it("refuses an online key that is also a root key, a threshold it cannot meet, and a non-Ed25519 key", () => {
      assert.throws(() => buildTufRepository({ rootKeys, onlineKey: rootKeys[0], targets: {}, expires }), /online key is also a root key/);
      assert.throws(() => buildTufRepository({ rootKeys, rootThreshold: 3, onlineKey, targets: {}, expires }), /rootThreshold 3/);
      const ec = pem(crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey, "pkcs8");
      assert.throws(() => buildTufRepository({ rootKeys, onlineKey: ec, targets: {}, expires }), /Ed25519/);
    });
  });
});
