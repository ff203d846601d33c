/**
 * Sigstore as Red Hat Trusted Artifact Signer deploys it (seed 002, the RHTAS
 * HA guide), from the upstream images and without the operator
 * (upstream/sigstore.md): Trillian (log servers, log signers with Lease
 * election, the schema and one tree each for Rekor and the CT log), Rekor,
 * Fulcio, the CT log, the timestamp authority, and a TUF mirror whose trusted
 * root names this deployment's keys, chains and URLs. In three topologies:
 *
 * - single:      one replica each; MySQL 8 and Redis in the cluster (TLS);
 *                attestations on a volume;
 * - external-db: RDS MySQL 8 for Trillian, ElastiCache Redis with TLS and AUTH
 *                for Rekor's index, attestations in S3 (EKS Pod Identity);
 * - ha:          three replicas of every serving role and of the signer, spread
 *                over zones and nodes with the seed's soft anti-affinity,
 *                disruption budgets, RDS Multi-AZ, ElastiCache with failover.
 *
 * One file per role: trillian.ts, rekor.ts, fulcio.ts, ctlog.ts, tsa.ts,
 * tuf-mirror.ts; the keys and certificates in material.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { argError, imageTag } from "../../checks";
import { DataEndpoint } from "../../kubernetes/datastore";
import { DnsRecordOutput, EndpointArgs, EndpointClassArgs } from "../../kubernetes/endpoint";
import { METADATA_WEB_IMAGE } from "../../kubernetes/metadata-web";
import { appLabels, selectorLabels } from "../../kubernetes/labels";
import { ServiceNamespace, TOPOLOGY_LABEL } from "../../kubernetes/namespace";
import { PeerArgs } from "../../kubernetes/network";
import { ResourcesArgs, resourcesWithDefaults, SchedulingArgs, Workload } from "../../kubernetes/workload";
import { RoleContext, SIGSTORE_APP_NAME, SIGSTORE_PORTS, SIGSTORE_RESOURCES, SIGSTORE_ROLES, SigstoreRole } from "./context";
import { ctlog } from "./ctlog";
import { fulcio, OIDC_ISSUER_TYPES, OidcIssuerArgs } from "./fulcio";
import { makeMaterial } from "./material";
import { rekor } from "./rekor";
import { trillian } from "./trillian";
import { signingConfigJson, trustedRootJson } from "./trust-root";
import { tsa } from "./tsa";
import { tufMirror } from "./tuf-mirror";

export { OidcIssuerArgs, SIGSTORE_APP_NAME, SIGSTORE_PORTS, SIGSTORE_RESOURCES, OIDC_ISSUER_TYPES };

export const SIGSTORE_TOPOLOGIES = ["single", "external-db", "ha"];

/**
 * The images run by default: the upstream releases the Sigstore Helm charts pin
 * (tag and digest); ct_server and the Trillian tools from scaffolding v0.7.31, as
 * the charts pin them (scaffolding builds them up to v0.7.33, from the same code;
 * upstream/sigstore.md §2).
 */
export const SIGSTORE_IMAGES = {
  trillianLogServer: "ghcr.io/sigstore/scaffolding/trillian_log_server:v1.7.3@sha256:5a878e4e4f03790d2dda4b07a551ff9832128b307447d4156255c73690aa2da3",
  trillianLogSigner: "ghcr.io/sigstore/scaffolding/trillian_log_signer:v1.7.3@sha256:28c5ff40963f83ffdf4e2d9ea1e4e2c877c33cfb0ff068f3daad1c1080aad0ac",
  createdb: "ghcr.io/sigstore/scaffolding/createdb:v0.7.31@sha256:3cee6c78973b82af6c3c3632bf8d44dafbab1632b3999a7292b170237c5dd5cc",
  createtree: "ghcr.io/sigstore/scaffolding/createtree:v0.7.31@sha256:e5232e8c9122fcf87260b48f4b05bcb95c35c8aaa57581b42f0fde7460bd3e91",
  rekor: "ghcr.io/sigstore/rekor/rekor-server:v1.5.4@sha256:100d793d68d0e1ba9fea7df8503304cef1ca736c891bd074fcae3d450dd64169",
  fulcio: "ghcr.io/sigstore/fulcio:v1.8.8@sha256:ef72cf56c64b7455ceda5268d1cc801b92992e7ce36b744b40b7761684d60753",
  ctlog: "ghcr.io/sigstore/scaffolding/ct_server:v0.7.31@sha256:66664ba563e7c2564ba32fb5d0e8fdeb42d7f0d5ce45f0df5d80074daea5126c",
  tsa: "ghcr.io/sigstore/timestamp-server:v2.1.0@sha256:8637f0482ed1ecb229b44ebd0afc760f6f57114a4d53c6953cf65c00218896b2",
  web: METADATA_WEB_IMAGE,
  shell: "busybox:1.37.0",
};

/** The URL path prefix of the CT log. */
export const CTLOG_PREFIX = "sigstore";

/** Images by role (each a pinned reference). */
export interface SigstoreImagesArgs {
  trillianLogServer?: string;
  trillianLogSigner?: string;
  createdb?: string;
  createtree?: string;
  rekor?: string;
  fulcio?: string;
  ctlog?: string;
  tsa?: string;
  /** nginx, serving the TUF mirror. */
  web?: string;
  /** A POSIX shell with sed (renders the CT log's configuration). */
  shell?: string;
}

/** Replicas and resources of one role. */
export interface SigstoreRoleArgs {
  /** @default 1, or 3 in ha (the seed) */
  replicas?: number;
  /** @default the seed's figures */
  resources?: ResourcesArgs;
}

export interface SigstoreRolesArgs {
  trillianLogServer?: SigstoreRoleArgs;
  trillianLogSigner?: SigstoreRoleArgs;
  rekor?: SigstoreRoleArgs;
  fulcio?: SigstoreRoleArgs;
  ctlog?: SigstoreRoleArgs;
  tsa?: SigstoreRoleArgs;
  tuf?: SigstoreRoleArgs;
}

/** Rekor's signing key: generated (ECDSA P-256) unless given, or an AWS KMS key. */
export interface RekorSignerArgs {
  /** Unencrypted PEM (secret). */
  privateKeyPem?: pulumi.Input<string>;
  /** An asymmetric SIGN_VERIFY KMS key (ECC_NIST_P256), used through EKS Pod Identity. */
  awsKmsKeyArn?: string;
  /** With KMS: the key's public half (PEM), for the trusted root. */
  publicKeyPem?: string;
}

/** Fulcio's CA: a generated self-signed root (ECDSA P-384) unless given, or AWS KMS with a given chain. */
export interface FulcioCaArgs {
  /** The CA's key (unencrypted PEM, ECDSA; secret). */
  privateKeyPem?: pulumi.Input<string>;
  /** The CA's chain (PEM bundle, issuing certificate first, root last): required with KMS, optional with a given key. */
  certificateChainPem?: string;
  awsKmsKeyArn?: string;
  /** Subject organization of a generated root. @default the component's organization */
  organization?: string;
  /** @default "fulcio" */
  commonName?: string;
}

/** The CT log's key: generated (ECDSA P-256) unless given; ct_server signs only with a key it holds. */
export interface CtLogKeyArgs {
  privateKeyPem?: pulumi.Input<string>;
}

/** The TSA's signer: a generated chain over a generated key unless given, or AWS KMS with a given chain. */
export interface TsaSignerArgs {
  /** The signing key (unencrypted PEM, ECDSA; secret). */
  privateKeyPem?: pulumi.Input<string>;
  /** leaf → intermediates → root (PEM bundle): required with KMS, optional with a given key. */
  certificateChainPem?: string;
  awsKmsKeyArn?: string;
}

/** Trillian tree ids made earlier (recorded from the tree ConfigMaps). */
export interface SigstoreTreesArgs {
  rekor?: string;
  ctlog?: string;
}

/** The TUF mirror's metadata lifetimes. */
export interface SigstoreTufArgs {
  /** Days targets, snapshot and timestamp are valid after each signing. @default 180 */
  expiryDays?: number;
  /** Days after which a `pulumi up` signs them again. @default half of expiryDays */
  renewAfterDays?: number;
  /** Days each root version is valid after the previous one. @default 365 */
  rootExpiryDays?: number;
  /** Root's newest version: raise it to renew root before it expires (docs/sigstore.md). @default 1 */
  rootVersion?: number;
}

/** Attestations on a volume. */
export interface SigstoreAttestationVolumeArgs {
  /** @default "10Gi" */
  size?: string;
  storageClass?: pulumi.Input<string>;
  /** ReadWriteMany (several Rekor replicas). @default false */
  readWriteMany?: boolean;
}

/** Attestations in the S3 bucket the platform made. */
export interface SigstoreAttestationBucketArgs {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  region: string;
}

/** The HTTPS endpoints (hostnames default to `<name>.<domain>`). */
export interface SigstoreEndpointsArgs {
  endpointClass: EndpointClassArgs;
  rekorHostname?: string;
  fulcioHostname?: string;
  /** Fulcio's gRPC API. @default `fulcio-grpc.<domain>` */
  fulcioGrpcHostname?: string;
  tsaHostname?: string;
  tufHostname?: string;
  ctlogHostname?: string;
  /** Serve the CT log too (its API lets anyone audit the certificates Fulcio issued). @default false */
  ctlogPublic?: boolean;
  /** Who may reach the endpoints. @default [] (anyone: signers and verifiers everywhere) */
  sourceRanges?: string[];
}

export interface TrustedArtifactSignerArgs {
  /** "single", "external-db" or "ha". */
  topology: string;
  /** @default "sigstore" */
  namespace?: string;
  images?: SigstoreImagesArgs;
  roles?: SigstoreRolesArgs;
  /** The OIDC issuers Fulcio accepts (at least one). */
  oidcIssuers: OidcIssuerArgs[];
  /** MySQL 8 for Trillian (its database and user exist). */
  database: DataEndpoint;
  /** Redis for Rekor's search index (TLS and AUTH where it has them). */
  cache: DataEndpoint;
  /** Attestations on a volume; one of attestationVolume or attestationBucket. */
  attestationVolume?: SigstoreAttestationVolumeArgs;
  attestationBucket?: SigstoreAttestationBucketArgs;
  rekorSigner?: RekorSignerArgs;
  fulcioCa?: FulcioCaArgs;
  ctlogKey?: CtLogKeyArgs;
  tsaSigner?: TsaSignerArgs;
  tuf?: SigstoreTufArgs;
  /** Tree ids already made: Pulumi writes them into the tree ConfigMaps, and no createtree Job runs for them. */
  trees?: SigstoreTreesArgs;
  /** Subject organization of the generated certificates. @default "trust-services" */
  organization?: string;
  /** Days the generated certificates are valid. @default 3650 */
  certificateValidityDays?: number;
  /** The EKS cluster whose Pod Identity gives Rekor (S3, KMS), Fulcio and the TSA (KMS) their AWS roles. */
  clusterName?: pulumi.Input<string>;
  endpoints?: SigstoreEndpointsArgs;
  /** Namespaces whose pods may reach Rekor, Fulcio, the TSA, the CT log and the TUF mirror. @default [] */
  allowedNamespaces?: string[];
  scheduling?: SchedulingArgs;
  /** Keep keys, volumes and the namespace on destroy. @default false */
  production?: boolean;
}

/**
 * Sigstore: Trillian, Rekor, Fulcio, the CT log, the TSA and the TUF mirror,
 * on the MySQL, Redis and storage the platform hands over.
 */
export class TrustedArtifactSigner extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  /** The URLs clients use: the public endpoints, or in-cluster addresses without them. */
  public readonly rekorUrl: string;
  public readonly fulcioUrl: string;
  public readonly fulcioGrpcUrl?: string;
  public readonly tsaUrl: string;
  /** The CT log's URL with its prefix. */
  public readonly ctlogUrl: string;
  /** The TUF mirror (`cosign initialize --mirror`). */
  public readonly tufUrl: string;
  /** The mirror's newest root.json (`cosign initialize --root`); public. */
  public readonly tufRoot: pulumi.Output<string>;
  public readonly trustedRoot: pulumi.Output<string>;
  public readonly signingConfig: pulumi.Output<string>;
  public readonly tufRootExpires: pulumi.Output<string>;
  /** When targets, snapshot and timestamp expire, and from when `pulumi up` renews them. */
  public readonly tufExpires: pulumi.Output<string>;
  public readonly tufRenewAfter: pulumi.Output<string>;
  public readonly fulcioCertificateExpires: pulumi.Output<string>;
  public readonly tsaCertificateExpires: pulumi.Output<string>;
  public readonly rekorPublicKey: pulumi.Output<string>;
  public readonly ctlogPublicKey: pulumi.Output<string>;
  /** ConfigMaps holding the trees' ids (key `treeID`). */
  public readonly rekorTreeConfigMap: string;
  public readonly ctlogTreeConfigMap: string;
  public readonly dnsRecords: DnsRecordOutput[];

  constructor(name: string, args: TrustedArtifactSignerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:TrustedArtifactSigner", name, checkArgs(name, args), opts);
    const topology = args.topology;
    const ha = topology === "ha";
    const production = args.production ?? false;
    const namespaceName = args.namespace ?? "sigstore";
    const images = { ...SIGSTORE_IMAGES, ...definedOnly(args.images ?? {}) };
    const version = (image: string) => imageTag(image);
    const labelsOf = (component: string) => appLabels({ name: SIGSTORE_APP_NAME, instance: name, component, version: version(images.rekor) });

    const ns = new ServiceNamespace(
      `${name}-ns`,
      { name: namespaceName, labels: { "trust-services/service": "sigstore", [TOPOLOGY_LABEL]: topology }, retainOnDelete: production },
      { parent: this },
    );
    const namespace = ns.name;
    this.namespace = namespace;
    const clients: PeerArgs[] = (args.allowedNamespaces ?? []).map((n) => ({ namespace: n }));
    const c: RoleContext = {
      parent: this,
      name,
      namespace,
      production,
      common: { namespace, topology, app: SIGSTORE_APP_NAME, instance: name, podLabels: { "trust-services/service": "sigstore" }, scheduling: args.scheduling, production },
      labelsOf,
      replicas: (role) => args.roles?.[role]?.replicas ?? (ha ? 3 : 1),
      resources: (role) => resourcesWithDefaults(args.roles?.[role]?.resources, SIGSTORE_RESOURCES[role]),
      antiAffinity: ha ? "soft" : "none",
      clientRule: (port) => (clients.length ? [{ peers: clients, ports: [port] }] : []),
      peer: (component) => ({ podLabels: selectorLabels({ name: SIGSTORE_APP_NAME, instance: name, component }) }),
    };

    // --- Where clients reach each service: its HTTPS endpoint, or its Service inside the cluster.
    const e = args.endpoints;
    const endpoint = (endpointName: string, hostname: string | undefined, extra: Partial<EndpointArgs> = {}): EndpointArgs | undefined =>
      e
        ? {
            endpointClass: e.endpointClass,
            name: endpointName,
            hostname,
            internal: false,
            ...((e.sourceRanges ?? []).length
              ? { sourceRanges: e.sourceRanges }
              : { openToAnyoneReason: "Sigstore's public services: signers and verifiers everywhere reach them (seed 002)" }),
            ...extra,
          }
        : undefined;
    const hostOf = (ep: EndpointArgs | undefined) => (ep ? ep.hostname ?? `${ep.name}.${ep.endpointClass.domain}` : undefined);
    const inCluster = (svc: string, port: number) => `http://${name}-${svc}.${namespaceName}.svc.cluster.local:${port}`;
    const rekorEndpoint = endpoint("rekor", e?.rekorHostname, { healthCheckPath: "/ping" });
    const fulcioEndpoint = endpoint("fulcio", e?.fulcioHostname, { healthCheckPath: "/healthz" });
    const fulcioGrpcEndpoint = endpoint("fulcio-grpc", e?.fulcioGrpcHostname, { backendProtocol: "GRPC" });
    const tsaEndpoint = endpoint("tsa", e?.tsaHostname, { healthCheckPath: "/ping" });
    const tufEndpoint = endpoint("tuf", e?.tufHostname, { healthCheckPath: "/health" });
    const ctlogEndpoint = e?.ctlogPublic ? endpoint("ctlog", e?.ctlogHostname, { healthCheckPath: "/healthz" }) : undefined;
    const url = (ep: EndpointArgs | undefined, svc: string, port: number) => (ep ? `https://${hostOf(ep)}` : inCluster(svc, port));
    this.rekorUrl = url(rekorEndpoint, "rekor", SIGSTORE_PORTS.rekor);
    this.fulcioUrl = url(fulcioEndpoint, "fulcio", SIGSTORE_PORTS.fulcioHttp);
    this.fulcioGrpcUrl = fulcioGrpcEndpoint ? `https://${hostOf(fulcioGrpcEndpoint)}` : undefined;
    this.tsaUrl = url(tsaEndpoint, "tsa", SIGSTORE_PORTS.tsa);
    this.tufUrl = url(tufEndpoint, "tuf", SIGSTORE_PORTS.tuf);
    const ctlogInCluster = `${inCluster("ctlog", SIGSTORE_PORTS.ctlog)}/${CTLOG_PREFIX}`;
    this.ctlogUrl = ctlogEndpoint ? `https://${hostOf(ctlogEndpoint)}/${CTLOG_PREFIX}` : ctlogInCluster;

    // --- Keys and certificates, made once.
    const m = makeMaterial(
      name,
      {
        rekor: args.rekorSigner,
        fulcio: args.fulcioCa,
        ctlog: args.ctlogKey,
        tsa: args.tsaSigner,
        organization: args.organization ?? "trust-services",
        validityDays: args.certificateValidityDays ?? 3650,
        production,
      },
      this,
    );

    // --- Trillian, then the services on it.
    const trees = trillian(c, {
      database: args.database,
      images: { logServer: images.trillianLogServer, logSigner: images.trillianLogSigner, createdb: images.createdb, createtree: images.createtree },
      logClients: ["rekor", "ctlog"],
      treeIds: args.trees,
    });
    const rekorWorkload = rekor(c, {
      image: images.rekor,
      trillian: trees,
      cache: args.cache,
      privateKeyPem: m.rekor.privateKeyPem,
      publicKeyPem: m.rekor.publicKeyPem,
      awsKmsKeyArn: args.rekorSigner?.awsKmsKeyArn,
      volume: args.attestationVolume
        ? { size: args.attestationVolume.size ?? "10Gi", storageClass: args.attestationVolume.storageClass, readWriteMany: args.attestationVolume.readWriteMany ?? false }
        : undefined,
      bucket: args.attestationBucket,
      clusterName: args.clusterName,
      hostname: hostOf(rekorEndpoint) ?? `${name}-rekor.${namespaceName}.svc.cluster.local`,
      endpoint: rekorEndpoint,
    });
    const ctlogWorkload = ctlog(c, {
      image: images.ctlog,
      shellImage: images.shell,
      trillian: trees,
      privateKeyPem: m.ctlog.privateKeyPem,
      publicKeyPem: m.ctlog.publicKeyPem,
      fulcioChainPem: m.fulcio.chainPem,
      prefix: CTLOG_PREFIX,
      endpoint: ctlogEndpoint,
    });
    const fulcioWorkload = fulcio(c, {
      image: images.fulcio,
      oidcIssuers: args.oidcIssuers,
      chainPem: m.fulcio.chainPem,
      encryptedKeyPem: m.fulcio.encryptedKeyPem,
      keyPassword: m.fulcio.keyPassword,
      awsKmsKeyArn: args.fulcioCa?.awsKmsKeyArn,
      clusterName: args.clusterName,
      ctlogUrl: ctlogInCluster,
      endpoint: fulcioEndpoint,
      grpcEndpoint: fulcioGrpcEndpoint,
    });
    const tsaWorkload = tsa(c, {
      image: images.tsa,
      chainPem: m.tsa.chainPem,
      privateKeyPem: m.tsa.privateKeyPem,
      awsKmsKeyArn: args.tsaSigner?.awsKmsKeyArn,
      clusterName: args.clusterName,
      endpoint: tsaEndpoint,
    });

    // --- What clients trust, at the URLs they reach: the trusted root and signing config, in TUF.
    this.trustedRoot = pulumi.all([m.epoch, m.rekor.publicKeyPem, m.ctlog.publicKeyPem, m.fulcio.chainPem, m.tsa.chainPem]).apply(([from, rekorKey, ctKey, fulcioChain, tsaChain]) =>
      trustedRootJson({
        tlogs: [{ url: this.rekorUrl, publicKeyPem: rekorKey, validFrom: from }],
        ctlogs: [{ url: this.ctlogUrl, publicKeyPem: ctKey, validFrom: from }],
        certificateAuthorities: [{ url: this.fulcioUrl, chainPem: fulcioChain, validFrom: from, organization: args.organization ?? "trust-services", commonName: "fulcio" }],
        timestampAuthorities: [{ url: this.tsaUrl, chainPem: tsaChain, validFrom: from, organization: args.organization ?? "trust-services", commonName: "tsa" }],
      }),
    );
    this.signingConfig = m.epoch.apply((from) =>
      signingConfigJson({ fulcioUrl: this.fulcioUrl, oidcUrl: interactiveIssuer(args.oidcIssuers)?.issuerUrl, rekorUrl: this.rekorUrl, tsaUrl: this.tsaUrl, validFrom: from }),
    );
    const keep = { parent: this, protect: production };
    const tufRootKey = new tls.PrivateKey(`${name}-tuf-root`, { algorithm: "ED25519" }, keep);
    const tufOnlineKey = new tls.PrivateKey(`${name}-tuf-online`, { algorithm: "ED25519" }, keep);
    const expiryDays = args.tuf?.expiryDays ?? 180;
    const mirror = tufMirror(c, {
      image: images.web,
      rootKeyPem: pulumi.secret(tufRootKey.privateKeyPemPkcs8),
      onlineKeyPem: pulumi.secret(tufOnlineKey.privateKeyPemPkcs8),
      targets: pulumi.all([this.trustedRoot, this.signingConfig]).apply(([t, s]): Record<string, string> => ({ "trusted_root.json": t, "signing_config.v0.2.json": s })),
      epoch: m.epoch,
      expiryDays,
      renewAfterDays: args.tuf?.renewAfterDays ?? Math.floor(expiryDays / 2),
      rootExpiryDays: args.tuf?.rootExpiryDays ?? 365,
      rootVersion: args.tuf?.rootVersion ?? 1,
      endpoint: tufEndpoint,
    });
    this.tufRoot = mirror.rootJson;
    this.tufRootExpires = mirror.rootExpires;
    this.tufExpires = mirror.expires;
    this.tufRenewAfter = mirror.renewAfter;
    this.fulcioCertificateExpires = m.fulcio.expires;
    this.tsaCertificateExpires = m.tsa.expires;
    this.rekorPublicKey = m.rekor.publicKeyPem;
    this.ctlogPublicKey = m.ctlog.publicKeyPem;
    this.rekorTreeConfigMap = trees.treeConfigMaps.rekor;
    this.ctlogTreeConfigMap = trees.treeConfigMaps.ctlog;
    const served: Workload[] = [rekorWorkload, fulcioWorkload, tsaWorkload, ctlogWorkload, mirror.workload];
    this.dnsRecords = served.flatMap((w) => w.dnsRecords);
    this.registerOutputs({
      namespace: this.namespace,
      tufRoot: this.tufRoot,
      trustedRoot: this.trustedRoot,
      tufRootExpires: this.tufRootExpires,
      tufExpires: this.tufExpires,
    });
  }
}

/**
 * The issuer a person signs with by a browser login (cosign's default when the signing
 * config names it): the first of type email. CI issuers (GitHub Actions, ...) give tokens
 * to jobs only, so naming one would send every interactive `cosign sign` to a login that
 * cannot succeed; without an email issuer the signing config names none.
 */
export function interactiveIssuer(issuers: OidcIssuerArgs[]): OidcIssuerArgs | undefined {
  return issuers.find((i) => i.type === "email");
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}


/** Refuses contradictory args with the arg name, the value and what is allowed; returns the (empty) component inputs. */
function checkArgs(name: string, args: TrustedArtifactSignerArgs): Record<string, never> {
  const fail = (key: string, value: unknown, allowed: string) => argError(`TrustedArtifactSigner ${name}`, key, value, allowed);
  const ha = args.topology === "ha";
  if (!SIGSTORE_TOPOLOGIES.includes(args.topology)) fail("topology", args.topology, SIGSTORE_TOPOLOGIES.join(", "));
  if ((args.attestationVolume === undefined) === (args.attestationBucket === undefined)) fail("attestationVolume/attestationBucket", "(both or neither)", "exactly one");
  if (args.oidcIssuers.length === 0) fail("oidcIssuers", [], "at least one OIDC issuer Fulcio accepts tokens from");
  for (const [i, o] of args.oidcIssuers.entries()) {
    if (!OIDC_ISSUER_TYPES.includes(o.type)) fail(`oidcIssuers[${i}].type`, o.type, OIDC_ISSUER_TYPES.join(", "));
    if (!/^https:\/\/[^\s]+$/.test(o.issuerUrl)) fail(`oidcIssuers[${i}].issuerUrl`, o.issuerUrl, "an https:// URL");
    if ((o.type === "uri" || o.type === "username") && !o.subjectDomain) fail(`oidcIssuers[${i}].subjectDomain`, undefined, `the subject's domain (type ${o.type})`);
    if (o.type === "spiffe" && !o.spiffeTrustDomain) fail(`oidcIssuers[${i}].spiffeTrustDomain`, undefined, "the SPIFFE trust domain (type spiffe)");
  }
  for (const role of SIGSTORE_ROLES) {
    const n = args.roles?.[role as SigstoreRole]?.replicas ?? (ha ? 3 : 1);
    if (!Number.isInteger(n) || n < 1) fail(`roles.${role}.replicas`, n, "a whole number ≥ 1");
    if (ha && n < 3) fail(`roles.${role}.replicas`, n, "at least 3 in ha (the seed: every serving role, and the log signer)");
  }
  const rekorReplicas = args.roles?.rekor?.replicas ?? (ha ? 3 : 1);
  if (args.attestationVolume && !args.attestationVolume.readWriteMany && rekorReplicas > 1) fail("attestationVolume.readWriteMany", false, "true with several Rekor replicas (they share the volume), or attestationBucket");
  if (args.rekorSigner?.awsKmsKeyArn && !args.rekorSigner.publicKeyPem) fail("rekorSigner.publicKeyPem", undefined, "the KMS key's public half (PEM), for the trusted root");
  if (args.rekorSigner?.awsKmsKeyArn && args.rekorSigner.privateKeyPem !== undefined) fail("rekorSigner.privateKeyPem", "(set)", "not with awsKmsKeyArn");
  for (const [key, v] of [["fulcioCa", args.fulcioCa], ["tsaSigner", args.tsaSigner]] as const) {
    if (v?.awsKmsKeyArn && !v.certificateChainPem) fail(`${key}.certificateChainPem`, undefined, "the chain of the KMS key's certificate (PEM bundle)");
    if (v?.awsKmsKeyArn && v.privateKeyPem !== undefined) fail(`${key}.privateKeyPem`, "(set)", "not with awsKmsKeyArn");
    if (v?.certificateChainPem && !v.awsKmsKeyArn && v.privateKeyPem === undefined) fail(`${key}.certificateChainPem`, "(set)", "with the chain's key: privateKeyPem or awsKmsKeyArn");
  }
  const kms = args.rekorSigner?.awsKmsKeyArn || args.fulcioCa?.awsKmsKeyArn || args.tsaSigner?.awsKmsKeyArn;
  if ((kms || args.attestationBucket) && args.clusterName === undefined) fail("clusterName", undefined, "the EKS cluster whose Pod Identity gives the AWS roles (S3 attestations, KMS keys)");
  for (const [tree, id] of Object.entries(args.trees ?? {})) {
    if (id !== undefined && !/^[1-9][0-9]{0,18}$/.test(id)) fail(`trees.${tree}`, id, "a Trillian tree id (a positive 64-bit integer, as digits)");
  }
  const t = args.tuf ?? {};
  const expiry = t.expiryDays ?? 180;
  if (!Number.isInteger(expiry) || expiry < 2) fail("tuf.expiryDays", expiry, "a whole number of days ≥ 2");
  const renew = t.renewAfterDays ?? Math.floor(expiry / 2);
  if (!Number.isInteger(renew) || renew < 1 || renew >= expiry) fail("tuf.renewAfterDays", renew, `a whole number of days from 1 to ${expiry - 1} (before the metadata expires)`);
  if (t.rootVersion !== undefined && (!Number.isInteger(t.rootVersion) || t.rootVersion < 1)) fail("tuf.rootVersion", t.rootVersion, "a whole number ≥ 1");
  return {};
}
