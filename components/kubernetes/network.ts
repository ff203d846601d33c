/**
 * NetworkPolicy helpers: every allow rule in the project is written with these,
 * on top of the default deny each ServiceNamespace brings. A rule names its
 * peers (pods, namespaces or CIDRs) and always its ports.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The EKS Pod Identity agent: a link-local address on every node, port 80. */
export const POD_IDENTITY_AGENT = { cidr: "169.254.170.23/32", port: 80 };

/** Who may talk to a pod, or whom a pod may talk to: pods, a namespace, or IP ranges. */
export interface PeerArgs {
  /** Pods with these labels (in `namespace`, or in the policy's own namespace when absent). */
  podLabels?: Record<string, string>;
  /** The values `app.kubernetes.io/component` may take (with `podLabels`), for several roles of one application. */
  components?: string[];
  /** A namespace by name: all its pods, or those matching `podLabels`. */
  namespace?: pulumi.Input<string>;
  /** IP ranges (outside the cluster: load balancers, VPNs, databases). */
  cidrs?: pulumi.Input<string>[];
}

/** One allow rule: these peers, on these ports. */
export interface TrafficRuleArgs {
  peers: PeerArgs[];
  /** Destination ports. A rule without ports is refused: every allow rule names its ports. */
  ports: pulumi.Input<number>[];
  /** @default "TCP" */
  protocol?: string;
}

export interface NetworkPolicyArgs {
  /** Object name of the policy. */
  policyName: string;
  namespace: pulumi.Input<string>;
  /** The pods the policy applies to. */
  podLabels: Record<string, string>;
  /** Allowed inbound traffic (the policy then covers Ingress). */
  ingress?: TrafficRuleArgs[];
  /** Allowed outbound traffic (the policy then covers Egress). */
  egress?: TrafficRuleArgs[];
  labels?: Record<string, string>;
}

function peer(p: PeerArgs): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
  if (p.cidrs) {
    if (p.podLabels || p.namespace || p.components) throw new Error("a peer is either CIDRs or pods/namespaces, not both");
    return p.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
  }
  if (!p.podLabels && p.namespace === undefined) throw new Error("a peer names pods, a namespace or CIDRs");
  const podSelector =
    p.podLabels || p.components
      ? {
          matchLabels: p.podLabels,
          matchExpressions: p.components ? [{ key: "app.kubernetes.io/component", operator: "In", values: p.components }] : undefined,
        }
      : undefined;
  const namespaceSelector =
    p.namespace !== undefined ? { matchLabels: { "kubernetes.io/metadata.name": p.namespace } as Record<string, pulumi.Input<string>> } : undefined;
  return [{ podSelector, namespaceSelector }];
}

function rule(r: TrafficRuleArgs, direction: "from" | "to") {
  if (r.ports.length === 0) throw new Error("an allow rule names its ports");
  const protocol = r.protocol ?? "TCP";
  return { [direction]: r.peers.flatMap(peer), ports: r.ports.map((port) => ({ protocol, port })) };
}

/** One NetworkPolicy for a set of pods: the ingress and egress rules given, nothing else. */
export function networkPolicy(name: string, args: NetworkPolicyArgs, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy {
  const ingress = args.ingress ?? [];
  const egress = args.egress ?? [];
  if (ingress.length === 0 && egress.length === 0) throw new Error(`NetworkPolicy ${args.policyName}: no rules`);
  return new k8s.networking.v1.NetworkPolicy(
    name,
    {
      metadata: { name: args.policyName, namespace: args.namespace, labels: args.labels },
      spec: {
        podSelector: { matchLabels: args.podLabels },
        policyTypes: [...(ingress.length ? ["Ingress"] : []), ...(egress.length ? ["Egress"] : [])],
        ingress: ingress.length ? ingress.map((r) => rule(r, "from")) : undefined,
        egress: egress.length ? egress.map((r) => rule(r, "to")) : undefined,
      },
    },
    opts,
  );
}

/** Egress to the EKS Pod Identity agent, for pods whose service account has an AWS role. */
export function podIdentityAgent(): TrafficRuleArgs {
  return { peers: [{ cidrs: [POD_IDENTITY_AGENT.cidr] }], ports: [POD_IDENTITY_AGENT.port] };
}

/** Traffic to or from IP ranges on ports. */
export function cidrRule(cidrs: pulumi.Input<string>[], ports: pulumi.Input<number>[]): TrafficRuleArgs {
  return { peers: [{ cidrs }], ports };
}

/**
 * Egress to the Kubernetes API server, for pods that call it (a leader election,
 * a Job that writes a ConfigMap). The API's address is outside the pod network
 * (EKS: the control plane's ENIs; elsewhere a node or a load balancer), on 443 or 6443.
 */
export function kubernetesApi(): TrafficRuleArgs {
  return cidrRule(["0.0.0.0/0"], [443, 6443]);
}
