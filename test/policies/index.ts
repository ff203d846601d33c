/**
 * The project's own policy suite: the rules a security reviewer of a
 * Kubernetes-on-AWS deployment applies, each a small function over the
 * resources the harness recorded. They read only resource types and fields,
 * never service names, so every service added later is covered without edits.
 *
 * Documented exceptions are data on the resources themselves (an annotation
 * with the reason and its upstream reference), so a reviewer reads them where
 * they apply.
 */
import { TLS_EXEMPT_TAG } from "../../components/aws/cache";
import { DEDICATED_BUCKET_TAG, SSE_S3_EXCEPTION_TAG } from "../../components/aws/bucket";
import { STATIC_CREDENTIALS_TAG } from "../../components/aws/common";
import { ENDPOINT_AUDIENCE, NGINX_SOURCE_RANGES, OPEN_TO_ANYONE } from "../../components/kubernetes/endpoint";
import { SSL_POLICY } from "../../stacks/settings-endpoints";
import { POD_SECURITY_REASON, SINGLE_REPLICA_REASON, TOPOLOGY_LABEL } from "../../components/kubernetes/namespace";
import { isSecretValue, plain, Recorded, Run } from "../harness";
import { ADDON_REQUESTS, allocatable, INSTANCE_TYPES, place, podRequests, Resources } from "./capacity";

export interface Finding {
  rule: string;
  resource: string;
  message: string;
}

export interface Rule {
  id: string;
  description: string;
  check(run: Run): Finding[];
}


const label = (r: Recorded) => `${r.type} ${r.name}`;
const finding = (rule: string, r: Recorded, message: string): Finding => ({ rule, resource: label(r), message });
const inputs = (r: Recorded) => plain<Record<string, any>>(r.inputs);

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]);
const LONG_RUNNING = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"]);

interface PodView {
  resource: Recorded;
  kind: string;
  namespace?: string;
  replicas?: number;
  metadata: Record<string, any>;
  spec: Record<string, any>;
  podLabels: Record<string, string>;
  workload: Record<string, any>;
}

/** Every pod template the run would create, with the workload around it. */
export function podsOf(run: Run): PodView[] {
  const out: PodView[] = [];
  for (const { resource, object } of run.kubernetesObjects()) {
    if (!WORKLOAD_KINDS.has(object.kind)) continue;
    const tpl =
      object.kind === "Pod"
        ? object
        : object.kind === "CronJob"
          ? object.spec?.jobTemplate?.spec?.template
          : object.spec?.template;
    out.push({
      resource,
      kind: object.kind,
      namespace: object.metadata?.namespace,
      replicas: object.spec?.replicas,
      metadata: object.metadata ?? {},
      spec: tpl?.spec ?? {},
      podLabels: tpl?.metadata?.labels ?? {},
      workload: object,
    });
  }
  return out;
}

function containersOf(pod: PodView): Array<Record<string, any>> {
  return [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])];
}

function ownKeyArns(run: Run): Set<string> {
  return new Set(run.ofType("aws:kms/key:Key").map((k) => String(k.state.arn)));
}

function isOwnKey(run: Run, arn: unknown): boolean {
  return typeof arn === "string" && ownKeyArns(run).has(arn);
}

function parsePolicy(doc: unknown): Array<Record<string, any>> {
  try {
    const p = typeof doc === "string" ? JSON.parse(doc) : doc;
    const st = (p as any)?.Statement ?? [];
    return Array.isArray(st) ? st : [st];
  } catch {
    return [];
  }
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The names a bucket is referred to by (its id and its name). */
function bucketNames(b: Recorded): string[] {
  return [b.id, String(b.state.bucket ?? "")].filter((x): x is string => !!x);
}

/** Key=value pairs of an ALB's `load-balancer-attributes` annotation. */
function albAttributes(object: Record<string, any>): Record<string, string> {
  const raw = String(object.metadata?.annotations?.["alb.ingress.kubernetes.io/load-balancer-attributes"] ?? "");
  return Object.fromEntries(raw.split(",").filter((kv) => kv.includes("=")).map((kv) => kv.split("=").map((x) => x.trim()) as [string, string]));
}

/** The Ingresses the AWS Load Balancer Controller serves (an ALB each group). */
function isAlbIngress(object: Record<string, any>): boolean {
  return object.kind === "Ingress" && (object.spec?.ingressClassName === "alb" || Object.keys(object.metadata?.annotations ?? {}).some((k) => k.startsWith("alb.ingress.kubernetes.io/")));
}

/**
 * A log bucket: tagged as the SSE-S3 exception, and a log target of the stack (some
 * bucket's server access logs or some ALB's access logs go to it). A data bucket
 * with the tag but no logs going to it is not one.
 */
function isLogBucket(run: Run, b: Recorded): boolean {
  if (!inputs(b).tags?.[SSE_S3_EXCEPTION_TAG]) return false;
  const names = bucketNames(b);
  const s3Target = run.ofType("aws:s3/bucketLogging:BucketLogging").some((l) => names.includes(inputs(l).targetBucket));
  const albTarget = run.kubernetesObjects().some(({ object }) => isAlbIngress(object) && names.includes(albAttributes(object)["access_logs.s3.bucket"]));
  return s3Target || albTarget;
}

// ---------------------------------------------------------------------------

const encryptionAtRest: Rule = {
  id: "encryption-at-rest",
  description:
    "Every data store is encrypted with a customer-managed KMS key created by the stack (S3, EBS StorageClass, EFS, RDS, ElastiCache, EKS secrets, CloudWatch log groups, backup vault), and every key rotates.",
  check(run) {
    const out: Finding[] = [];
    const rule = this.id;
    const need = (r: Recorded, ok: boolean, what: string) => {
      if (!ok) out.push(finding(rule, r, what));
    };
    for (const k of run.ofType("aws:kms/key:Key")) need(k, inputs(k).enableKeyRotation === true, "key rotation is off");
    for (const b of run.ofType("aws:s3/bucket:Bucket")) {
      const sse = run
        .ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
        .find((c) => inputs(c).bucket === b.id);
      const rule0 = sse ? inputs(sse).rules?.[0]?.applyServerSideEncryptionByDefault : undefined;
      if (isLogBucket(run, b)) {
        // The documented exception: AWS delivers ALB access logs only to SSE-S3 buckets, and S3 server access
        // logs only to targets without SSE-KMS default encryption (LOG_BUCKET_SSE_REASON in components/aws/bucket.ts).
        need(b, !!rule0 && rule0.sseAlgorithm === "AES256", "log bucket without default encryption (SSE-S3, the one AWS log delivery writes to)");
        continue;
      }
      need(b, !!rule0 && rule0.sseAlgorithm === "aws:kms" && isOwnKey(run, rule0.kmsMasterKeyId), "no default SSE-KMS with a customer-managed key");
    }
    for (const { resource, object } of run.kubernetesObjects()) {
      if (object.kind === "StorageClass" && object.provisioner === "ebs.csi.aws.com") {
        need(resource, object.parameters?.encrypted === "true" && isOwnKey(run, object.parameters?.kmsKeyId), "EBS volumes not encrypted with a customer-managed key");
      }
    }
    for (const f of run.ofType("aws:efs/fileSystem:FileSystem")) need(f, inputs(f).encrypted === true && isOwnKey(run, inputs(f).kmsKeyId), "EFS not encrypted with a customer-managed key");
    for (const d of run.ofType("aws:rds/instance:Instance")) {
      const i = inputs(d);
      need(d, i.storageEncrypted === true && isOwnKey(run, i.kmsKeyId), "RDS storage not encrypted with a customer-managed key");
      if (i.performanceInsightsEnabled) need(d, isOwnKey(run, i.performanceInsightsKmsKeyId), "Performance Insights not encrypted with a customer-managed key");
    }
    for (const c of run.ofType("aws:elasticache/replicationGroup:ReplicationGroup")) {
      need(c, inputs(c).atRestEncryptionEnabled === true && isOwnKey(run, inputs(c).kmsKeyId), "Redis not encrypted at rest with a customer-managed key");
    }
    for (const c of run.ofType("aws:eks/cluster:Cluster")) {
      const e = inputs(c).encryptionConfig;
      need(c, !!e && asList(e.resources).includes("secrets") && isOwnKey(run, e.provider?.keyArn), "Kubernetes secrets not envelope-encrypted with a customer-managed key");
    }
    for (const g of run.ofType("aws:cloudwatch/logGroup:LogGroup")) need(g, isOwnKey(run, inputs(g).kmsKeyId), "log group not encrypted with a customer-managed key");
    for (const v of run.ofType("aws:backup/vault:Vault")) need(v, isOwnKey(run, inputs(v).kmsKeyArn), "backup vault not encrypted with a customer-managed key");
    for (const lt of run.ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
      for (const m of inputs(lt).blockDeviceMappings ?? []) {
        need(lt, String(m.ebs?.encrypted) === "true" && isOwnKey(run, m.ebs?.kmsKeyId), "node volume not encrypted with a customer-managed key");
      }
    }
    return out;
  },
};

/** Ports that must never face the internet: admin UIs, admin APIs, SSH, databases, caches. */
export const ADMIN_PORTS = new Set([22, 4000, 3306, 5432, 6379, 2049, 8443, 8080, 24817]);

function internetFacing(object: Record<string, any>): boolean {
  if (object.spec?.type !== "LoadBalancer") return false;
  const a = object.metadata?.annotations ?? {};
  // The AWS Load Balancer Controller's NLBs are internal unless the scheme says otherwise; the in-tree
  // controller ignores the scheme and is public unless `-internal` (upstream/endpoints.md §1, §2).
  const controller = object.spec?.loadBalancerClass === "service.k8s.aws/nlb" || a["service.beta.kubernetes.io/aws-load-balancer-type"] === "external";
  if (controller) return a["service.beta.kubernetes.io/aws-load-balancer-scheme"] === "internet-facing";
  return a["service.beta.kubernetes.io/aws-load-balancer-internal"] !== "true";
}

const nothingPublic: Rule = {
  id: "nothing-public",
  description:
    "Databases, caches and buckets are private; internet-facing load balancers carry no admin UI, admin API, SSH or data port; the EKS public endpoint, when on, is limited to given CIDRs; no security group admits the whole internet.",
  check(run) {
    const out: Finding[] = [];
    for (const d of run.ofType("aws:rds/instance:Instance")) if (inputs(d).publiclyAccessible !== false) out.push(finding(this.id, d, "RDS instance may be publicly accessible"));
    for (const b of run.ofType("aws:s3/bucket:Bucket")) {
      const pab = run.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").find((p) => inputs(p).bucket === b.id);
      const i = pab ? inputs(pab) : {};
      if (!(i.blockPublicAcls && i.blockPublicPolicy && i.ignorePublicAcls && i.restrictPublicBuckets)) out.push(finding(this.id, b, "public access is not fully blocked"));
    }
    for (const c of run.ofType("aws:eks/cluster:Cluster")) {
      const v = inputs(c).vpcConfig ?? {};
      if (v.endpointPublicAccess !== false && (asList(v.publicAccessCidrs).length === 0 || asList(v.publicAccessCidrs).includes("0.0.0.0/0"))) {
        out.push(finding(this.id, c, "public API endpoint open to the whole internet"));
      }
    }
    for (const r of run.resources.filter((x) => x.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" || x.type === "aws:ec2/securityGroupRule:SecurityGroupRule")) {
      const i = inputs(r);
      if (i.type !== "egress" && (i.cidrIpv4 === "0.0.0.0/0" || asList(i.cidrBlocks).includes("0.0.0.0/0"))) out.push(finding(this.id, r, "security group admits 0.0.0.0/0"));
    }
    for (const { resource, object } of run.kubernetesObjects()) {
      if (object.kind !== "Service" || !internetFacing(object)) continue;
      for (const p of object.spec?.ports ?? []) {
        if (ADMIN_PORTS.has(Number(p.port)) || ADMIN_PORTS.has(Number(p.targetPort))) {
          out.push(finding(this.id, resource, `internet-facing load balancer exposes port ${p.port}`));
        }
      }
    }
    return out;
  },
};

const tlsRequired: Rule = {
  id: "tls-required",
  description:
    "TLS is required where the peer supports it: RDS parameter groups force it, S3 bucket and EFS file system policies deny non-TLS requests, Redis uses transit encryption unless the consumer cannot (documented by a tag).",
  check(run) {
    const out: Finding[] = [];
    for (const d of run.ofType("aws:rds/instance:Instance")) {
      const pg = run.ofType("aws:rds/parameterGroup:ParameterGroup").find((p) => p.state.name === inputs(d).parameterGroupName || p.id === inputs(d).parameterGroupName);
      const params: Array<{ name: string; value: string }> = pg ? inputs(pg).parameters ?? [] : [];
      const forced = params.some((p) => (p.name === "rds.force_ssl" || p.name === "require_secure_transport") && ["1", "ON", "on"].includes(String(p.value)));
      if (!forced) out.push(finding(this.id, d, "parameter group does not require TLS"));
    }
    const deniesInsecure = (policy: unknown) =>
      parsePolicy(policy).some((s) => s.Effect === "Deny" && JSON.stringify(s.Condition ?? {}).includes('"aws:SecureTransport":"false"'));
    for (const b of run.ofType("aws:s3/bucket:Bucket")) {
      const pol = run.ofType("aws:s3/bucketPolicy:BucketPolicy").find((p) => inputs(p).bucket === b.id);
      if (!pol || !deniesInsecure(inputs(pol).policy)) out.push(finding(this.id, b, "bucket policy does not deny non-TLS requests"));
    }
    for (const f of run.ofType("aws:efs/fileSystem:FileSystem")) {
      const pol = run.ofType("aws:efs/fileSystemPolicy:FileSystemPolicy").find((p) => inputs(p).fileSystemId === f.id);
      if (!pol || !deniesInsecure(inputs(pol).policy)) out.push(finding(this.id, f, "file system policy does not deny non-TLS access"));
    }
    for (const c of run.ofType("aws:elasticache/replicationGroup:ReplicationGroup")) {
      const i = inputs(c);
      if (i.transitEncryptionEnabled !== true && !i.tags?.[TLS_EXEMPT_TAG]) out.push(finding(this.id, c, "Redis without transit encryption and no documented reason"));
    }
    return out;
  },
};

/** Public by nature, though they often travel in a Secret beside a key: certificates and public keys. */
const PUBLIC_PEM = /^\s*-----BEGIN (CERTIFICATE|PUBLIC KEY)-----[^]*-----END \1-----\s*$/;

/** Every string that was secret in this run, long enough to search for (certificates and public keys aside). */
function secretNeedles(run: Run): string[] {
  return [...run.secretStrings()].filter((s) => s.length >= 8 && !(PUBLIC_PEM.test(s) && !s.includes("PRIVATE KEY")));
}

function leaks(value: unknown, needles: string[], path: string, found: string[]): void {
  if (isSecretValue(value)) return;
  if (typeof value === "string") {
    if (needles.some((n) => value.includes(n))) found.push(path);
  } else if (Array.isArray(value)) value.forEach((e, i) => leaks(e, needles, `${path}[${i}]`, found));
  else if (value && typeof value === "object") for (const [k, e] of Object.entries(value)) leaks(e, needles, path ? `${path}.${k}` : k, found);
}

const noPlaintextSecrets: Rule = {
  id: "no-plaintext-secrets",
  description: "No secret appears in plain text in any resource input outside a secret field, in a label or annotation, or in a stack output.",
  check(run) {
    const out: Finding[] = [];
    const needles = secretNeedles(run);
    for (const r of run.resources) {
      const found: string[] = [];
      leaks(r.inputs, needles, "", found);
      for (const p of found) out.push(finding(this.id, r, `secret in plain text at ${p}`));
    }
    const found: string[] = [];
    leaks(run.rawOutputs, needles, "", found);
    for (const p of found) out.push({ rule: this.id, resource: "stack outputs", message: `secret in plain text at ${p}` });
    return out;
  },
};

const imagesPinned: Rule = {
  id: "images-pinned",
  description: "Every container image names a version tag or a digest, never `latest` or no tag.",
  check(run) {
    const out: Finding[] = [];
    for (const pod of podsOf(run)) {
      for (const c of containersOf(pod)) {
        const image = String(c.image ?? "");
        const ref = image.split("/").pop() ?? "";
        const pinned = image.includes("@sha256:") || (ref.includes(":") && !ref.endsWith(":latest"));
        if (!pinned) out.push(finding(this.id, pod.resource, `container ${c.name} image ${JSON.stringify(image)} is not pinned`));
      }
    }
    return out;
  },
};

const resourcesAndProbes: Rule = {
  id: "resources-and-probes",
  description: "Every container has CPU and memory requests and limits; every long-running container has a liveness probe, and a readiness probe when it serves a port.",
  check(run) {
    const out: Finding[] = [];
    for (const pod of podsOf(run)) {
      for (const c of containersOf(pod)) {
        for (const kind of ["requests", "limits"]) {
          for (const res of ["cpu", "memory"]) {
            if (!c.resources?.[kind]?.[res]) out.push(finding(this.id, pod.resource, `container ${c.name} has no ${res} ${kind.slice(0, -1)}`));
          }
        }
      }
      if (!LONG_RUNNING.has(pod.kind)) continue;
      for (const c of pod.spec.containers ?? []) {
        if (!c.livenessProbe) out.push(finding(this.id, pod.resource, `container ${c.name} has no liveness probe`));
        if ((c.ports ?? []).length > 0 && !c.readinessProbe) out.push(finding(this.id, pod.resource, `container ${c.name} serves ports but has no readiness probe`));
      }
    }
    return out;
  },
};

const BASELINE_CAPS = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);

const podSecurity: Rule = {
  id: "pod-security",
  description:
    "Every namespace enforces a Pod Security Standard; anything below `restricted` carries the reason (with its upstream reference); pods meet the level of their namespace.",
  check(run) {
    const out: Finding[] = [];
    const levels = new Map<string, string>();
    for (const { resource, object } of run.kubernetesObjects()) {
      if (object.kind !== "Namespace") continue;
      const level = object.metadata?.labels?.["pod-security.kubernetes.io/enforce"];
      levels.set(object.metadata?.name, level);
      if (!level) out.push(finding(this.id, resource, "no pod-security.kubernetes.io/enforce label"));
      else if (level !== "restricted" && !object.metadata?.annotations?.[POD_SECURITY_REASON]) {
        out.push(finding(this.id, resource, `enforces ${level} without a documented reason (${POD_SECURITY_REASON})`));
      }
    }
    for (const pod of podsOf(run)) {
      const level = pod.namespace ? levels.get(pod.namespace) : undefined;
      if (level === undefined) {
        out.push(finding(this.id, pod.resource, `namespace ${pod.namespace} is not created by the stack with a Pod Security label`));
        continue;
      }
      if (level === "privileged") continue;
      const s = pod.spec;
      if (s.hostNetwork || s.hostPID || s.hostIPC) out.push(finding(this.id, pod.resource, "uses host namespaces"));
      if ((s.volumes ?? []).some((v: any) => v.hostPath)) out.push(finding(this.id, pod.resource, "uses a hostPath volume"));
      for (const c of containersOf(pod)) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) out.push(finding(this.id, pod.resource, `container ${c.name} is privileged`));
        for (const cap of sc.capabilities?.add ?? []) {
          if (!BASELINE_CAPS.has(cap) || level === "restricted") {
            if (!(level === "restricted" && cap === "NET_BIND_SERVICE")) out.push(finding(this.id, pod.resource, `container ${c.name} adds capability ${cap}`));
          }
        }
        if (level === "restricted") {
          const runAsNonRoot = sc.runAsNonRoot ?? s.securityContext?.runAsNonRoot;
          const seccomp = sc.seccompProfile?.type ?? s.securityContext?.seccompProfile?.type;
          if (runAsNonRoot !== true) out.push(finding(this.id, pod.resource, `container ${c.name} may run as root`));
          if (sc.allowPrivilegeEscalation !== false) out.push(finding(this.id, pod.resource, `container ${c.name} allows privilege escalation`));
          if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(finding(this.id, pod.resource, `container ${c.name} does not drop ALL capabilities`));
          if (!["RuntimeDefault", "Localhost"].includes(seccomp)) out.push(finding(this.id, pod.resource, `container ${c.name} has no seccomp profile`));
        }
      }
    }
    return out;
  },
};

const networkPolicies: Rule = {
  id: "network-policies",
  description:
    "Every namespace with pods has a default-deny NetworkPolicy for ingress and egress, and every allow rule names its ports; on a cluster the stack creates, something enforces them (the VPC CNI's network policy agent, off by default).",
  check(run) {
    const out: Finding[] = [];
    for (const a of run.ofType("aws:eks/addon:Addon").filter((x) => inputs(x).addonName === "vpc-cni")) {
      let values: Record<string, unknown> = {};
      try {
        values = JSON.parse(inputs(a).configurationValues ?? "{}");
      } catch {
        /* not JSON: not enabled */
      }
      if (values.enableNetworkPolicy !== "true") out.push(finding(this.id, a, "the VPC CNI does not enforce NetworkPolicies (enableNetworkPolicy is not \"true\"): every policy is ignored"));
    }
    const objects = run.kubernetesObjects();
    const policies = objects.filter((o) => o.object.kind === "NetworkPolicy");
    const namespaces = new Set(podsOf(run).map((p) => p.namespace).filter(Boolean) as string[]);
    for (const ns of namespaces) {
      const deny = policies.some(({ object }) => {
        const sp = object.spec ?? {};
        return (
          object.metadata?.namespace === ns &&
          Object.keys(sp.podSelector ?? {}).length === 0 &&
          ["Ingress", "Egress"].every((t) => (sp.policyTypes ?? []).includes(t)) &&
          !(sp.ingress ?? []).length &&
          !(sp.egress ?? []).length
        );
      });
      if (!deny) out.push({ rule: this.id, resource: `namespace ${ns}`, message: "no default-deny NetworkPolicy" });
    }
    for (const { resource, object } of policies) {
      for (const dir of ["ingress", "egress"]) {
        for (const r of object.spec?.[dir] ?? []) {
          if (!(r.ports ?? []).length) out.push(finding(this.id, resource, `an ${dir} rule allows every port`));
        }
      }
    }
    return out;
  },
};

function matches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return !!selector && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** A count or percentage of `replicas` (rounded as Kubernetes does for maxUnavailable: down). */
function countOf(v: unknown, replicas: number, round: (x: number) => number): number | undefined {
  if (typeof v === "number") return v;
  const m = typeof v === "string" ? /^(\d+)%$/.exec(v) : null;
  return m ? round((Number(m[1]) / 100) * replicas) : undefined;
}

const haServing: Rule = {
  id: "ha-serving",
  description:
    "In ha: no workload runs a single replica unless it documents why; replicas must spread over zones and over nodes as hard rules on their own pods (a preference protects nothing); a PodDisruptionBudget lets a drain take one at a time but never all; rollouts keep serving.",
  check(run) {
    const out: Finding[] = [];
    const haNamespaces = new Set(
      run
        .kubernetesObjects()
        .filter(({ object }) => object.kind === "Namespace" && object.metadata?.labels?.[TOPOLOGY_LABEL] === "ha")
        .map(({ object }) => object.metadata.name),
    );
    const pdbs = run.kubernetesObjects().filter(({ object }) => object.kind === "PodDisruptionBudget");
    for (const pod of podsOf(run)) {
      if (!pod.namespace || !haNamespaces.has(pod.namespace) || !["Deployment", "StatefulSet"].includes(pod.kind)) continue;
      const replicas = pod.replicas ?? 1;
      if (replicas < 2) {
        if (!pod.metadata.annotations?.[SINGLE_REPLICA_REASON]) out.push(finding(this.id, pod.resource, `runs ${replicas} replica without a documented reason (${SINGLE_REPLICA_REASON})`));
        continue;
      }
      // A spread counts only if it is a hard rule over this workload's own pods.
      const spreads = (pod.spec.topologySpreadConstraints ?? []) as Array<Record<string, any>>;
      const hard = (key: string) =>
        spreads.some((t) => t.topologyKey === key && t.whenUnsatisfiable === "DoNotSchedule" && Number(t.maxSkew) === 1 && matches(t.labelSelector?.matchLabels, pod.podLabels));
      const soft = (key: string) => spreads.some((t) => t.topologyKey === key);
      if (!hard("topology.kubernetes.io/zone")) {
        out.push(finding(this.id, pod.resource, soft("topology.kubernetes.io/zone") ? "zone spread is only a preference (or not over its own pods)" : "replicas not spread over zones"));
      }
      const antiAffinity = ((pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Array<Record<string, any>>).some(
        (t) => t.topologyKey === "kubernetes.io/hostname" && matches(t.labelSelector?.matchLabels, pod.podLabels),
      );
      if (!hard("kubernetes.io/hostname") && !antiAffinity) {
        const preferred = soft("kubernetes.io/hostname") || pod.spec.affinity?.podAntiAffinity;
        out.push(finding(this.id, pod.resource, preferred ? "node spread is only a preference (or not over its own pods)" : "replicas not spread over nodes"));
      }
      const budgets = pdbs.filter(({ object }) => object.metadata?.namespace === pod.namespace && matches(object.spec?.selector?.matchLabels, pod.podLabels));
      if (budgets.length === 0) out.push(finding(this.id, pod.resource, "no PodDisruptionBudget"));
      for (const { object } of budgets) {
        // How many pods a drain may evict at once: at least one (else drains block), fewer than all.
        const sp = object.spec ?? {};
        const maxUnavailable = countOf(sp.maxUnavailable, replicas, Math.ceil);
        const minAvailable = countOf(sp.minAvailable, replicas, Math.ceil);
        const evictable = maxUnavailable ?? (minAvailable !== undefined ? replicas - minAvailable : undefined);
        if (evictable === undefined || evictable < 1) out.push(finding(this.id, pod.resource, "its PodDisruptionBudget blocks every eviction (node drains hang)"));
        else if (evictable >= replicas) out.push(finding(this.id, pod.resource, "its PodDisruptionBudget lets a drain evict every replica"));
      }
      const strategy = pod.workload.spec?.strategy ?? pod.workload.spec?.updateStrategy ?? {};
      if (strategy.type === "Recreate") out.push(finding(this.id, pod.resource, "Recreate rollout stops every replica"));
      const maxUnavailable = countOf(strategy.rollingUpdate?.maxUnavailable ?? (pod.kind === "Deployment" ? "25%" : 1), replicas, Math.floor);
      if (maxUnavailable !== undefined && maxUnavailable >= replicas) out.push(finding(this.id, pod.resource, "rollout may take every replica down"));
      for (const c of pod.spec.containers ?? []) {
        if ((c.ports ?? []).length > 0 && !c.readinessProbe) out.push(finding(this.id, pod.resource, `container ${c.name} serves without a readiness probe: a rollout would send traffic to pods not yet ready`));
      }
    }
    return out;
  },
};

const serviceAccountTokens: Rule = {
  id: "service-account-tokens",
  description:
    "A pod mounts a service-account token only where it calls the Kubernetes API, i.e. the stack binds its ServiceAccount to a Role or ClusterRole; an unused token is a credential for whoever breaks into the pod.",
  check(run) {
    const out: Finding[] = [];
    const objects = run.kubernetesObjects().map((o) => o.object);
    const accounts = objects.filter((o) => o.kind === "ServiceAccount");
    const bindings = objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding");
    for (const pod of podsOf(run)) {
      const name = pod.spec.serviceAccountName ?? "default";
      const account = accounts.find((a) => a.metadata?.name === name && a.metadata?.namespace === pod.namespace);
      // Kubernetes mounts the token unless the pod, or else its ServiceAccount, says not to.
      const mounted = pod.spec.automountServiceAccountToken ?? account?.automountServiceAccountToken ?? true;
      if (!mounted) continue;
      const bound = bindings.some(
        (b) =>
          (b.kind === "ClusterRoleBinding" || b.metadata?.namespace === pod.namespace) &&
          (b.subjects ?? []).some((sub: any) => sub.kind === "ServiceAccount" && sub.name === name && (sub.namespace ?? b.metadata?.namespace) === pod.namespace),
      );
      if (!bound) out.push(finding(this.id, pod.resource, `mounts a token for ServiceAccount ${name}, which nothing in the stack grants any API access`));
    }
    return out;
  },
};

const schedulable: Rule = {
  id: "schedulable",
  description:
    "The node group the stack creates runs what the stack deploys: no pod asks for more than one node gives after the EKS add-ons, and every pod fits on the group's minimum size, with one node lost when anything runs in ha (capacity data: test/policies/capacity.ts).",
  check(run) {
    const out: Finding[] = [];
    const groups = run.ofType("aws:eks/nodeGroup:NodeGroup");
    if (groups.length === 0) return out; // an existing cluster's capacity is not the stack's to know
    const objects = run.kubernetesObjects().map((o) => o.object);
    const ha = objects.some((o) => o.kind === "Namespace" && o.metadata?.labels?.[TOPOLOGY_LABEL] === "ha");
    const addons = run.ofType("aws:eks/addon:Addon").map((a) => String(inputs(a).addonName));
    const sum = (rs: Resources[]) => rs.reduce((a, r) => ({ cpu: a.cpu + r.cpu, memory: a.memory + r.memory, pods: a.pods + r.pods }), { cpu: 0, memory: 0, pods: 0 });
    const perNode = sum(addons.map((a) => ADDON_REQUESTS[a]?.perNode ?? { cpu: 0, memory: 0, pods: 0 }));
    for (const g of groups) {
      const i = inputs(g);
      const types: string[] = i.instanceTypes ?? [];
      const unknown = types.filter((t) => !INSTANCE_TYPES[t]);
      if (unknown.length || types.length === 0) {
        out.push(finding(this.id, g, `no capacity data for instance type ${unknown.join(", ") || "(none given)"}: add it to test/policies/capacity.ts`));
        continue;
      }
      // Mixed types: the smallest is what a node may be.
      const alloc = types.map((t) => allocatable(INSTANCE_TYPES[t])).reduce((a, b) => ({ cpu: Math.min(a.cpu, b.cpu), memory: Math.min(a.memory, b.memory), pods: Math.min(a.pods, b.pods) }));
      const room = { cpu: alloc.cpu - perNode.cpu, memory: alloc.memory - perNode.memory, pods: alloc.pods - perNode.pods };
      const nodes = Number(i.scalingConfig?.minSize ?? 0) - (ha ? 1 : 0);
      const what = `${nodes} node(s) of ${types.join("/")}${ha ? " (the group's minimum, one lost)" : " (the group's minimum)"}`;
      const pods: Array<{ workload: string; requests: Resources; perNodeCap?: number; capKey?: string }> = [];
      for (const pod of podsOf(run)) {
        if (pod.kind === "DaemonSet") continue;
        const replicas = pod.kind === "Deployment" || pod.kind === "StatefulSet" ? pod.replicas ?? 1 : 1;
        const requests = podRequests(pod.spec);
        if (requests.cpu > room.cpu || requests.memory > room.memory) {
          out.push(finding(this.id, pod.resource, `a pod requests ${requests.cpu}m CPU and ${Math.round(requests.memory)}Mi, more than a ${types.join("/")} node gives after the add-ons (${Math.round(room.cpu)}m, ${Math.round(room.memory)}Mi)`));
          continue;
        }
        const spread = (pod.spec.topologySpreadConstraints ?? []).some((t: any) => t.topologyKey === "kubernetes.io/hostname" && t.whenUnsatisfiable === "DoNotSchedule");
        const apart = (pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((t: any) => t.topologyKey === "kubernetes.io/hostname");
        const app = pod.podLabels["app.kubernetes.io/name"];
        for (let k = 0; k < replicas; k++) {
          pods.push({
            workload: `${pod.kind} ${pod.metadata.name ?? pod.resource.name}`,
            requests,
            perNodeCap: apart ? 1 : spread && nodes > 0 ? Math.ceil(replicas / nodes) : undefined,
            capKey: apart ? `app:${app}` : undefined,
          });
        }
      }
      // Charts the stack installs (the load balancer controller): their pods, from the values given.
      for (const rel of run.ofType("kubernetes:helm.sh/v3:Release")) {
        const v = plain<Record<string, any>>(inputs(rel).values) ?? {};
        const requests = podRequests({ containers: [{ resources: v.resources ?? {} }] });
        if (requests.cpu === 0 || requests.memory === 0) {
          out.push(finding(this.id, rel, "sets no CPU and memory requests for its pods (values.resources): they cannot be counted"));
          continue;
        }
        for (let k = 0; k < Number(v.replicaCount ?? 1); k++) pods.push({ workload: `Helm release ${inputs(rel).name}`, requests });
      }
      for (const [name, a] of Object.entries(ADDON_REQUESTS)) {
        if (!addons.includes(name)) continue;
        for (let k = 0; k < a.perCluster.pods; k++) {
          pods.push({ workload: `add-on ${name}`, requests: { cpu: a.perCluster.cpu / a.perCluster.pods, memory: a.perCluster.memory / a.perCluster.pods, pods: 1 } });
        }
      }
      if (nodes < 1) {
        out.push(finding(this.id, g, `${what}: nothing is left to run on`));
        continue;
      }
      const { unplaced } = place(pods, nodes, room);
      if (unplaced.length) {
        const names = [...new Set(unplaced.map((u) => u.workload))];
        const total = sum(pods.map((p) => p.requests));
        out.push(
          finding(
            this.id,
            g,
            `${unplaced.length} pod(s) do not fit on ${what}: ${names.join(", ")} (everything requests ${Math.round(total.cpu)}m CPU and ${Math.round(total.memory)}Mi; ${nodes} node(s) give ${Math.round(nodes * room.cpu)}m and ${Math.round(nodes * room.memory)}Mi after the add-ons)`,
          ),
        );
      }
    }
    return out;
  },
};

const accessLogging: Rule = {
  id: "access-logging",
  description:
    "Every S3 bucket logs its access to a log bucket of the stack, and every ALB writes access logs to one. A log bucket is the one exception to customer-managed keys (SSE-S3: the only encryption AWS log delivery writes to); it expires its logs (a lifecycle rule) and does not log to itself.",
  check(run) {
    const out: Finding[] = [];
    const buckets = run.ofType("aws:s3/bucket:Bucket");
    const logBuckets = buckets.filter((b) => isLogBucket(run, b));
    const logNames = new Set(logBuckets.flatMap(bucketNames));
    const logging = run.ofType("aws:s3/bucketLogging:BucketLogging");
    for (const b of buckets) {
      const l = logging.find((x) => inputs(x).bucket === b.id);
      if (logBuckets.includes(b)) {
        if (l) out.push(finding(this.id, b, "a log bucket logs its own access (logs about logs)"));
        const lc = run.ofType("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").find((c) => inputs(c).bucket === b.id);
        const expires = (lc ? inputs(lc).rules ?? [] : []).some((r: any) => r.status === "Enabled" && Number(r.expiration?.days) > 0);
        if (!expires) out.push(finding(this.id, b, "log bucket keeps its logs forever (no lifecycle expiration)"));
        continue;
      }
      if (!l) out.push(finding(this.id, b, "no server access logging"));
      else if (!logNames.has(inputs(l).targetBucket)) out.push(finding(this.id, b, `logs to ${inputs(l).targetBucket}, not a log bucket of the stack`));
    }
    for (const { resource, object } of run.kubernetesObjects()) {
      if (!isAlbIngress(object)) continue;
      const attrs = albAttributes(object);
      if (attrs["access_logs.s3.enabled"] !== "true") out.push(finding(this.id, resource, "its ALB writes no access logs"));
      else if (!logNames.has(attrs["access_logs.s3.bucket"])) out.push(finding(this.id, resource, `its ALB logs to ${attrs["access_logs.s3.bucket"]}, not a log bucket of the stack`));
    }
    return out;
  },
};

/** The host names an Ingress serves. */
function ingressHosts(object: Record<string, any>): string[] {
  return (object.spec?.rules ?? []).map((r: any) => r.host).filter(Boolean);
}

/** The backend Services of an Ingress: name and port number. */
function ingressBackends(object: Record<string, any>): Array<{ name: string; port?: number }> {
  return (object.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => ({ name: p.backend?.service?.name, port: p.backend?.service?.port?.number })));
}

const endpointsHttps: Rule = {
  id: "endpoints-https",
  description:
    "Every Ingress serves HTTPS with a certificate and redirects HTTP: on an ALB, an ACM certificate, an HTTPS listener, HTTP redirected to 443 and a TLS 1.2-or-newer policy; elsewhere, a TLS section for every host with a cert-manager issuer, and the redirect not turned off.",
  check(run) {
    const out: Finding[] = [];
    for (const { resource, object } of run.kubernetesObjects()) {
      if (object.kind !== "Ingress") continue;
      const a: Record<string, string> = object.metadata?.annotations ?? {};
      const need = (ok: boolean, message: string) => {
        if (!ok) out.push(finding(this.id, resource, message));
      };
      if (!ingressHosts(object).length) need(false, "serves no host name (a certificate names hosts)");
      if (isAlbIngress(object)) {
        const arns = String(a["alb.ingress.kubernetes.io/certificate-arn"] ?? "").split(",").filter(Boolean);
        need(arns.length > 0 && arns.every((x) => /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/.test(x)), "no ACM certificate");
        let ports: Array<Record<string, number>> = [];
        try {
          ports = JSON.parse(a["alb.ingress.kubernetes.io/listen-ports"] ?? '[{"HTTP":80}]');
        } catch {
          need(false, "listen-ports is not JSON");
        }
        need(ports.some((p) => p.HTTPS !== undefined), "no HTTPS listener");
        if (ports.some((p) => p.HTTP !== undefined)) need(a["alb.ingress.kubernetes.io/ssl-redirect"] === "443", "HTTP is served, not redirected to HTTPS");
        need(SSL_POLICY.test(a["alb.ingress.kubernetes.io/ssl-policy"] ?? ""), `TLS policy ${a["alb.ingress.kubernetes.io/ssl-policy"] ?? "(the controller's default, ELBSecurityPolicy-2016-08, which allows TLS 1.0)"} is not TLS 1.2 or newer`);
      } else {
        const covered = new Set((object.spec?.tls ?? []).filter((t: any) => t.secretName).flatMap((t: any) => t.hosts ?? []));
        for (const h of ingressHosts(object)) need(covered.has(h), `host ${h} has no TLS certificate`);
        need(!!(a["cert-manager.io/cluster-issuer"] || a["cert-manager.io/issuer"]), "no cert-manager issuer for its certificate");
        need(a["nginx.ingress.kubernetes.io/ssl-redirect"] !== "false", "the redirect to HTTPS is turned off");
      }
    }
    return out;
  },
};

/** A CIDR list that admits everyone. */
const everyone = (cidrs: string[]) => cidrs.length === 0 || cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0");

const endpointsAudience: Rule = {
  id: "endpoints-audience",
  description:
    "No admin UI or admin API is on an internet-facing endpoint (an Ingress marked admin, or whose backend port is named admin); every internet-facing endpoint admits only its source ranges (an ALB source-ip condition on every backend, or the ingress-nginx allow list) or says why it is meant for anyone (annotation trust-services.io/open-to-anyone).",
  check(run) {
    const out: Finding[] = [];
    const objects = run.kubernetesObjects();
    const services = objects.filter(({ object }) => object.kind === "Service").map(({ object }) => object);
    const internalClass = run.settings?.endpoints?.internalIngressClassName;
    for (const { resource, object } of objects) {
      if (object.kind !== "Ingress") continue;
      const a: Record<string, string> = object.metadata?.annotations ?? {};
      const alb = isAlbIngress(object);
      // An ALB is internal unless its scheme says otherwise; another controller's class is public unless it is the stack's internal one.
      const public_ = alb ? a["alb.ingress.kubernetes.io/scheme"] === "internet-facing" : object.spec?.ingressClassName !== internalClass || internalClass === undefined;
      if (!public_) continue;
      const backends = ingressBackends(object);
      const adminPort = backends.some((b) => {
        const svc = services.find((x) => x.metadata?.name === b.name && x.metadata?.namespace === object.metadata?.namespace);
        return (svc?.spec?.ports ?? []).some((p: any) => Number(p.port) === Number(b.port) && /admin/.test(String(p.name ?? "")));
      });
      if (object.metadata?.labels?.[ENDPOINT_AUDIENCE] === "admin" || adminPort) out.push(finding(this.id, resource, "an admin UI or admin API on an internet-facing endpoint"));
      const limited = alb
        ? backends.length > 0 &&
          backends.every((b) => {
            try {
              const conds = JSON.parse(a[`alb.ingress.kubernetes.io/conditions.${b.name}`] ?? "[]") as Array<Record<string, any>>;
              return conds.some((c) => c.field === "source-ip" && !everyone(c.sourceIpConfig?.values ?? []));
            } catch {
              return false;
            }
          })
        : !everyone(String(a[NGINX_SOURCE_RANGES] ?? "").split(",").map((x) => x.trim()).filter(Boolean));
      if (!limited && !String(a[OPEN_TO_ANYONE] ?? "").trim()) out.push(finding(this.id, resource, "internet-facing without source ranges, and no reason given that it is meant for anyone"));
    }
    return out;
  },
};

const STATEFUL_TYPES = [
  "aws:rds/instance:Instance",
  "aws:efs/fileSystem:FileSystem",
  "aws:s3/bucket:Bucket",
  "aws:kms/key:Key",
  "aws:backup/vault:Vault",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "kubernetes:core/v1:PersistentVolumeClaim",
];

const productionKeepsData: Rule = {
  id: "production-keeps-data",
  description:
    "When production: every stateful resource (and every namespace holding claims) is retained or protected on destroy, RDS has deletion protection and a final snapshot, backups are on (AWS Backup plan and RDS retention ≥ 7 days). Always: data StorageClasses reclaim Retain.",
  check(run) {
    const out: Finding[] = [];
    for (const { resource, object } of run.kubernetesObjects()) {
      if (object.kind === "StorageClass" && object.reclaimPolicy !== "Retain") out.push(finding(this.id, resource, "StorageClass deletes volumes with their claims"));
    }
    for (const d of run.ofType("aws:rds/instance:Instance")) {
      if (!(Number(inputs(d).backupRetentionPeriod) >= 7)) out.push(finding(this.id, d, "automated backups kept less than 7 days"));
    }
    if (!run.settings?.production) return out;
    for (const type of STATEFUL_TYPES) {
      for (const r of run.ofType(type)) if (!r.retainOnDelete && !r.protect) out.push(finding(this.id, r, "would be deleted by a destroy"));
    }
    // Deleting a namespace deletes the claims in it, whatever Pulumi retains.
    const claimNamespaces = new Set(run.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((c) => inputs(c).metadata?.namespace));
    for (const ns of run.ofType("kubernetes:core/v1:Namespace")) {
      if (claimNamespaces.has(inputs(ns).metadata?.name) && !ns.retainOnDelete && !ns.protect) out.push(finding(this.id, ns, "holds claims but would be deleted by a destroy"));
    }
    for (const d of run.ofType("aws:rds/instance:Instance")) {
      const i = inputs(d);
      if (i.deletionProtection !== true) out.push(finding(this.id, d, "no deletion protection"));
      if (i.skipFinalSnapshot !== false || !i.finalSnapshotIdentifier) out.push(finding(this.id, d, "no final snapshot"));
    }
    for (const c of run.ofType("aws:eks/cluster:Cluster")) if (inputs(c).deletionProtection !== true) out.push(finding(this.id, c, "no deletion protection"));
    const hasVolumes = run.ofType("aws:efs/fileSystem:FileSystem").length > 0 || run.ofType("kubernetes:core/v1:PersistentVolumeClaim").length > 0;
    if (hasVolumes && run.settings?.cluster.create) {
      const plans = run.ofType("aws:backup/plan:Plan");
      const selections = run.ofType("aws:backup/selection:Selection");
      if (plans.length === 0 || selections.length === 0) out.push({ rule: this.id, resource: "stack", message: "no AWS Backup plan selects the volumes" });
      for (const p of plans) {
        for (const r of inputs(p).rules ?? []) if (!(Number(r.lifecycle?.deleteAfter) >= 35)) out.push(finding(this.id, p, "production backups kept less than 35 days"));
      }
    }
    return out;
  },
};

const iamLeastPrivilege: Rule = {
  id: "iam-least-privilege",
  description:
    "No IAM policy allows a wildcard action on `*` resources; a workload's S3 access is limited to a key prefix (or to a bucket tagged as written whole by that service alone) and its KMS access to named keys; an IAM user (static keys) exists only with the upstream reason it cannot use a role. (KMS key policies are exempt: there `*` means the key itself.)",
  check(run) {
    const out: Finding[] = [];
    const bucketArn = (b: Recorded) => String(plain(b.state.arn) ?? `arn:aws:s3:::${plain(b.state.bucket ?? b.id)}`);
    // Buckets one service writes whole: a policy of that service may name `<bucket>/*`.
    const dedicated = new Map<string, string>();
    for (const b of run.ofType("aws:s3/bucket:Bucket")) {
      const owner = inputs(b).tags?.[DEDICATED_BUCKET_TAG];
      if (owner) dedicated.set(bucketArn(b), owner);
    }
    const policies = run.resources.filter((r) => ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy"].includes(r.type));
    for (const p of policies) {
      for (const st of parsePolicy(inputs(p).policy)) {
        if (st.Effect !== "Allow") continue;
        const actions = asList(st.Action).map(String);
        const resources = asList(st.Resource).map(String);
        if (actions.some((a) => a === "*" || a.endsWith(":*")) && resources.includes("*")) out.push(finding(this.id, p, `allows ${actions.join(",")} on *`));
        if (actions.some((a) => a.startsWith("s3:")) && actions.some((a) => /^s3:(Get|Put|Delete)Object/.test(a))) {
          for (const res of resources) {
            if (/^arn:aws:s3:::[^/]+\/[^*]+\/\*$/.test(res)) continue;
            const whole = /^(arn:aws:s3:::[^/]+)\/\*$/.exec(res);
            const owner = whole ? dedicated.get(whole[1]) : undefined;
            if (owner && p.name.startsWith(`${owner}-`)) continue;
            out.push(finding(this.id, p, `S3 object access not limited to a prefix${whole ? " (nor a bucket dedicated to this service)" : ""}: ${res}`));
          }
        }
        if (actions.some((a) => a.startsWith("kms:")) && resources.some((r) => r === "*" || !r.startsWith("arn:aws:kms:"))) {
          out.push(finding(this.id, p, "KMS access not limited to named keys"));
        }
      }
    }
    for (const u of run.ofType("aws:iam/user:User")) {
      if (!inputs(u).tags?.[STATIC_CREDENTIALS_TAG]) out.push(finding(this.id, u, `an IAM user (static access keys) without ${STATIC_CREDENTIALS_TAG}: use a role (EKS Pod Identity) unless the upstream cannot`));
    }
    return out;
  },
};


const apiAccessLeastPrivilege: Rule = {
  id: "api-access-least-privilege",
  description:
    "Kubernetes API access is namespaced and exact: no ClusterRole or ClusterRoleBinding, no wildcard group, resource or verb, no access to Secrets, a Role bound only to ServiceAccounts of its namespace, and every Role bound (an unbound Role grants nothing and hides what was meant).",
  check(run) {
    const out: Finding[] = [];
    const k8sObjects = run.kubernetesObjects();
    const bindings = k8sObjects.filter(({ object }) => object.kind === "RoleBinding").map(({ object }) => object);
    for (const { resource, object } of k8sObjects) {
      if (object.kind === "ClusterRole" || object.kind === "ClusterRoleBinding") out.push(finding(this.id, resource, `a ${object.kind}: grant a Role in the service's namespace`));
      if (object.kind === "Role") {
        for (const r of object.rules ?? []) {
          for (const [what, values] of [["apiGroups", r.apiGroups], ["resources", r.resources], ["verbs", r.verbs]] as const) {
            if ((values ?? []).includes("*")) out.push(finding(this.id, resource, `a wildcard in ${what}`));
          }
          if ((r.resources ?? []).includes("secrets")) out.push(finding(this.id, resource, "grants access to Secrets"));
        }
        const bound = bindings.some((b) => b.metadata?.namespace === object.metadata?.namespace && b.roleRef?.kind === "Role" && b.roleRef?.name === object.metadata?.name);
        if (!bound) out.push(finding(this.id, resource, "no RoleBinding binds it"));
      }
      if (object.kind === "RoleBinding") {
        for (const sub of object.subjects ?? []) {
          if (sub.kind !== "ServiceAccount" || (sub.namespace ?? object.metadata?.namespace) !== object.metadata?.namespace) {
            out.push(finding(this.id, resource, `binds ${sub.kind} ${sub.namespace ? `${sub.namespace}/` : ""}${sub.name}: only ServiceAccounts of its own namespace`));
          }
        }
      }
    }
    return out;
  },
};

export const RULES: Rule[] = [
  encryptionAtRest,
  nothingPublic,
  tlsRequired,
  noPlaintextSecrets,
  imagesPinned,
  resourcesAndProbes,
  podSecurity,
  networkPolicies,
  haServing,
  serviceAccountTokens,
  apiAccessLeastPrivilege,
  schedulable,
  productionKeepsData,
  iamLeastPrivilege,
  accessLogging,
  endpointsHttps,
  endpointsAudience,
];

export function evaluatePolicies(run: Run, rules: Rule[] = RULES): Finding[] {
  return rules.flatMap((r) => r.check(run));
}
