/**
 * What every role of the Sigstore component shares: where it runs, how its
 * pods are labelled, its replicas and resources, and who may reach it.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { PeerArgs, TrafficRuleArgs } from "../../kubernetes/network";
import { ResourcesArgs, SchedulingArgs } from "../../kubernetes/workload";

export const SIGSTORE_APP_NAME = "sigstore";
/**
 * What a KMS signer of sigstore's (pkg/signature/kms/aws) calls: GetPublicKey and DescribeKey
 * when it loads the key (its signing algorithm comes from the key's metadata), then Sign.
 */
export const KMS_SIGNER_ACTIONS = ["kms:Sign", "kms:GetPublicKey", "kms:DescribeKey"];

/** Tags of the AWS resources Sigstore's roles get (IAM roles for Pod Identity). */
export const SIGSTORE_TAGS = { "trust-services/service": "sigstore" };

/** Ports: as upstream and the operator run them (upstream/sigstore.md §3.6). */
export const SIGSTORE_PORTS = {
  trillianGrpc: 8091,
  trillianHttp: 8090,
  rekor: 3000,
  fulcioHttp: 5555,
  fulcioGrpc: 5554,
  ctlog: 6962,
  tsa: 3000,
  tuf: 8000,
} as const;

/** The roles that serve, and the log signer: each has replicas and resources. */
export const SIGSTORE_ROLES = ["trillianLogServer", "trillianLogSigner", "rekor", "fulcio", "ctlog", "tsa", "tuf"] as const;
export type SigstoreRole = (typeof SIGSTORE_ROLES)[number];

/** The seed's requests and limits (RHTAS HA guide, "Resource Requests and Limits"). */
export const SIGSTORE_RESOURCES: Record<SigstoreRole, ResourcesArgs> = {
  trillianLogServer: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  trillianLogSigner: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  rekor: { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  fulcio: { requests: { cpu: "250m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
  ctlog: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  tsa: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
  tuf: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } },
};

/** Resources of the one-shot Jobs (schema, trees) and the config renderer. */
export const JOB_RESOURCES: ResourcesArgs = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } };

/** The uid of the distroless `nonroot` user the ko-built Sigstore images run as. */
export const NONROOT_UID = 65532;

export interface RoleContext {
  parent: pulumi.Resource;
  /** The component's name: children are `${name}-<role>`, objects too. */
  name: string;
  namespace: pulumi.Output<string>;
  production: boolean;
  /** What every Workload and Task of the component takes. */
  common: {
    namespace: pulumi.Output<string>;
    topology: string;
    app: string;
    instance: string;
    podLabels: Record<string, string>;
    scheduling?: SchedulingArgs;
    production: boolean;
  };
  labelsOf(component: string): Record<string, string>;
  replicas(role: SigstoreRole): number;
  resources(role: SigstoreRole): ResourcesArgs;
  /** The seed's soft anti-affinity in ha (on top of the kit's hard spread). */
  antiAffinity: string;
  /** The rule admitting those clients on a port. */
  clientRule(port: number): TrafficRuleArgs[];
  /** The selector of another role's pods. */
  peer(component: string): PeerArgs;
}


/**
 * A short digest of what a server reads only at start (its configuration, its
 * certificates, its public key: never a secret), as a pod annotation: a change
 * rolls the pods, which would otherwise keep serving the old files.
 */
export function startupDigest(...parts: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.all(parts).apply((p) => crypto.createHash("sha256").update(p.join("\0")).digest("hex").slice(0, 16)));
}

/** The annotation that carries it. */
export const STARTUP_DIGEST = "trust-services.io/startup-digest";
