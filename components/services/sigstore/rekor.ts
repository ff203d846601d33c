/**
 * Rekor, the transparency log (rekor v1.5.4, upstream/sigstore.md §3.2):
 *
 * - its tree fixed (`--trillian_log_server.tlog_id` from the tree's ConfigMap:
 *   with 0 every replica would make a tree of its own);
 * - one signing key for every replica (a file from a Secret, or AWS KMS through
 *   EKS Pod Identity), never the per-pod in-memory signer;
 * - the search index in Redis, over TLS with AUTH where the Redis offers it
 *   (the password from the environment as `REDIS_SERVER.PASSWORD`, viper's
 *   name for the flag, so it is in no argument);
 * - attestations on a volume, or in S3 through EKS Pod Identity;
 * - its checkpoints signed under one hostname (the public one), whatever pod signs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { keyUseStatement, policyDocument, PolicyStatement } from "../../aws/common";
import { credentialsSecret, DataEndpoint, egressTo } from "../../kubernetes/datastore";
import { awsIdentity } from "../../kubernetes/access";
import { EndpointArgs } from "../../kubernetes/endpoint";
import { cidrRule, podIdentityAgent, TrafficRuleArgs } from "../../kubernetes/network";
import { EnvVarArgs, MountArgs, VolumeArgs, httpProbes, Workload } from "../../kubernetes/workload";
import { NONROOT_UID, RoleContext, SIGSTORE_PORTS, SIGSTORE_TAGS, KMS_SIGNER_ACTIONS, STARTUP_DIGEST, startupDigest } from "./context";
import { Trillian, TREE_KEY } from "./trillian";

/** Attestations stored by Rekor (intoto and cose entries) are at most this large. */
export const MAX_ATTESTATION_BYTES = 102400;

export interface RekorArgs {
  image: string;
  trillian: Trillian;
  cache: DataEndpoint;
  /** The signing key (PEM), or a KMS key. */
  privateKeyPem?: pulumi.Output<string>;
  awsKmsKeyArn?: string;
  /** Attestations on a volume (ReadWriteMany with several replicas). */
  volume?: { size: string; storageClass?: pulumi.Input<string>; readWriteMany: boolean };
  /** Or in this S3 bucket. */
  bucket?: { bucketName: pulumi.Input<string>; bucketArn: pulumi.Input<string>; kmsKeyArn: pulumi.Input<string>; region: string };
  /** The EKS cluster whose Pod Identity gives Rekor its AWS role (S3, KMS). */
  clusterName?: pulumi.Input<string>;
  /** Its public key (a new key rolls the pods). */
  publicKeyPem: pulumi.Input<string>;
  /** The hostname checkpoints name. */
  hostname: pulumi.Input<string>;
  endpoint?: EndpointArgs;
}

export function rekor(c: RoleContext, a: RekorArgs): Workload {
  const child = { parent: c.parent };
  const cache = a.cache;
  const cacheSecret = credentialsSecret(`${c.name}-rekor-redis`, cache, { namespace: c.namespace, labels: c.labelsOf("credentials"), passwordKey: "password", caKey: "ca.crt" }, child);
  const cacheCa = cache.caCertificate !== undefined;
  const env: EnvVarArgs[] = [
    { name: "REKOR_TREE_ID", configMapName: a.trillian.treeConfigMaps.rekor, configMapKey: TREE_KEY },
    // viper's automatic env for --redis_server.password (no prefix, no replacer): the name has its dot.
    ...(cache.password !== undefined ? [{ name: "REDIS_SERVER.PASSWORD", secretName: cacheSecret.metadata.name, secretKey: "password" }] : []),
    // Go adds the certificates in these directories to the system roots: the in-cluster Redis's CA (Rekor has no CA flag).
    ...(cacheCa ? [{ name: "SSL_CERT_DIR", value: "/run/secrets/redis-ca" }] : []),
  ];
  const mounts: MountArgs[] = [];
  const volumes: VolumeArgs[] = [];
  if (a.privateKeyPem) {
    const signerSecret = new k8s.core.v1.Secret(
      `${c.name}-rekor-signer`,
      { metadata: { name: `${c.name}-rekor-signer`, namespace: c.namespace, labels: c.labelsOf("rekor") }, type: "Opaque", stringData: { "private.pem": pulumi.secret(a.privateKeyPem) } },
      child,
    );
    mounts.push({ volume: "signer", path: "/var/run/rekor-signer", readOnly: true });
    volumes.push({ name: "signer", secretName: signerSecret.metadata.name });
  }
  if (cacheCa) {
    mounts.push({ volume: "redis-ca", path: "/run/secrets/redis-ca", readOnly: true });
    volumes.push({ name: "redis-ca", secretName: cacheSecret.metadata.name, items: [{ key: "ca.crt", path: "redis-ca.crt" }] });
  }
  if (a.volume) {
    mounts.push({ volume: "attestations", path: "/var/run/attestations" });
    volumes.push({ name: "attestations", claim: { size: a.volume.size, accessMode: a.volume.readWriteMany ? "ReadWriteMany" : "ReadWriteOnce", storageClass: a.volume.storageClass } });
  }

  // --- Its AWS role (S3 attestations, a KMS key), through EKS Pod Identity.
  let serviceAccountName: pulumi.Output<string> | undefined;
  const toAws: TrafficRuleArgs[] = [];
  if (a.bucket || a.awsKmsKeyArn) {
    const statements: PolicyStatement[] = [
      ...(a.bucket
        ? [
            { Sid: "Attestations", Effect: "Allow" as const, Action: ["s3:GetObject", "s3:PutObject"], Resource: pulumi.interpolate`${a.bucket.bucketArn}/*` },
            { Sid: "BucketKey", ...keyUseStatement(a.bucket.kmsKeyArn) },
          ]
        : []),
      ...(a.awsKmsKeyArn ? [{ Sid: "SigningKey", Effect: "Allow" as const, Action: KMS_SIGNER_ACTIONS, Resource: a.awsKmsKeyArn }] : []),
    ];
    serviceAccountName = awsIdentity({ namespace: c.namespace, name: `${c.name}-rekor`, labels: c.labelsOf("rekor"), policy: policyDocument(statements), clusterName: a.clusterName!, tags: SIGSTORE_TAGS }, c.parent);
    toAws.push(cidrRule(["0.0.0.0/0"], [443]), podIdentityAgent());
  }
  const attestationUrl = a.bucket ? pulumi.interpolate`s3://${a.bucket.bucketName}?region=${a.bucket.region}` : "file:///var/run/attestations?no_tmp_dir=true";
  const replicas = c.replicas("rekor");
  return new Workload(
    `${c.name}-rekor`,
    {
      ...c.common,
      component: "rekor",
      replicas,
      antiAffinity: c.antiAffinity,
      serviceAccountName,
      // The key's file (mode 0440) and the volume belong to the nonroot user's group.
      fsGroup: NONROOT_UID,
      podAnnotations: { [STARTUP_DIGEST]: startupDigest(a.publicKeyPem, a.hostname) },
      container: {
        name: "rekor",
        image: a.image,
        args: [
          "serve",
          "--rekor_server.address=0.0.0.0",
          `--port=${SIGSTORE_PORTS.rekor}`,
          pulumi.interpolate`--rekor_server.hostname=${a.hostname}`,
          a.trillian.host.apply((h) => `--trillian_log_server.address=dns:///${h}`),
          `--trillian_log_server.port=${SIGSTORE_PORTS.trillianGrpc}`,
          '--trillian_log_server.grpc_default_service_config={"loadBalancingConfig":[{"round_robin":{}}]}',
          "--trillian_log_server.tlog_id=$(REKOR_TREE_ID)",
          a.awsKmsKeyArn ? `--rekor_server.signer=awskms:///${a.awsKmsKeyArn}` : "--rekor_server.signer=/var/run/rekor-signer/private.pem",
          "--search_index.storage_provider=redis",
          pulumi.interpolate`--redis_server.address=${cache.host}`,
          pulumi.interpolate`--redis_server.port=${cache.port}`,
          `--redis_server.enable-tls=${cache.tls ? "true" : "false"}`,
          "--enable_attestation_storage=true",
          pulumi.interpolate`--attestation_storage_bucket=${attestationUrl}`,
          `--max_attestation_size=${MAX_ATTESTATION_BYTES}`,
          "--log_type=prod",
        ],
        env: [...env, ...(a.awsKmsKeyArn || a.bucket ? [{ name: "AWS_REGION", value: a.bucket?.region ?? a.awsKmsKeyArn!.split(":")[3] }] : [])],
        ports: [{ name: "http", port: SIGSTORE_PORTS.rekor }],
        // Ready when the log answers: the tree's head through Trillian.
        probes: httpProbes("/ping", SIGSTORE_PORTS.rekor, "/api/v1/log"),
        resources: c.resources("rekor"),
        mounts,
        security: { runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID },
      },
      volumes,
      services: [{ name: `${c.name}-rekor`, ports: ["http"], endpoint: a.endpoint }],
      allowFrom: c.clientRule(SIGSTORE_PORTS.rekor),
      allowTo: [{ peers: [c.peer("trillian-logserver")], ports: [SIGSTORE_PORTS.trillianGrpc] }, egressTo(cache), ...toAws],
    },
    // Its tree exists first: the pod reads the id from the tree's ConfigMap.
    { parent: c.parent, dependsOn: [a.trillian.treeReady.rekor] },
  );
}
