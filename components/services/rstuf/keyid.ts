/**
 * The online key as RSTUF sees it (upstream/rstuf.md §7): the RSTUF CLI reads
 * the public key during the ceremony with securesystemslib's
 * `SSlibKey.from_crypto`, writes `x-rstuf-online-key-uri: fn:<keyid>` into
 * root, and the worker then opens `$RSTUF_ONLINE_KEY_DIR/<keyid>`. So the
 * program computes the same key id, names the key file after it, and gives
 * the operator the public key and the id to check the ceremony against.
 *
 * The id is the SHA-256 of the canonical JSON of `{keytype, keyval: {public}, scheme}`
 * (securesystemslib `compute_default_keyid`); `keyval.public` is the raw key in
 * hex for Ed25519 and the SubjectPublicKeyInfo PEM otherwise.
 */
import { canonicalize } from "@tufjs/canonical-json";
import * as crypto from "crypto";

/** A public key in securesystemslib's form, with its default key id. */
export interface SslibKey {
  keytype: string;
  scheme: string;
  keyval: { public: string };
  keyid: string;
}

/** The keys the worker can sign with (securesystemslib's CryptoSigner: Ed25519, RSA, ECDSA P-256). */
export const ONLINE_KEY_TYPES = "Ed25519, ECDSA P-256 or RSA";

/**
 * The securesystemslib form and key id of a public key (PEM), or of the public
 * half of a private key (PEM); throws for a key the RSTUF worker cannot sign with.
 */
export function sslibKey(pem: string): SslibKey {
  const key = pem.includes("PRIVATE KEY") ? crypto.createPublicKey(crypto.createPrivateKey(pem)) : crypto.createPublicKey(pem);
  let keytype: string;
  let scheme: string;
  let value: string;
  switch (key.asymmetricKeyType) {
    case "ed25519":
      keytype = "ed25519";
      scheme = "ed25519";
      // The last 32 bytes of the SubjectPublicKeyInfo are the raw key.
      value = key.export({ type: "spki", format: "der" }).subarray(-32).toString("hex");
      break;
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve !== "prime256v1") throw new Error(`an ECDSA ${curve} key: the RSTUF worker signs only ${ONLINE_KEY_TYPES}`);
      keytype = "ecdsa";
      scheme = "ecdsa-sha2-nistp256";
      value = spkiPem(key);
      break;
    }
    case "rsa":
      keytype = "rsa";
      scheme = "rsassa-pss-sha256";
      value = spkiPem(key);
      break;
    default:
      throw new Error(`a ${key.asymmetricKeyType} key: the RSTUF worker signs only ${ONLINE_KEY_TYPES}`);
  }
  const dict = { keytype, keyval: { public: value }, scheme };
  return { ...dict, keyid: crypto.createHash("sha256").update(canonicalize(dict), "utf8").digest("hex") };
}

/**
 * The PEM SubjectPublicKeyInfo as pyca/cryptography writes it: 64-column base64, a final
 * newline, and an EC point uncompressed. OpenSSL keeps a compressed point as it was read,
 * so an EC key goes through its JWK form (x and y) first.
 */
function spkiPem(key: crypto.KeyObject): string {
  const k = key.asymmetricKeyType === "ec" ? crypto.createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }) : key;
  return String(k.export({ type: "spki", format: "pem" }));
}

/** The public key (PEM SubjectPublicKeyInfo, EC points uncompressed) of a PEM private or public key. */
export function publicKeyPem(pem: string): string {
  const key = pem.includes("PRIVATE KEY") ? crypto.createPublicKey(crypto.createPrivateKey(pem)) : crypto.createPublicKey(pem);
  return spkiPem(key);
}

/** What the worker reads from `$RSTUF_ONLINE_KEY_DIR/<keyid>`: an unencrypted PEM private key. */
export function isUnencryptedPrivateKey(pem: string): boolean {
  if (/ENCRYPTED/.test(pem) || !/-----BEGIN (PRIVATE|EC PRIVATE|RSA PRIVATE) KEY-----/.test(pem)) return false;
  try {
    crypto.createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}
