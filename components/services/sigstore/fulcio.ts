/**
 * Fulcio, the certificate authority for code signing (fulcio v1.8.8,
 * upstream/sigstore.md §3.3): a file CA whose key (a traditional encrypted
 * PEM) and certificate the program made, or AWS KMS with a given chain;
 * the OIDC issuers it accepts from settings; the CT log it logs every
 * certificate to. HTTP on 5555 and gRPC on 5554, both listening on all addresses.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { policyDocument } from "../../aws/common";
import { awsIdentity } from "../../kubernetes/access";
import { EndpointArgs } from "../../kubernetes/endpoint";
import { cidrRule, podIdentityAgent } from "../../kubernetes/network";
import { EnvVarArgs, httpProbes, Workload } from "../../kubernetes/workload";
import { NONROOT_UID, RoleContext, SIGSTORE_PORTS, SIGSTORE_TAGS, KMS_SIGNER_ACTIONS, STARTUP_DIGEST, startupDigest } from "./context";

/** The issuer types Fulcio knows (fulcio pkg/config IssuerType), and what each makes the certificate's subject. */
export const OIDC_ISSUER_TYPES = ["email", "github-workflow", "gitlab-pipeline", "buildkite-job", "codefresh-workflow", "kubernetes", "spiffe", "uri", "username"];

/** One OIDC issuer Fulcio accepts identity tokens from (the seed's OIDCIssuers). */
export interface OidcIssuerArgs {
  /** The issuer's URL (the tokens' `iss`). */
  issuerUrl: string;
  /** The audience the tokens carry. @default "sigstore" */
  clientId?: string;
  /** How the token becomes the certificate's subject: email, github-workflow, gitlab-pipeline, kubernetes, spiffe, uri, username, ... */
  type: string;
  /** uri and username: the domain the subject must be in (username: the e-mail domain). */
  subjectDomain?: string;
  /** spiffe: the trust domain. */
  spiffeTrustDomain?: string;
}

/** Fulcio's `config.yaml` (`oidc-issuers`), as fulcio pkg/config reads it. */
export function fulcioConfig(issuers: OidcIssuerArgs[]): string {
  const oidc: Record<string, Record<string, string>> = {};
  for (const i of issuers) {
    oidc[i.issuerUrl] = {
      "issuer-url": i.issuerUrl,
      "client-id": i.clientId ?? "sigstore",
      type: i.type,
      ...(i.subjectDomain ? { "subject-domain": i.subjectDomain } : {}),
      ...(i.spiffeTrustDomain ? { "spiffe-trust-domain": i.spiffeTrustDomain } : {}),
    };
  }
  return YAML.stringify({ "oidc-issuers": oidc });
}

export interface FulcioArgs {
  image: string;
  oidcIssuers: OidcIssuerArgs[];
  /** The CA's chain (issuing certificate first, root last). */
  chainPem: pulumi.Output<string[]>;
  /** The file CA's key (encrypted PEM) and its password; absent with KMS. */
  encryptedKeyPem?: pulumi.Output<string>;
  keyPassword?: pulumi.Output<string>;
  awsKmsKeyArn?: string;
  clusterName?: pulumi.Input<string>;
  /** The CT log's URL (with its prefix), inside the cluster. */
  ctlogUrl: pulumi.Input<string>;
  endpoint?: EndpointArgs;
  grpcEndpoint?: EndpointArgs;
}

export function fulcio(c: RoleContext, a: FulcioArgs): Workload {
  const child = { parent: c.parent };
  const config = new k8s.core.v1.ConfigMap(
    `${c.name}-fulcio-config`,
    { metadata: { name: `${c.name}-fulcio-config`, namespace: c.namespace, labels: c.labelsOf("fulcio") }, data: { "config.yaml": fulcioConfig(a.oidcIssuers) } },
    child,
  );
  const secret = new k8s.core.v1.Secret(
    `${c.name}-fulcio-ca`,
    {
      metadata: { name: `${c.name}-fulcio-ca`, namespace: c.namespace, labels: c.labelsOf("fulcio") },
      type: "Opaque",
      stringData: {
        "cert.pem": a.chainPem.apply((chain) => chain.join("")),
        ...(a.encryptedKeyPem ? { "key.pem": pulumi.secret(a.encryptedKeyPem), password: pulumi.secret(a.keyPassword!) } : {}),
      },
    },
    child,
  );
  const kms = a.awsKmsKeyArn !== undefined;
  const env: EnvVarArgs[] = kms
    ? [{ name: "AWS_REGION", value: a.awsKmsKeyArn!.split(":")[3] }]
    : // viper's env for --fileca-key-passwd (prefix FULCIO_SERVE, no replacer): the password is in no argument.
      [{ name: "FULCIO_SERVE_FILECA-KEY-PASSWD", secretName: secret.metadata.name, secretKey: "password" }];
  const serviceAccountName = kms
    ? awsIdentity({ namespace: c.namespace, name: `${c.name}-fulcio`, labels: c.labelsOf("fulcio"), policy: policyDocument([{ Sid: "CaKey", Effect: "Allow", Action: KMS_SIGNER_ACTIONS, Resource: a.awsKmsKeyArn! }]), clusterName: a.clusterName!, tags: SIGSTORE_TAGS }, c.parent)
    : undefined;
  const items = kms ? [{ key: "cert.pem", path: "cert.pem" }] : [{ key: "cert.pem", path: "cert.pem" }, { key: "key.pem", path: "key.pem" }];
  return new Workload(
    `${c.name}-fulcio`,
    {
      ...c.common,
      component: "fulcio",
      replicas: c.replicas("fulcio"),
      antiAffinity: c.antiAffinity,
      serviceAccountName,
      fsGroup: NONROOT_UID,
      // Fulcio reads its issuers and its CA only at start (--fileca-watch=false): a change rolls the pods.
      podAnnotations: { [STARTUP_DIGEST]: startupDigest(fulcioConfig(a.oidcIssuers), a.chainPem.apply((c) => c.join("")), a.ctlogUrl) },
      container: {
        name: "fulcio",
        image: a.image,
        args: [
          "serve",
          "--host=0.0.0.0",
          `--port=${SIGSTORE_PORTS.fulcioHttp}`,
          "--grpc-host=0.0.0.0",
          `--grpc-port=${SIGSTORE_PORTS.fulcioGrpc}`,
          "--log_type=prod",
          ...(kms
            ? ["--ca=kmsca", `--kms-resource=awskms:///${a.awsKmsKeyArn}`, "--kms-cert-chain-path=/var/run/fulcio-secrets/cert.pem"]
            : ["--ca=fileca", "--fileca-cert=/var/run/fulcio-secrets/cert.pem", "--fileca-key=/var/run/fulcio-secrets/key.pem", "--fileca-watch=false"]),
          pulumi.interpolate`--ct-log-url=${a.ctlogUrl}`,
          "--config-path=/etc/fulcio-config/config.yaml",
        ],
        env,
        ports: [
          { name: "http", port: SIGSTORE_PORTS.fulcioHttp },
          { name: "grpc", port: SIGSTORE_PORTS.fulcioGrpc, appProtocol: "grpc" },
        ],
        probes: httpProbes("/healthz", SIGSTORE_PORTS.fulcioHttp),
        resources: c.resources("fulcio"),
        mounts: [
          { volume: "ca", path: "/var/run/fulcio-secrets", readOnly: true },
          { volume: "config", path: "/etc/fulcio-config", readOnly: true },
        ],
        security: { runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID },
      },
      volumes: [
        { name: "ca", secretName: secret.metadata.name, items },
        { name: "config", configMapName: config.metadata.name },
      ],
      services: [
        { name: `${c.name}-fulcio`, ports: ["http", "grpc"], endpoint: a.endpoint, endpointPort: "http" },
        ...(a.grpcEndpoint ? [{ name: `${c.name}-fulcio-grpc`, ports: ["grpc"], endpoint: a.grpcEndpoint, endpointPort: "grpc" }] : []),
      ],
      allowFrom: [...c.clientRule(SIGSTORE_PORTS.fulcioHttp), ...c.clientRule(SIGSTORE_PORTS.fulcioGrpc)],
      allowTo: [
        { peers: [c.peer("ctlog")], ports: [SIGSTORE_PORTS.ctlog] },
        // The OIDC issuers' discovery documents and keys, wherever they are.
        cidrRule(["0.0.0.0/0"], [443]),
        ...(kms ? [podIdentityAgent()] : []),
      ],
    },
    child,
  );
}
