/**
 * The certificates and key files the program makes for Sigstore's servers
 * (components/services/sigstore/x509.ts), checked by openssl: a TSA chain
 * openssl verifies for time stamping with the leaf's EKU critical, the same
 * bytes for the same inputs, a traditional encrypted PEM openssl decrypts,
 * and ct_server's inline key; and root versions a TUF client walks up.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { Updater } from "tuf-js";
import { p256, p384 } from "@noble/curves/nist";
import { ctlogConfig, deterministicEcdsa, issueCertificate, legacyEncryptedPem } from "../components/services/sigstore/x509";
import { buildTufRepository } from "../components/services/sigstore/tuf";
import { freePort } from "./servers";

const key = (curve: string) => String(crypto.generateKeyPairSync("ec", { namedCurve: curve }).privateKey.export({ type: "pkcs8", format: "pem" }));
const ed25519 = () => String(crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
const openssl = (args: string[]) => spawnSync("openssl", args, { encoding: "utf8" });

describe("Sigstore certificates and key files (x509.ts), checked by openssl", () => {
  let dir: string;
  const rootKey = key("secp384r1");
  const intermediateKey = key("secp384r1");
  const leafKey = key("prime256v1");
  const window = { notBefore: "2026-11-01T00:00:00Z", notAfter: "2036-11-01T00:00:00Z" };
  const root = issueCertificate({ subject: { organization: "example", commonName: "root" }, publicKeyPem: rootKey, issuerPrivateKeyPem: rootKey, ...window, ca: true, pathLength: 1, keyUsage: ["keyCertSign", "cRLSign"] });
  const intermediate = issueCertificate({ subject: { organization: "example", commonName: "intermediate" }, publicKeyPem: intermediateKey, issuerPrivateKeyPem: rootKey, issuerCertificatePem: root, ...window, ca: true, pathLength: 0, keyUsage: ["keyCertSign", "cRLSign"], extKeyUsage: ["timeStamping"] });
  const leafArgs = { subject: { organization: "example", commonName: "signer" }, publicKeyPem: leafKey, issuerPrivateKeyPem: intermediateKey, issuerCertificatePem: intermediate, ...window, keyUsage: ["digitalSignature"], extKeyUsage: ["timeStamping"], extKeyUsageCritical: true };
  const leaf = issueCertificate(leafArgs);
  const file = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  };
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-x509-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("makes a chain openssl verifies for time stamping, the leaf's EKU critical and its issuer named by key id", () => {
    const r = openssl(["verify", "-x509_strict", "-purpose", "timestampsign", "-CAfile", file("root.pem", root), "-untrusted", file("int.pem", intermediate), file("leaf.pem", leaf)]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const text = openssl(["x509", "-in", file("leaf.pem", leaf), "-noout", "-text"]).stdout;
    assert.match(text, /X509v3 Extended Key Usage: critical\s+Time Stamping/);
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(openssl(["x509", "-in", file("int.pem", intermediate), "-noout", "-text"]).stdout)![1];
    assert.match(text, new RegExp(`Authority Key Identifier:\\s+(keyid:)?${ski}`));
    // A leaf the server would refuse (EKU not critical) is refused by openssl's TSA purpose too: the check has teeth.
    const soft = issueCertificate({ ...leafArgs, extKeyUsageCritical: false });
    assert.notEqual(openssl(["verify", "-purpose", "timestampsign", "-CAfile", file("root.pem", root), "-untrusted", file("int.pem", intermediate), file("soft.pem", soft)]).status, 0);
  });

  it("gives the same certificate for the same inputs (no change on a preview), a new one for a new window", () => {
    assert.equal(issueCertificate(leafArgs), leaf);
    assert.notEqual(issueCertificate({ ...leafArgs, notAfter: "2036-11-02T00:00:00Z" }), leaf);
  });

  it("writes GeneralizedTime from 2050 and refuses an issuer key that is not the issuer's, and a self-signed certificate under another key", () => {
    const late = issueCertificate({ ...leafArgs, notAfter: "2051-01-01T00:00:00Z" });
    assert.equal(new Date(new crypto.X509Certificate(late).validTo).toISOString(), "2051-01-01T00:00:00.000Z");
    assert.throws(() => issueCertificate({ ...leafArgs, issuerPrivateKeyPem: rootKey }), /issuer key is not the issuer certificate's/);
    assert.throws(() => issueCertificate({ subject: { commonName: "x" }, publicKeyPem: leafKey, issuerPrivateKeyPem: rootKey, ...window, keyUsage: ["keyCertSign"] }), /signed by its own key/);
    assert.throws(() => issueCertificate({ ...leafArgs, issuerPrivateKeyPem: ed25519(), issuerCertificatePem: undefined, publicKeyPem: ed25519() }), /self-signed|ECDSA/);
  });

  it("encrypts an EC key as OpenSSL's traditional PEM, which openssl decrypts to the same key, the same text every time", () => {
    const enc = legacyEncryptedPem(leafKey, "correct horse");
    assert.match(enc, /^-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,[0-9A-F]{32}\n\n/);
    const r = openssl(["ec", "-in", file("enc.pem", enc), "-passin", "pass:correct horse", "-outform", "DER"]);
    assert.equal(r.status, 0, r.stderr);
    const back = spawnSync("openssl", ["ec", "-in", file("enc.pem", enc), "-passin", "pass:correct horse", "-pubout", "-outform", "DER"]).stdout as unknown as Buffer;
    assert.ok(Buffer.from(back).equals(crypto.createPublicKey(leafKey).export({ type: "spki", format: "der" }) as Buffer));
    assert.equal(legacyEncryptedPem(leafKey, "correct horse"), enc);
    assert.throws(() => legacyEncryptedPem(leafKey, ""), /empty password/);
  });

  it("puts ct_server's key inline as PKCS#8 DER, with its public key and the backend", () => {
    const text = ctlogConfig({ logId: "42", prefix: "sigstore", rootsPemFiles: ["/ctfe-keys/fulcio-root.pem"], privateKeyPem: leafKey, backendSpec: "dns:///logserver:8091" });
    const bytes = (s: string) => Buffer.from(s.replace(/\\x([0-9a-f]{2})/g, "$1"), "hex");
    const der = bytes(/PrivateKey\] \{ der: "([^"]+)"/.exec(text)![1]);
    assert.ok(der.equals(crypto.createPrivateKey(leafKey).export({ type: "pkcs8", format: "der" }) as Buffer));
    const r = spawnSync("openssl", ["pkey", "-inform", "DER", "-noout", "-check"], { input: der });
    assert.equal(r.status, 0, String(r.stderr));
    assert.match(text, /log_id: 42\n/);
    assert.match(text, /backend_spec: "dns:\/\/\/logserver:8091"/);
    assert.throws(() => ctlogConfig({ logId: "1", prefix: "a/b", rootsPemFiles: [], privateKeyPem: leafKey, backendSpec: "x" }), /prefix/);
  });
});

describe("deterministic ECDSA (RFC 6979) on OpenSSL's curve arithmetic", () => {
  it("signs exactly as @noble/curves' RFC 6979 signer does, and Node verifies every signature", () => {
    for (const [curve, noble, hash] of [["prime256v1", p256, "sha256"], ["secp384r1", p384, "sha384"]] as const) {
      for (let i = 0; i < 12; i++) {
        const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: curve });
        const d = Buffer.from(String(privateKey.export({ format: "jwk" }).d), "base64url");
        const message = crypto.randomBytes(1 + i * 37);
        const ours = deterministicEcdsa(curve, d, message);
        const theirs = Buffer.from(noble.sign(crypto.createHash(hash).update(message).digest(), d, { lowS: false }).toDERRawBytes());
        assert.ok(ours.equals(theirs), `${curve} #${i}: the same signature as @noble/curves`);
        assert.ok(crypto.verify(hash, message, publicKey, ours), `${curve} #${i}: Node verifies it`);
        assert.ok(deterministicEcdsa(curve, d, message).equals(ours), "the same again");
      }
    }
  });
});

describe("TUF root versions (tuf.ts), walked by tuf-js", () => {
  it("publishes every root version, so a client holding version 1 trusts version 2 after a renewal", async () => {
    const rootKey = ed25519();
    const online = ed25519();
    const expires = { root: "2028-11-01T00:00:00Z", targets: "2027-05-01T00:00:00Z", snapshot: "2027-05-01T00:00:00Z", timestamp: "2027-05-01T00:00:00Z" };
    const first = buildTufRepository({ rootKeys: [rootKey], onlineKey: online, targets: { "trusted_root.json": "{}\n" }, rootExpires: ["2027-11-01T00:00:00Z"], expires, version: 1 });
    const renewed = buildTufRepository({ rootKeys: [rootKey], onlineKey: online, targets: { "trusted_root.json": "{}\n" }, rootExpires: ["2027-11-01T00:00:00Z", "2028-11-01T00:00:00Z"], expires, version: 2 });
    assert.equal(renewed["1.root.json"], first["1.root.json"], "version 1 is unchanged");
    assert.equal(JSON.parse(renewed["root.json"]).signed.version, 2);
    const server = http.createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? "/").slice(1));
      if (name in renewed) res.writeHead(200).end(renewed[name]);
      else res.writeHead(404).end();
    });
    const port = await freePort();
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    const md = fs.mkdtempSync(path.join(os.tmpdir(), "ts-tuf-walk-"));
    try {
      fs.writeFileSync(path.join(md, "root.json"), first["root.json"]);
      await new Updater({ metadataDir: md, metadataBaseUrl: `http://127.0.0.1:${port}`, targetBaseUrl: `http://127.0.0.1:${port}/targets` }).refresh();
      assert.equal(JSON.parse(fs.readFileSync(path.join(md, "root.json"), "utf8")).signed.version, 2, "the client now trusts root v2");
    } finally {
      await new Promise((r) => server.close(r));
      fs.rmSync(md, { recursive: true, force: true });
    }
  });
});
