/**
 * What an EKS managed node group can hold: allocatable CPU and memory of the
 * instance types the stacks use, and what the EKS add-ons take from it.
 *
 * Allocatable on AL2023 (awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go):
 *   capacity − kube-reserved − eviction-hard; no system-reserved.
 *   kube-reserved CPU: 6 % of the first core, 1 % of the second, 0.5 % of cores 3–4, 0.25 % above;
 *   kube-reserved memory: 11 Mi × maxPods + 255 Mi (maxPods from the ENI limits, also where a
 *   managed node group caps pods at 110); eviction-hard memory.available 100 Mi.
 * Memory capacity is taken 7.5 % below the nominal GiB (the kernel's MemTotal is lower;
 * Karpenter's VM_MEMORY_OVERHEAD_PERCENT default).
 * maxPods (ENIs × (IPs per ENI − 1) + 2): amazon-eks-ami eni-max-pods.txt / instance-info.jsonl;
 * a managed node group caps it at 110 below 30 vCPUs (EKS user guide, create-managed-node-group).
 */

export interface InstanceType {
  vcpu: number;
  memoryGiB: number;
  /** Pods by ENI limits (what kube-reserved memory is computed from). */
  eniPods: number;
}

const SIZES: Record<string, { vcpu: number; eniPods: number }> = {
  large: { vcpu: 2, eniPods: 29 },
  xlarge: { vcpu: 4, eniPods: 58 },
  "2xlarge": { vcpu: 8, eniPods: 58 },
  "4xlarge": { vcpu: 16, eniPods: 234 },
};
const GIB_PER_VCPU: Record<string, number> = { m5: 4, m6i: 4, m6a: 4, m7i: 4, m7a: 4, c6i: 2, c7i: 2, r6i: 8, r7i: 8 };

export const INSTANCE_TYPES: Record<string, InstanceType> = {
  ...Object.fromEntries(
    Object.entries(GIB_PER_VCPU).flatMap(([family, gib]) =>
      Object.entries(SIZES).map(([size, s]) => [`${family}.${size}`, { vcpu: s.vcpu, memoryGiB: s.vcpu * gib, eniPods: s.eniPods }]),
    ),
  ),
  "t3.medium": { vcpu: 2, memoryGiB: 4, eniPods: 17 },
  "t3.large": { vcpu: 2, memoryGiB: 8, eniPods: 35 },
  "t3.xlarge": { vcpu: 4, memoryGiB: 16, eniPods: 58 },
  "t3.2xlarge": { vcpu: 8, memoryGiB: 32, eniPods: 58 },
};

export interface Resources {
  /** millicores */
  cpu: number;
  /** MiB */
  memory: number;
  pods: number;
}

function kubeReservedCpu(vcpu: number): number {
  const cores = vcpu * 1000;
  const bands: Array<[number, number, number]> = [
    [0, 1000, 0.06],
    [1000, 2000, 0.01],
    [2000, 4000, 0.005],
    [4000, Infinity, 0.0025],
  ];
  return bands.reduce((sum, [from, to, rate]) => sum + Math.max(0, Math.min(cores, to) - from) * rate, 0);
}

/** What one node of the type offers pods. */
export function allocatable(t: InstanceType): Resources {
  return {
    cpu: t.vcpu * 1000 - kubeReservedCpu(t.vcpu),
    memory: t.memoryGiB * 1024 * (1 - 0.075) - (11 * t.eniPods + 255) - 100,
    pods: Math.min(t.eniPods, t.vcpu < 30 ? 110 : 250),
  };
}

/**
 * Requests of the EKS add-ons, per node (DaemonSets) and once per cluster
 * (Deployments), from their charts and EKS manifests: amazon-vpc-cni-k8s chart
 * 1.23.1, kube-proxy (EKS manifest), eks-pod-identity-agent chart 1.2.0,
 * aws-ebs-csi-driver chart 2.64.0, aws-efs-csi-driver chart 4.4.1 (the managed
 * add-on's requests could not be confirmed), coredns (EKS 1.33 manifest),
 * amazon-cloudwatch-observability chart 6.4.0.
 */
export const ADDON_REQUESTS: Record<string, { perNode: Resources; perCluster: Resources }> = {
  "vpc-cni": { perNode: { cpu: 50, memory: 0, pods: 1 }, perCluster: { cpu: 0, memory: 0, pods: 0 } },
  "kube-proxy": { perNode: { cpu: 100, memory: 0, pods: 1 }, perCluster: { cpu: 0, memory: 0, pods: 0 } },
  "eks-pod-identity-agent": { perNode: { cpu: 0, memory: 0, pods: 1 }, perCluster: { cpu: 0, memory: 0, pods: 0 } },
  coredns: { perNode: { cpu: 0, memory: 0, pods: 0 }, perCluster: { cpu: 200, memory: 140, pods: 2 } },
  "aws-ebs-csi-driver": { perNode: { cpu: 30, memory: 104, pods: 1 }, perCluster: { cpu: 120, memory: 464, pods: 2 } },
  "aws-efs-csi-driver": { perNode: { cpu: 0, memory: 0, pods: 1 }, perCluster: { cpu: 0, memory: 0, pods: 2 } },
  "amazon-cloudwatch-observability": { perNode: { cpu: 300, memory: 153, pods: 2 }, perCluster: { cpu: 100, memory: 64, pods: 1 } },
};

/** CPU quantity in millicores ("500m", "2", "1.5"). */
export function cpuOf(q: unknown): number {
  const s = String(q ?? "0");
  return s.endsWith("m") ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

/** Memory quantity in MiB ("512Mi", "3Gi", "1G", "1000000"). */
export function memoryOf(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(q ?? "0"));
  if (!m) return NaN;
  const unit: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, k: 1000 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20, T: 1e12 / 2 ** 20 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1 / 2 ** 20);
}

/** A pod's requests as the scheduler counts them: its containers' sum, or its largest init container if that is more. */
export function podRequests(spec: Record<string, any>): Resources {
  const sum = (cs: Array<Record<string, any>>) =>
    cs.reduce((a, c) => ({ cpu: a.cpu + cpuOf(c.resources?.requests?.cpu), memory: a.memory + memoryOf(c.resources?.requests?.memory) }), { cpu: 0, memory: 0 });
  const main = sum(spec.containers ?? []);
  const init = (spec.initContainers ?? []).map((c: Record<string, any>) => sum([c]));
  return {
    cpu: Math.max(main.cpu, ...init.map((i: Resources) => i.cpu)),
    memory: Math.max(main.memory, ...init.map((i: Resources) => i.memory)),
    pods: 1,
  };
}

export interface Placement {
  /** Pods that found no node: workload name and why. */
  unplaced: Array<{ workload: string; requests: Resources }>;
}

/**
 * First-fit decreasing over `nodes` identical nodes: the largest pods first, each
 * on the first node with room; a workload that must spread over nodes (a hard
 * hostname spread or required anti-affinity) puts at most its share on one node.
 */
export function place(
  pods: Array<{ workload: string; requests: Resources; perNodeCap?: number; capKey?: string }>,
  nodes: number,
  room: Resources,
): Placement {
  const free = Array.from({ length: nodes }, () => ({ ...room }));
  const onNode = Array.from({ length: nodes }, () => new Map<string, number>());
  const unplaced: Placement["unplaced"] = [];
  const order = [...pods].sort((a, b) => b.requests.cpu - a.requests.cpu || b.requests.memory - a.requests.memory);
  for (const p of order) {
    const key = p.capKey ?? p.workload;
    const i = free.findIndex(
      (n, idx) =>
        n.cpu >= p.requests.cpu && n.memory >= p.requests.memory && n.pods >= 1 && (p.perNodeCap === undefined || (onNode[idx].get(key) ?? 0) < p.perNodeCap),
    );
    if (i < 0) {
      unplaced.push({ workload: p.workload, requests: p.requests });
      continue;
    }
    free[i].cpu -= p.requests.cpu;
    free[i].memory -= p.requests.memory;
    free[i].pods -= 1;
    onNode[i].set(key, (onNode[i].get(key) ?? 0) + 1);
  }
  return { unplaced };
}
