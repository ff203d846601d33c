/**
 * What Sigstore clients trust, in the formats they read (cosign, sigstore-go,
 * sigstore-js): `trusted_root.json` (the Rekor and CT log keys, the Fulcio
 * and TSA chains, with this deployment's public URLs) and
 * `signing_config.v0.2.json` (where to sign). Both are TUF targets of the
 * deployment's own repository (tuf.ts). Formats: sigstore protobuf-specs
 * `sigstore_trustroot.proto` in proto3 JSON; the trusted root keeps the media
 * type cosign v3.1 accepts (`…trustedroot+json;version=0.1`).
 */
import * as crypto from "crypto";

export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
export const SIGNING_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/** A transparency log (Rekor) or certificate transparency log, by its public URL and key. */
export interface LogArgs {
  /** Public base URL (Rekor's, or the CT log's with its prefix). */
  url: string;
  /** The log's public key (PEM SubjectPublicKeyInfo): ECDSA P-256 or P-384, or Ed25519. */
  publicKeyPem: string;
  /** Since when the key signs (RFC 3339). */
  validFrom: string;
}

/** A certificate authority (Fulcio) or timestamp authority, by its public URL and chain. */
export interface AuthorityArgs {
  url: string;
  /**
   * The chain, PEM certificates, the issued one first and the root last (Fulcio:
   * its CA certificate(s); TSA: the signing leaf, intermediates, root).
   */
  chainPem: string[];
  validFrom: string;
  organization?: string;
  commonName?: string;
}

export interface TrustedRootArgs {
  tlogs: LogArgs[];
  ctlogs: LogArgs[];
  certificateAuthorities: AuthorityArgs[];
  timestampAuthorities: AuthorityArgs[];
}

/** Sigstore's name for a key's algorithm and hash (sigstore_common.proto PublicKeyDetails). */
export function keyDetails(key: crypto.KeyObject): string {
  if (key.asymmetricKeyType === "ed25519") return "PKIX_ED25519";
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "PKIX_ECDSA_P256_SHA_256";
    if (curve === "secp384r1") return "PKIX_ECDSA_P384_SHA_384";
  }
  throw new Error(`a ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ""} key: a log key is ECDSA P-256 or P-384, or Ed25519`);
}

/** A log's id: the SHA-256 of its key's DER SubjectPublicKeyInfo (Rekor, CT: RFC 6962 §3.2). */
export function logId(publicKeyPem: string): Buffer {
  return crypto.createHash("sha256").update(spkiDer(publicKeyPem)).digest();
}

function spkiDer(pem: string): Buffer {
  return crypto.createPublicKey(pem).export({ type: "spki", format: "der" });
}

function certDer(pem: string): Buffer {
  return Buffer.from(new crypto.X509Certificate(pem).raw);
}

/** The chain must run issued → issuer, ending in a self-signed root. */
function checkChain(where: string, chain: string[]): void {
  if (chain.length === 0) throw new Error(`${where}: an empty certificate chain`);
  const certs = chain.map((p) => new crypto.X509Certificate(p));
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].checkIssued(certs[i + 1]) || !certs[i].verify(certs[i + 1].publicKey)) {
      throw new Error(`${where}: certificate ${i} (${certs[i].subject.replace(/\n/g, ", ")}) is not issued by certificate ${i + 1}: give the chain issued first, root last`);
    }
  }
  const root = certs[certs.length - 1];
  if (!root.checkIssued(root) || !root.verify(root.publicKey)) throw new Error(`${where}: the last certificate is not a self-signed root`);
}

function log(l: LogArgs) {
  const key = crypto.createPublicKey(l.publicKeyPem);
  return {
    baseUrl: l.url,
    hashAlgorithm: "SHA2_256",
    publicKey: { rawBytes: spkiDer(l.publicKeyPem).toString("base64"), keyDetails: keyDetails(key), validFor: { start: l.validFrom } },
    logId: { keyId: logId(l.publicKeyPem).toString("base64") },
  };
}

function authority(where: string, a: AuthorityArgs) {
  checkChain(where, a.chainPem);
  return {
    subject: { organization: a.organization ?? "trust-services", commonName: a.commonName ?? new URL(a.url).hostname },
    uri: a.url,
    certChain: { certificates: a.chainPem.map((p) => ({ rawBytes: certDer(p).toString("base64") })) },
    validFor: { start: a.validFrom },
  };
}

/** `trusted_root.json` for Sigstore clients (stable text for the same inputs). */
export function trustedRootJson(a: TrustedRootArgs): string {
  const root = {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: a.tlogs.map(log),
    certificateAuthorities: a.certificateAuthorities.map((c, i) => authority(`certificateAuthorities[${i}]`, c)),
    ctlogs: a.ctlogs.map(log),
    timestampAuthorities: a.timestampAuthorities.map((t, i) => authority(`timestampAuthorities[${i}]`, t)),
  };
  return JSON.stringify(root, null, 2) + "\n";
}

export interface SigningConfigArgs {
  fulcioUrl: string;
  /** The OIDC issuer clients get their identity token from. */
  oidcUrl?: string;
  rekorUrl: string;
  /** The TSA's base URL (the timestamp path is added). */
  tsaUrl?: string;
  validFrom: string;
}

/** `signing_config.v0.2.json`: where cosign v3 signs (Fulcio, Rekor, TSA) by default. */
export function signingConfigJson(a: SigningConfigArgs): string {
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: a.validFrom }, operator: new URL(url).hostname });
  const config = {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [service(a.fulcioUrl)],
    oidcUrls: a.oidcUrl ? [service(a.oidcUrl)] : [],
    rekorTlogUrls: [service(a.rekorUrl)],
    tsaUrls: a.tsaUrl ? [service(`${a.tsaUrl.replace(/\/+$/, "")}/api/v1/timestamp`)] : [],
    rekorTlogConfig: { selector: "ANY" },
    tsaConfig: { selector: "ANY" },
  };
  return JSON.stringify(config, null, 2) + "\n";
}
