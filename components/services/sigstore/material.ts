/**
 * The keys and certificates of a Sigstore deployment, made once and kept in
 * the stack's state (so a rebuilt cluster gets the same trust root), unless
 * given, or held by AWS KMS where the server signs through it:
 *
 * - Rekor: ECDSA P-256 (sigstore-go picks the verification hash from the
 *   curve, and Rekor signs with SHA-256: upstream/sigstore.md), or KMS;
 * - Fulcio: an ECDSA P-384 self-signed root (the operator's choice), the key
 *   as a traditional encrypted PEM with a generated password (the file CA
 *   starts only with a password), or KMS with a given chain;
 * - CT log: ECDSA P-256, inline in its configuration (no KMS upstream);
 * - TSA: root and intermediate (P-384) over a P-256 signing leaf whose
 *   time-stamping EKU is critical (x509.ts), or KMS with a given chain.
 *
 * Certificates start at the deployment's epoch (a time recorded once) and are
 * a pure function of keys and epoch, so previews show no change.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as time from "@pulumiverse/time";
import * as crypto from "crypto";
import { issueCertificate, legacyEncryptedPem } from "./x509";

export interface MaterialArgs {
  rekor?: { privateKeyPem?: pulumi.Input<string>; awsKmsKeyArn?: string; publicKeyPem?: string };
  fulcio?: { privateKeyPem?: pulumi.Input<string>; certificateChainPem?: string; awsKmsKeyArn?: string; organization?: string; commonName?: string };
  ctlog?: { privateKeyPem?: pulumi.Input<string> };
  tsa?: { privateKeyPem?: pulumi.Input<string>; certificateChainPem?: string; awsKmsKeyArn?: string };
  organization: string;
  /** Days the generated certificates are valid from the epoch. */
  validityDays: number;
  production: boolean;
}

export interface Material {
  /** When the trust root was made (RFC 3339): certificates and keys are valid from then. */
  epoch: pulumi.Output<string>;
  rekor: { privateKeyPem?: pulumi.Output<string>; publicKeyPem: pulumi.Output<string> };
  fulcio: { chainPem: pulumi.Output<string[]>; encryptedKeyPem?: pulumi.Output<string>; keyPassword?: pulumi.Output<string>; expires: pulumi.Output<string> };
  ctlog: { privateKeyPem: pulumi.Output<string>; publicKeyPem: pulumi.Output<string> };
  tsa: { chainPem: pulumi.Output<string[]>; privateKeyPem?: pulumi.Output<string>; expires: pulumi.Output<string> };
}

/** The certificates of a PEM bundle, in order. */
export function splitPemChain(bundle: string): string[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((c) => `${c}\n`);
}

/** `from` plus `days`, RFC 3339 in whole seconds. */
export function addDays(from: string, days: number): string {
  return new Date(Date.parse(from) + days * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const publicOf = (pem: string) => String(crypto.createPublicKey(pem).export({ type: "spki", format: "pem" }));

/** The latest notAfter of a chain's first certificate. */
function notAfter(chain: string[]): string {
  return new Date(new crypto.X509Certificate(chain[0]).validTo).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function makeMaterial(name: string, a: MaterialArgs, parent: pulumi.Resource): Material {
  const keep = { parent, protect: a.production };
  const ecdsa = (role: string, curve: string) => new tls.PrivateKey(`${name}-${role}`, { algorithm: "ECDSA", ecdsaCurve: curve }, keep);
  const epoch = new time.Static(`${name}-epoch`, {}, keep).rfc3339;
  const until = epoch.apply((e) => addDays(e, a.validityDays));
  const org = a.organization;

  // A key given (its public half derived) or generated once.
  const keyPair = (role: string, curve: string, given: pulumi.Input<string> | undefined) => {
    if (given !== undefined) {
      const privateKeyPem = pulumi.secret(given);
      return { privateKeyPem, publicKeyPem: pulumi.unsecret(privateKeyPem.apply(publicOf)) };
    }
    const k = ecdsa(role, curve);
    return { privateKeyPem: pulumi.secret(k.privateKeyPem), publicKeyPem: k.publicKeyPem };
  };

  // --- Rekor.
  const rekor = a.rekor?.awsKmsKeyArn ? { privateKeyPem: undefined, publicKeyPem: pulumi.output(a.rekor.publicKeyPem!) } : keyPair("rekor-signer", "P256", a.rekor?.privateKeyPem);

  // --- Fulcio: a self-signed root over its key (or the given chain).
  let fulcioChain: pulumi.Output<string[]>;
  let fulcioKey: pulumi.Output<string> | undefined;
  let fulcioPassword: pulumi.Output<string> | undefined;
  if (a.fulcio?.awsKmsKeyArn) {
    fulcioChain = pulumi.output(splitPemChain(a.fulcio.certificateChainPem!));
  } else {
    const key = a.fulcio?.privateKeyPem !== undefined ? pulumi.secret(a.fulcio.privateKeyPem) : pulumi.secret(ecdsa("fulcio-ca", "P384").privateKeyPem);
    fulcioPassword = pulumi.secret(new random.RandomPassword(`${name}-fulcio-ca-password`, { length: 32, special: false }, keep).result);
    fulcioKey = pulumi.secret(pulumi.all([key, fulcioPassword]).apply(([k, p]) => legacyEncryptedPem(k, p)));
    const given = a.fulcio?.certificateChainPem;
    fulcioChain = pulumi.unsecret(
      pulumi.all([key, epoch, until]).apply(([k, from, to]) =>
        given
          ? splitPemChain(given)
          : [
              issueCertificate({
                subject: { organization: a.fulcio?.organization ?? org, commonName: a.fulcio?.commonName ?? "fulcio" },
                publicKeyPem: k,
                issuerPrivateKeyPem: k,
                notBefore: from,
                notAfter: to,
                ca: true,
                pathLength: 1,
                keyUsage: ["keyCertSign", "cRLSign"],
              }),
            ],
      ),
    );
  }

  // --- CT log.
  const ct = keyPair("ctlog-key", "P256", a.ctlog?.privateKeyPem);

  // --- TSA: leaf → intermediate → root, the leaf's time-stamping EKU critical.
  let tsaChain: pulumi.Output<string[]>;
  let tsaPrivate: pulumi.Output<string> | undefined;
  if (a.tsa?.awsKmsKeyArn) {
    tsaChain = pulumi.output(splitPemChain(a.tsa.certificateChainPem!));
  } else {
    tsaPrivate = a.tsa?.privateKeyPem !== undefined ? pulumi.secret(a.tsa.privateKeyPem) : pulumi.secret(ecdsa("tsa-signer", "P256").privateKeyPemPkcs8);
    const given = a.tsa?.certificateChainPem;
    if (given) {
      tsaChain = pulumi.output(splitPemChain(given));
    } else {
      const rootKey = ecdsa("tsa-root", "P384").privateKeyPem;
      const intermediateKey = ecdsa("tsa-intermediate", "P384").privateKeyPem;
      tsaChain = pulumi.unsecret(
        pulumi.all([tsaPrivate, rootKey, intermediateKey, epoch, until]).apply(([leafKey, rk, ik, from, to]) => {
          const window = { notBefore: from, notAfter: to };
          const root = issueCertificate({ subject: { organization: org, commonName: "tsa root" }, publicKeyPem: rk, issuerPrivateKeyPem: rk, ...window, ca: true, pathLength: 1, keyUsage: ["keyCertSign", "cRLSign"] });
          // The TSA checks that every intermediate carries the time-stamping EKU (--enforce-intermediate-eku).
          const intermediate = issueCertificate({
            subject: { organization: org, commonName: "tsa intermediate" },
            publicKeyPem: ik,
            issuerPrivateKeyPem: rk,
            issuerCertificatePem: root,
            ...window,
            ca: true,
            pathLength: 0,
            keyUsage: ["keyCertSign", "cRLSign"],
            extKeyUsage: ["timeStamping"],
          });
          const leaf = issueCertificate({
            subject: { organization: org, commonName: "tsa signer" },
            publicKeyPem: leafKey,
            issuerPrivateKeyPem: ik,
            issuerCertificatePem: intermediate,
            ...window,
            keyUsage: ["digitalSignature"],
            extKeyUsage: ["timeStamping"],
            extKeyUsageCritical: true,
          });
          return [leaf, intermediate, root];
        }),
      );
    }
  }
  return {
    epoch,
    rekor,
    fulcio: { chainPem: fulcioChain, encryptedKeyPem: fulcioKey, keyPassword: fulcioPassword, expires: fulcioChain.apply(notAfter) },
    ctlog: ct,
    tsa: { chainPem: tsaChain, privateKeyPem: tsaPrivate, expires: tsaChain.apply(notAfter) },
  };
}
