import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { argError } from "../checks";
import { formerly } from "../types";

export interface ServiceNamespaceArgs {
  /** Namespace name. */
  name: string;
  /**
   * Pod Security Standard enforced on the namespace: "restricted", "baseline"
   * or "privileged". Choose the strictest the service's images tolerate.
   * @default "restricted"
   */
  podSecurity?: string;
  /**
   * Why the namespace cannot enforce "restricted" (with the upstream reference).
   * Required for any other level; recorded as an annotation a reviewer can read.
   */
  podSecurityReason?: string;
  labels?: Record<string, string>;
  /**
   * Keep the namespace when the stack is destroyed. Deleting a namespace deletes
   * every PersistentVolumeClaim in it, whatever Pulumi retains; production stacks
   * with data in the namespace set this.
   * @default false
   */
  retainOnDelete?: boolean;
}

/** The Pod Security Standard levels, strictest first. */
export const POD_SECURITY_LEVELS = ["restricted", "baseline", "privileged"];
/** Annotation that documents why a namespace enforces less than "restricted". */
export const POD_SECURITY_REASON = "trust-services.io/pod-security-reason";
/** Annotation that documents why a workload runs a single replica in ha. */
export const SINGLE_REPLICA_REASON = "trust-services.io/single-replica-reason";
/** Namespace label with the topology the service runs in. */
export const TOPOLOGY_LABEL = "trust-services.io/topology";

/**
 * A namespace for one service: the Pod Security Standard labels (enforce, audit
 * and warn), a default-deny NetworkPolicy for ingress and egress, and the one
 * allow rule every pod needs (DNS to the cluster's resolver). The service adds
 * the allow rules of its own port table.
 */
export class ServiceNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: ServiceNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:ServiceNamespace", name, {}, formerly("trust-services:kubernetes:ServiceNamespace", opts));
    const podSecurity = args.podSecurity ?? "restricted";
    if (!POD_SECURITY_LEVELS.includes(podSecurity)) {
      argError(`ServiceNamespace ${name}`, "podSecurity", podSecurity, `one of ${POD_SECURITY_LEVELS.join(", ")}`);
    }
    if (podSecurity !== "restricted" && !args.podSecurityReason) {
      argError(`ServiceNamespace ${name}`, "podSecurityReason", undefined, `why the images need ${podSecurity} (required below restricted)`);
    }
    const ns = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          annotations: args.podSecurityReason ? { [POD_SECURITY_REASON]: args.podSecurityReason } : undefined,
          labels: {
            ...(args.labels ?? {}),
            "pod-security.kubernetes.io/enforce": podSecurity,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": podSecurity,
            "pod-security.kubernetes.io/warn": podSecurity,
          },
        },
      },
      { parent: this, retainOnDelete: args.retainOnDelete ?? false },
    );
    this.name = ns.metadata.name;
    new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: { name: "default-deny", namespace: this.name },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      { parent: this },
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-dns`,
      {
        metadata: { name: "allow-dns", namespace: this.name },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
              ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({ name: this.name });
  }
}
