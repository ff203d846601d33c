/**
 * The certificates and key files Sigstore's servers read, made by the program
 * where @pulumi/tls cannot make them:
 *
 * - `issueCertificate`: an X.509 v3 certificate with the extensions the servers
 *   check, among them an extended key usage marked critical (the timestamp
 *   authority refuses a signing certificate whose time-stamping EKU is not,
 *   RFC 3161 §2.3; @pulumi/tls always writes it non-critical). Signed with
 *   ECDSA whose nonce is derived from the key and the message (RFC 6979;
 *   the curve arithmetic is OpenSSL's, through Node's ECDH), so the same
 *   inputs give the same certificate and a preview shows no change.
 * - `legacyEncryptedPem`: an EC key in OpenSSL's traditional encrypted PEM
 *   (`Proc-Type: 4,ENCRYPTED`, RFC 1423), which Fulcio's file CA reads, with an
 *   IV derived from the key and the password (deterministic, as above).
 * - `ctlogConfig`: ct_server's text-proto `LogMultiConfig` with the key inline
 *   (`keyspb.PrivateKey{der}`): the PEM-file form of trillian ≤ v1.7.3 refuses
 *   an unencrypted key (upstream/sigstore.md).
 *
 * openssl checks what these make (test/sigstore-x509.spec.ts).
 */
import * as crypto from "crypto";

// --- DER, the few types a certificate needs.

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const octets = (b: Buffer) => tlv(0x04, b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const explicit = (n: number, body: Buffer) => tlv(0xa0 + n, body);

/** A non-negative INTEGER from big-endian bytes (a 0x00 in front when the top bit is set). */
function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && b[i + 1] < 0x80) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
const small = (n: number) => uint(Buffer.from([n]));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const bytes = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A BIT STRING of whole bytes. */
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(iso: string): Buffer {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`${JSON.stringify(iso)}: an RFC 3339 time`);
  const s = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z"; // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(s.slice(2), "ascii")) : tlv(0x18, Buffer.from(s, "ascii"));
}

/** Reads one TLV at `at`: its tag, where its body starts and where it ends. */
function read(der: Buffer, at: number): { tag: number; body: number; end: number } {
  const tag = der[at];
  let len = der[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i];
    body += n;
  }
  return { tag, body, end: body + len };
}

/** The children of a constructed element. */
function children(der: Buffer, el: { body: number; end: number }): Array<{ tag: number; start: number; body: number; end: number }> {
  const out = [];
  for (let at = el.body; at < el.end; ) {
    const c = read(der, at);
    out.push({ ...c, start: at });
    at = c.end;
  }
  return out;
}

const OID = {
  organization: "2.5.4.10",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  ecdsaSha256: "1.2.840.10045.4.3.2",
  ecdsaSha384: "1.2.840.10045.4.3.3",
};

export const EXT_KEY_USAGES: Record<string, string> = { codeSigning: "1.3.6.1.5.5.7.3.3", timeStamping: "1.3.6.1.5.5.7.3.8" };
/** KeyUsage bits (RFC 5280 §4.2.1.3). */
const KEY_USAGE_BITS: Record<string, number> = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function keyUsage(usages: string[]): Buffer {
  let v = 0;
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    if (bit === undefined) throw new Error(`key usage ${u}: one of ${Object.keys(KEY_USAGE_BITS).join(", ")}`);
    v |= 0x80 >> bit;
  }
  let unused = 0;
  while (unused < 7 && !(v & (1 << unused))) unused++;
  return tlv(0x03, Buffer.from([unused, v]));
}

/** The subject key identifier: SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2, method 1). */
function keyIdentifier(spkiDer: Buffer): Buffer {
  const [, key] = children(spkiDer, read(spkiDer, 0));
  return crypto.createHash("sha1").update(spkiDer.subarray(key.body + 1, key.end)).digest();
}

function name(subject: CertificateSubject): Buffer {
  return seq(
    ...(subject.organization ? [set(seq(oid(OID.organization), utf8(subject.organization)))] : []),
    set(seq(oid(OID.commonName), utf8(subject.commonName))),
  );
}

/** The curves certificates are signed on: OpenSSL's name, the group order, the hash RFC 6979 pairs with it. */
const CURVES: Record<string, { n: bigint; bytes: number; hash: string; algorithm: string }> = {
  prime256v1: { n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n, bytes: 32, hash: "sha256", algorithm: OID.ecdsaSha256 },
  secp384r1: {
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bytes: 48,
    hash: "sha384",
    algorithm: OID.ecdsaSha384,
  },
};

const toInt = (b: Buffer) => BigInt(`0x${b.toString("hex") || "0"}`);
const toBytes = (v: bigint, length: number) => Buffer.from(v.toString(16).padStart(length * 2, "0"), "hex");
const mod = (a: bigint, n: bigint) => ((a % n) + n) % n;

/** a⁻¹ mod n (n prime), by the extended Euclidean algorithm. */
function inverse(a: bigint, n: bigint): bigint {
  let [r0, r1, t0, t1] = [mod(a, n), n, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0, n);
}

/**
 * A deterministic ECDSA signature (RFC 6979 §3.2, with the hash whose length is
 * the order's: SHA-256 on P-256, SHA-384 on P-384), DER-encoded. The nonce's
 * point k·G comes from OpenSSL (an ECDH key whose private value is k).
 */
export function deterministicEcdsa(curveName: string, privateScalar: Buffer, message: Buffer): Buffer {
  const c = CURVES[curveName];
  if (!c) throw new Error(`deterministicEcdsa: curve ${curveName}; P-256 or P-384`);
  const hmac = (key: Buffer, ...parts: Buffer[]) => crypto.createHmac(c.hash, key).update(Buffer.concat(parts)).digest();
  const d = toInt(privateScalar);
  const h = crypto.createHash(c.hash).update(message).digest(); // as long as the order: bits2int is the identity
  const z = toInt(h);
  const x = toBytes(d, c.bytes);
  const h1 = toBytes(mod(z, c.n), c.bytes);
  const size = h.length;
  let v = Buffer.alloc(size, 0x01);
  let k = Buffer.alloc(size, 0x00);
  k = hmac(k, v, Buffer.from([0x00]), x, h1);
  v = hmac(k, v);
  k = hmac(k, v, Buffer.from([0x01]), x, h1);
  v = hmac(k, v);
  for (;;) {
    v = hmac(k, v);
    const nonce = toInt(v);
    if (nonce >= 1n && nonce < c.n) {
      const ecdh = crypto.createECDH(curveName);
      ecdh.setPrivateKey(toBytes(nonce, c.bytes));
      const r = mod(toInt(ecdh.getPublicKey().subarray(1, 1 + c.bytes)), c.n);
      const s = mod(inverse(nonce, c.n) * (z + r * d), c.n);
      if (r !== 0n && s !== 0n) return seq(uint(toBytes(r, c.bytes)), uint(toBytes(s, c.bytes)));
    }
    k = hmac(k, v, Buffer.from([0x00]));
    v = hmac(k, v);
  }
}

/** An ECDSA signer over P-256 or P-384 with RFC 6979 nonces. */
function ecdsaSigner(privateKeyPem: string): { algorithm: Buffer; sign: (data: Buffer) => Buffer } {
  const key = crypto.createPrivateKey(privateKeyPem);
  const curve = String(key.asymmetricKeyDetails?.namedCurve);
  if (key.asymmetricKeyType !== "ec" || !CURVES[curve]) {
    throw new Error(`a ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ""} issuer key: certificates are signed with ECDSA P-256 or P-384`);
  }
  const d = Buffer.from(String(key.export({ format: "jwk" }).d), "base64url");
  return { algorithm: seq(oid(CURVES[curve].algorithm)), sign: (data) => deterministicEcdsa(curve, d, data) };
}

export interface CertificateSubject {
  organization?: string;
  commonName: string;
}

export interface CertificateArgs {
  subject: CertificateSubject;
  /** The certified key (PEM, public or private). */
  publicKeyPem: string;
  /** The issuer's key (PEM, ECDSA P-256 or P-384); for a self-signed certificate, the subject's own. */
  issuerPrivateKeyPem: string;
  /** The issuer's certificate (PEM); absent: self-signed. */
  issuerCertificatePem?: string;
  /** RFC 3339. */
  notBefore: string;
  notAfter: string;
  /** A CA certificate (basicConstraints cA), with an optional path length. */
  ca?: boolean;
  pathLength?: number;
  keyUsage: string[];
  /** Extended key usages by name (codeSigning, timeStamping). */
  extKeyUsage?: string[];
  /** Mark the extended key usage critical (a TSA signing certificate). @default false */
  extKeyUsageCritical?: boolean;
}

function toPem(label: string, der: Buffer): string {
  return `-----BEGIN ${label}-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/** The DER of the subject Name of a certificate. */
function subjectNameDer(certPem: string): Buffer {
  const der = Buffer.from(new crypto.X509Certificate(certPem).raw);
  const [tbs] = children(der, read(der, 0));
  const fields = children(der, tbs);
  // [0] version, serial, signature, issuer, validity, subject.
  const subject = fields[fields[0].tag === 0xa0 ? 5 : 4];
  return der.subarray(subject.start, subject.end);
}

/** An X.509 v3 certificate (PEM): deterministic, so the program can make it on every run. */
export function issueCertificate(a: CertificateArgs): string {
  const spki = crypto.createPublicKey(a.publicKeyPem).export({ type: "spki", format: "der" });
  const signer = ecdsaSigner(a.issuerPrivateKeyPem);
  const issuerSpki = crypto.createPublicKey(a.issuerPrivateKeyPem).export({ type: "spki", format: "der" });
  if (a.issuerCertificatePem) {
    const issuerCert = new crypto.X509Certificate(a.issuerCertificatePem);
    if (!issuerCert.publicKey.export({ type: "spki", format: "der" }).equals(issuerSpki)) throw new Error("issueCertificate: the issuer key is not the issuer certificate's");
  } else if (!spki.equals(issuerSpki)) {
    throw new Error("issueCertificate: a self-signed certificate is signed by its own key");
  }
  if (new Date(a.notAfter) <= new Date(a.notBefore)) throw new Error(`issueCertificate: notAfter ${a.notAfter} is not after notBefore ${a.notBefore}`);
  const subject = name(a.subject);
  const issuer = a.issuerCertificatePem ? subjectNameDer(a.issuerCertificatePem) : subject;
  // A positive 127-bit serial derived from what the certificate says (RFC 5280: unique per issuer, ≤ 20 octets).
  const serial = crypto.createHash("sha256").update(issuer).update(subject).update(spki).update(a.notBefore).update(a.notAfter).update(JSON.stringify([a.ca, a.pathLength, a.keyUsage, a.extKeyUsage, a.extKeyUsageCritical])).digest().subarray(0, 16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const eku = a.extKeyUsage ?? [];
  const extensions = [
    extension(OID.basicConstraints, true, a.ca ? seq(bool(true), ...(a.pathLength !== undefined ? [small(a.pathLength)] : [])) : seq()),
    extension(OID.keyUsage, true, keyUsage(a.keyUsage)),
    ...(eku.length
      ? [
          extension(
            OID.extKeyUsage,
            a.extKeyUsageCritical ?? false,
            seq(...eku.map((u) => oid(EXT_KEY_USAGES[u] ?? (() => { throw new Error(`extended key usage ${u}: one of ${Object.keys(EXT_KEY_USAGES).join(", ")}`); })()))),
          ),
        ]
      : []),
    extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(spki))),
    ...(a.issuerCertificatePem ? [extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(issuerSpki))))] : []),
  ];
  const tbs = seq(explicit(0, small(2)), uint(serial), signer.algorithm, issuer, seq(time(a.notBefore), time(a.notAfter)), subject, spki, explicit(3, seq(...extensions)));
  return toPem("CERTIFICATE", seq(tbs, signer.algorithm, bits(signer.sign(tbs))));
}

/** OpenSSL's EVP_BytesToKey with MD5 and one round: the key of a traditional encrypted PEM. */
function bytesToKey(password: Buffer, salt: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let got = 0;
  while (got < length) {
    prev = crypto.createHash("md5").update(Buffer.concat([prev, password, salt])).digest();
    out.push(prev);
    got += prev.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * An EC private key as a traditional encrypted PEM (`EC PRIVATE KEY` with
 * `Proc-Type: 4,ENCRYPTED` and `DEK-Info: AES-256-CBC`), as `openssl ec -aes256`
 * writes it and Go's `x509.DecryptPEMBlock` reads it. The IV comes from an HMAC of
 * the key under the password: the same key and password give the same file.
 */
export function legacyEncryptedPem(privateKeyPem: string, password: string): string {
  if (password.length === 0) throw new Error("legacyEncryptedPem: an empty password");
  const key = crypto.createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ec") throw new Error(`legacyEncryptedPem: a ${key.asymmetricKeyType} key; an EC key`);
  const der = key.export({ type: "sec1", format: "der" });
  const iv = crypto.createHmac("sha256", password).update(der).digest().subarray(0, 16);
  const cipher = crypto.createCipheriv("aes-256-cbc", bytesToKey(Buffer.from(password, "utf8"), iv.subarray(0, 8), 32), iv);
  const body = Buffer.concat([cipher.update(der), cipher.final()]);
  return toPem("EC PRIVATE KEY", body).replace("-----\n", `-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,${iv.toString("hex").toUpperCase()}\n\n`);
}

/** Bytes as a text-proto string literal. */
function protoBytes(b: Buffer): string {
  return `"${[...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("")}"`;
}

export interface CtLogConfigArgs {
  /** The Trillian tree id, or a placeholder an init container replaces. */
  logId: string;
  /** URL path prefix of the log (`/<prefix>/ct/v1/...`). */
  prefix: string;
  /** Files of the roots the log accepts (Fulcio's). */
  rootsPemFiles: string[];
  /** The log's signing key (PEM, ECDSA). */
  privateKeyPem: string;
  /** Trillian's gRPC address (`dns:///<headless service>:<port>` for round-robin over the log servers). */
  backendSpec: string;
  /** @default ["CodeSigning"] (Fulcio's certificates) */
  extKeyUsages?: string[];
}

/** ct_server's `--log_config`: one log on one Trillian backend, the key inline and unencrypted (keyspb.PrivateKey). */
export function ctlogConfig(a: CtLogConfigArgs): string {
  const key = crypto.createPrivateKey(a.privateKeyPem);
  const priv = key.export({ type: "pkcs8", format: "der" });
  const pub = crypto.createPublicKey(key).export({ type: "spki", format: "der" });
  if (!/^[A-Za-z0-9_-]+$/.test(a.prefix)) throw new Error(`ctlogConfig: prefix ${JSON.stringify(a.prefix)}: letters, digits, - and _`);
  const q = (s: string) => JSON.stringify(s);
  return [
    "backends {",
    "  backend {",
    '    name: "trillian"',
    `    backend_spec: ${q(a.backendSpec)}`,
    "  }",
    "}",
    "log_configs {",
    "  config {",
    `    log_id: ${a.logId}`,
    `    prefix: ${q(a.prefix)}`,
    ...a.rootsPemFiles.map((f) => `    roots_pem_file: ${q(f)}`),
    `    public_key { der: ${protoBytes(pub)} }`,
    `    private_key { [type.googleapis.com/keyspb.PrivateKey] { der: ${protoBytes(priv)} } }`,
    ...(a.extKeyUsages ?? ["CodeSigning"]).map((u) => `    ext_key_usages: ${q(u)}`),
    '    log_backend_name: "trillian"',
    "  }",
    "}",
    "",
  ].join("\n");
}
