import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ServiceNamespaceArgs {
  /** Namespace name. */
  name: string;
  /**
   * Pod Security Standard enforced on the namespace: "restricted", "baseline"
   * or "privileged". Choose the strictest the service's images tolerate.
   * @default "restricted"
   */
  podSecurity?: string;
  labels?: Record<string, string>;
}

const LEVELS = ["restricted", "baseline", "privileged"];

/**
 * A namespace for one service: the Pod Security Standard labels (enforce, audit
 * and warn), a default-deny NetworkPolicy for ingress and egress, and the one
 * allow rule every pod needs (DNS to the cluster's resolver). The service adds
 * the allow rules of its own port table.
 */
export class ServiceNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: ServiceNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:kubernetes:ServiceNamespace", name, {}, opts);
    const podSecurity = args.podSecurity ?? "restricted";
    if (!LEVELS.includes(podSecurity)) {
      throw new Error(`ServiceNamespace ${name}: podSecurity ${JSON.stringify(podSecurity)} — one of ${LEVELS.join(", ")}`);
    }
    const ns = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: args.name,
          labels: {
            ...(args.labels ?? {}),
            "pod-security.kubernetes.io/enforce": podSecurity,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/audit": podSecurity,
            "pod-security.kubernetes.io/warn": podSecurity,
          },
        },
      },
      { parent: this },
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
