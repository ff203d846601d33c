/**
 * The timestamp authority (timestamp-authority v2.1, upstream/sigstore.md
 * §3.5): RFC 3161 timestamps signed by a file key or AWS KMS, with the chain
 * leaf → intermediate → root the server checks at start (the leaf's
 * time-stamping EKU critical, every intermediate carrying it).
 * NTP monitoring is off: it queries public NTP servers the namespace's egress
 * rules do not admit, and only logs (the nodes keep time with the Amazon Time
 * Sync Service or the cluster's own NTP).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "../../aws/common";
import { awsIdentity } from "../../kubernetes/access";
import { EndpointArgs } from "../../kubernetes/endpoint";
import { cidrRule, podIdentityAgent } from "../../kubernetes/network";
import { httpProbes, Workload } from "../../kubernetes/workload";
import { NONROOT_UID, RoleContext, SIGSTORE_PORTS, SIGSTORE_TAGS, KMS_SIGNER_ACTIONS, STARTUP_DIGEST, startupDigest } from "./context";

export interface TsaArgs {
  image: string;
  /** leaf → intermediates → root. */
  chainPem: pulumi.Output<string[]>;
  /** The signing key (PEM, unencrypted); absent with KMS. */
  privateKeyPem?: pulumi.Output<string>;
  awsKmsKeyArn?: string;
  clusterName?: pulumi.Input<string>;
  endpoint?: EndpointArgs;
}

export function tsa(c: RoleContext, a: TsaArgs): Workload {
  const child = { parent: c.parent };
  const kms = a.awsKmsKeyArn !== undefined;
  const secret = new k8s.core.v1.Secret(
    `${c.name}-tsa`,
    {
      metadata: { name: `${c.name}-tsa`, namespace: c.namespace, labels: c.labelsOf("tsa") },
      type: "Opaque",
      stringData: { "chain.pem": a.chainPem.apply((chain) => chain.join("")), ...(a.privateKeyPem ? { "key.pem": pulumi.secret(a.privateKeyPem) } : {}) },
    },
    child,
  );
  const serviceAccountName = kms
    ? awsIdentity({ namespace: c.namespace, name: `${c.name}-tsa`, labels: c.labelsOf("tsa"), policy: policyDocument([{ Sid: "SigningKey", Effect: "Allow", Action: KMS_SIGNER_ACTIONS, Resource: a.awsKmsKeyArn! }]), clusterName: a.clusterName!, tags: SIGSTORE_TAGS }, c.parent)
    : undefined;
  return new Workload(
    `${c.name}-tsa`,
    {
      ...c.common,
      component: "tsa",
      replicas: c.replicas("tsa"),
      antiAffinity: c.antiAffinity,
      serviceAccountName,
      fsGroup: NONROOT_UID,
      // The chain names the signing key: a new key or chain rolls the pods.
      podAnnotations: { [STARTUP_DIGEST]: startupDigest(a.chainPem.apply((c) => c.join("")), a.awsKmsKeyArn ?? "file") },
      container: {
        name: "tsa",
        image: a.image,
        args: [
          "serve",
          "--host=0.0.0.0",
          `--port=${SIGSTORE_PORTS.tsa}`,
          ...(kms
            ? ["--timestamp-signer=kms", `--kms-key-resource=awskms:///${a.awsKmsKeyArn}`]
            : ["--timestamp-signer=file", "--file-signer-key-path=/var/run/tsa/key.pem"]),
          "--certificate-chain-path=/var/run/tsa/chain.pem",
          "--disable-ntp-monitoring",
        ],
        env: kms ? [{ name: "AWS_REGION", value: a.awsKmsKeyArn!.split(":")[3] }] : [],
        ports: [{ name: "http", port: SIGSTORE_PORTS.tsa }],
        // Ready once it serves its chain (the operator's check).
        probes: httpProbes("/ping", SIGSTORE_PORTS.tsa, "/api/v1/timestamp/certchain"),
        resources: c.resources("tsa"),
        mounts: [{ volume: "signer", path: "/var/run/tsa", readOnly: true }],
        security: { runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID },
      },
      volumes: [{ name: "signer", secretName: secret.metadata.name }],
      services: [{ name: `${c.name}-tsa`, ports: ["http"], endpoint: a.endpoint }],
      allowFrom: c.clientRule(SIGSTORE_PORTS.tsa),
      allowTo: kms ? [cidrRule(["0.0.0.0/0"], [443]), podIdentityAgent()] : [],
    },
    child,
  );
}
