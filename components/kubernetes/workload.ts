/**
 * The service kit's workload: one role of a service (API, worker, web server,
 * database...) described as data, rendered as a Deployment or StatefulSet with
 * its Services, claims, disruption budget and NetworkPolicies, the house rules
 * applied here and nowhere else:
 *
 * - `app.kubernetes.io/*` labels, and selectors made from them;
 * - the `restricted` security context (non-root, no privilege escalation, all
 *   capabilities dropped, seccomp RuntimeDefault, read-only root filesystem)
 *   unless a container states the upstream reason it needs less;
 * - no service-account token and no Service links unless asked;
 * - resources on every container, probes on every container that serves a port;
 * - in `ha`: two replicas or more (or a documented reason for one), a hard spread
 *   over zones and nodes, optional pod anti-affinity, a PodDisruptionBudget and
 *   a rolling update that keeps serving;
 * - `Recreate` (or a StatefulSet) where a ReadWriteOnce claim or a host path is
 *   mounted, because two pods cannot hold it at once; a StatefulSet of several
 *   replicas gets a claim per replica instead, kept when it is deleted or scaled down.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { argError, isPinnedImage } from "../checks";
import { appLabels, selectorLabels } from "./labels";
import { POD_SECURITY_LEVELS, SINGLE_REPLICA_REASON } from "./namespace";
import { DnsRecordOutput, EndpointArgs, PublicEndpoint, resolveEndpoint } from "./endpoint";
import { networkPolicy, TrafficRuleArgs } from "./network";
import { dataClaim } from "./storage";
import { BACKUP_LABEL_KEY, BACKUP_TAG_VALUE } from "../aws/common";

export interface ResourceListArgs {
  /** CPU, e.g. "500m" or "2". */
  cpu?: string;
  /** Memory, e.g. "512Mi" or "3Gi". */
  memory?: string;
}

/** Requests and limits of one container; both are required for CPU and memory. */
export interface ResourcesArgs {
  requests?: ResourceListArgs;
  limits?: ResourceListArgs;
}

/** One environment variable: a plain value, or a reference (never a secret as a value). */
export interface EnvVarArgs {
  name: string;
  /** A plain value. Secrets go through `secretName`/`secretKey`. */
  value?: pulumi.Input<string>;
  /** A key of a Secret in the workload's namespace. */
  secretName?: pulumi.Input<string>;
  secretKey?: string;
  /** A key of a ConfigMap in the workload's namespace. */
  configMapName?: pulumi.Input<string>;
  configMapKey?: string;
  /** A field of the pod, e.g. `metadata.name`. */
  fieldPath?: string;
}

/** A port the container listens on. */
export interface PortArgs {
  /** Port name (a DNS label, at most 15 characters). */
  name: string;
  /** Container port. */
  port: number;
  /** Port the Service publishes. @default port */
  servicePort?: number;
  /** @default "TCP" */
  protocol?: string;
  /** Application protocol of the Service port (e.g. "grpc", "https"). */
  appProtocol?: string;
}

/** One probe: exactly one of an HTTP path, a TCP check, a gRPC check or a command. */
export interface ProbeArgs {
  /** HTTP GET on this path. */
  httpPath?: string;
  /** "HTTP" or "HTTPS" for `httpPath`. @default "HTTP" */
  scheme?: string;
  /** The Host header of the HTTP probe (for servers that check it, as Django does). @default the pod's IP */
  host?: string;
  /** A TCP connection to the port. */
  tcp?: boolean;
  /** A gRPC health check on the port. */
  grpc?: boolean;
  /** A command run in the container; exit 0 means healthy. */
  command?: string[];
  /** Port of an HTTP, TCP or gRPC probe. @default the container's first port */
  port?: number;
  /** @default 10 */
  periodSeconds?: number;
  /** @default 1 */
  timeoutSeconds?: number;
  /** @default 3 */
  failureThreshold?: number;
  /** @default 0 */
  initialDelaySeconds?: number;
}

export interface ProbesArgs {
  /** Holds liveness and readiness back until the first start is done. */
  startup?: ProbeArgs;
  /** Restarts the container when it fails. */
  liveness?: ProbeArgs;
  /** Takes the pod out of its Services when it fails. */
  readiness?: ProbeArgs;
}

/** Where a volume appears in a container. */
export interface MountArgs {
  /** Name of a volume of the workload. */
  volume: string;
  path: string;
  subPath?: string;
  /** @default false (Secret and ConfigMap volumes are read-only whatever this says) */
  readOnly?: boolean;
}

/** One key of a Secret or ConfigMap projected as a file. */
export interface KeyToPathArgs {
  key: string;
  path: string;
  /** File mode, e.g. 0o400. */
  mode?: number;
}

/** A claim the workload creates for one of its volumes. */
export interface ClaimArgs {
  /** e.g. "10Gi". */
  size: string;
  /** "ReadWriteOnce" or "ReadWriteMany". @default "ReadWriteOnce" */
  accessMode?: string;
  /** @default the cluster's default class */
  storageClass?: pulumi.Input<string>;
}

/** A volume: exactly one source. */
export interface VolumeArgs {
  name: string;
  /**
   * A PersistentVolumeClaim created for this workload (`<workload>-<volume>`), labelled
   * for backup, retained in production; for a StatefulSet of several replicas, one per
   * replica (`<volume>-<workload>-<ordinal>`).
   */
  claim?: ClaimArgs;
  /** An existing PersistentVolumeClaim. */
  claimName?: pulumi.Input<string>;
  /** Access mode of the existing claim: "ReadWriteOnce" makes the rollout Recreate. @default "ReadWriteOnce" */
  claimAccessMode?: string;
  secretName?: pulumi.Input<string>;
  configMapName?: pulumi.Input<string>;
  /** Keys of the Secret or ConfigMap to project (all when absent). */
  items?: KeyToPathArgs[];
  /**
   * Mode of projected files. @default 0o440 when the pod has an fsGroup (the kubelet
   * gives the files that group, which every container process holds), else 0o444
   * (the files belong to root; a non-root process must still read them)
   */
  defaultMode?: number;
  /** Scratch space that lives as long as the pod. */
  emptyDir?: boolean;
  /** Size limit of the emptyDir, e.g. "1Gi". */
  sizeLimit?: string;
  /** "Memory": the emptyDir is a tmpfs (what it holds never touches the node's disk). @default the node's disk */
  medium?: string;
  /** A directory on the node (local single-node clusters only). */
  hostPath?: string;
}

/**
 * What a container needs from the security context. The default is the
 * Pod Security Standard `restricted`; anything less names the upstream reason.
 */
export interface ContainerSecurityArgs {
  /** "restricted", "baseline" or "privileged". @default "restricted" */
  level?: string;
  /** Why the container needs less than `restricted`, with the upstream reference. Required below `restricted`. */
  reason?: string;
  /** User the process runs as (non-root under `restricted`). @default the image's user */
  runAsUser?: number;
  runAsGroup?: number;
  /** @default true */
  readOnlyRootFilesystem?: boolean;
  /** Capabilities dropped below `restricted` (restricted always drops ALL). @default [] */
  dropCapabilities?: string[];
  /** Below `restricted`: whether setuid binaries may raise privileges. @default left to the runtime */
  allowPrivilegeEscalation?: boolean;
}

export interface ContainerArgs {
  /** Container name. @default the workload's component (main container only) */
  name?: string;
  /** Pinned image reference (a tag other than `latest`, or a digest). */
  image: string;
  command?: pulumi.Input<string>[];
  args?: pulumi.Input<string>[];
  env?: EnvVarArgs[];
  /** Secrets whose keys all become environment variables. */
  envFromSecrets?: pulumi.Input<string>[];
  /** ConfigMaps whose keys all become environment variables. */
  envFromConfigMaps?: pulumi.Input<string>[];
  ports?: PortArgs[];
  /** Required for a long-running container: liveness always, readiness when it serves ports. */
  probes?: ProbesArgs;
  /** Required: CPU and memory requests and limits. */
  resources: ResourcesArgs;
  mounts?: MountArgs[];
  security?: ContainerSecurityArgs;
  /** @default "IfNotPresent" */
  imagePullPolicy?: string;
  workingDir?: string;
}

/** A Service over some of the workload's ports. */
export interface ServiceArgs {
  /** Object name. @default the workload's name */
  name?: string;
  /** Names of the container ports it publishes. @default every port */
  ports?: string[];
  /** "ClusterIP" or "LoadBalancer". @default "ClusterIP" */
  type?: string;
  /** No cluster IP: DNS returns the pods (StatefulSets, client-side balancing). @default false */
  headless?: boolean;
  /** Publish pods that are not ready (e.g. an admin UI used before the service is configured). @default false */
  publishNotReadyAddresses?: boolean;
  annotations?: Record<string, pulumi.Input<string>>;
  /** LoadBalancer: CIDRs admitted. */
  loadBalancerSourceRanges?: string[];
  /** LoadBalancer: "Local" keeps client addresses. */
  externalTrafficPolicy?: string;
  /** LoadBalancer: the controller that owns it (e.g. "service.k8s.aws/nlb"). */
  loadBalancerClass?: string;
  labels?: Record<string, string>;
  /**
   * Serve this Service over HTTPS at a hostname (a PublicEndpoint): the pods
   * then admit the endpoint class's proxy on the endpoint's port.
   */
  endpoint?: EndpointArgs;
  /** The port (name) the endpoint serves. @default the Service's first port */
  endpointPort?: string;
}

export interface TolerationArgs {
  key?: string;
  /** "Equal" or "Exists". @default "Equal" */
  operator?: string;
  value?: string;
  /** "NoSchedule", "PreferNoSchedule" or "NoExecute". */
  effect?: string;
  tolerationSeconds?: number;
}

/** Where pods may be scheduled: passed through from settings. */
export interface SchedulingArgs {
  nodeSelector?: Record<string, string>;
  tolerations?: TolerationArgs[];
}

/** How a Deployment replaces pods in `ha`. */
export interface RolloutArgs {
  /** @default 1 */
  maxUnavailable?: number;
  /** @default 0 */
  maxSurge?: number;
}

/** Requests and limits given in part, completed from a role's defaults (a limit of memory defaults to its given request). */
export function resourcesWithDefaults(given: ResourcesArgs | undefined, d: ResourcesArgs): ResourcesArgs {
  return {
    requests: { cpu: given?.requests?.cpu ?? d.requests?.cpu, memory: given?.requests?.memory ?? d.requests?.memory },
    limits: { cpu: given?.limits?.cpu ?? d.limits?.cpu, memory: given?.limits?.memory ?? given?.requests?.memory ?? d.limits?.memory },
  };
}

/**
 * The three probes of a server with one HTTP health path: a patient startup,
 * liveness, and readiness (on its own path when readiness means more, e.g. a backend answers).
 */
export function httpProbes(path: string, port: number, readinessPath: string = path): ProbesArgs {
  return {
    startup: { httpPath: path, port, periodSeconds: 5, failureThreshold: 60 },
    liveness: { httpPath: path, port, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readiness: { httpPath: readinessPath, port, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2 },
  };
}

/** What every pod of the kit has: identity, containers, volumes, scheduling, traffic. */
export interface PodArgs {
  namespace: pulumi.Input<string>;
  /** `app.kubernetes.io/name`, e.g. "xroad-security-server". */
  app: string;
  /** `app.kubernetes.io/instance` (the service component's name). */
  instance: string;
  /** `app.kubernetes.io/component`: the role, e.g. "api". */
  component: string;
  /** `app.kubernetes.io/version`. */
  version?: string;
  /** The main container. */
  container: ContainerArgs;
  /** Containers beside the main one. */
  sidecars?: ContainerArgs[];
  /** Containers that run to completion before the others start. */
  initContainers?: ContainerArgs[];
  volumes?: VolumeArgs[];
  serviceAccountName?: pulumi.Input<string>;
  /** Mount the service account token (only for pods that call the Kubernetes API). @default false */
  serviceAccountToken?: boolean;
  /** Group that owns mounted volumes. */
  fsGroup?: number;
  scheduling?: SchedulingArgs;
  /** @default 30 */
  terminationGracePeriodSeconds?: number;
  /** Labels added to the pods (beyond the `app.kubernetes.io/*` ones). */
  podLabels?: Record<string, string>;
  /** Annotations of the pods: a change rolls them (e.g. a digest of credentials read only at start). */
  podAnnotations?: Record<string, pulumi.Input<string>>;
  /** Inbound traffic allowed to these pods (NetworkPolicy `<name>-ingress`). */
  allowFrom?: TrafficRuleArgs[];
  /** Outbound traffic allowed from these pods (NetworkPolicy `<name>-egress`). */
  allowTo?: TrafficRuleArgs[];
  /** Keep created claims when the stack is destroyed. @default false */
  production?: boolean;
}

export interface WorkloadArgs extends PodArgs {
  /** "single", "external-db" or "ha": `ha` brings the spread, budget and rollout rules. */
  topology: string;
  /** "Deployment", or "StatefulSet" for a role that needs a stable identity. @default "Deployment" */
  kind?: string;
  /** @default 1, or 2 in `ha` */
  replicas?: number;
  /** Why one replica is right in `ha` (recorded as an annotation); required for one replica in `ha`. */
  singleReplicaReason?: string;
  /** Services over the container ports. @default one ClusterIP Service named after the workload when it has ports */
  services?: ServiceArgs[];
  /** "none", "soft" or "hard" pod anti-affinity on `app.kubernetes.io/name` across nodes. @default "none" */
  antiAffinity?: string;
  /**
   * Run only on a node that runs pods with these labels (required pod affinity
   * by hostname): roles that share a ReadWriteOnce volume, which one node holds.
   */
  colocateWith?: Record<string, string>;
  /** Rolling update of a Deployment in `ha`. */
  rollout?: RolloutArgs;
  /** Seconds a new pod must stay ready before the rollout goes on. */
  minReadySeconds?: number;
  /** Let `pulumi up` wait for the pods to be ready. @default true */
  awaitReady?: boolean;
  /** Minutes `pulumi up` waits for a rollout (roles whose pods stop slowly by design). @default the provider's 10 */
  rolloutTimeoutMinutes?: number;
  /** Annotations of the Deployment or StatefulSet. */
  annotations?: Record<string, string>;
}

// Each Workload's Deployment or StatefulSet (kept out of the component's fields, which other languages see).
const controllers = new WeakMap<Workload, pulumi.CustomResource>();

/**
 * The Deployment or StatefulSet of a Workload: what a later role waits for when
 * it must start after this one (`dependsOn`), without waiting for the
 * Workload's Services, endpoints and DNS records as depending on the component would.
 */
export function rolloutOf(w: Workload): pulumi.CustomResource {
  const c = controllers.get(w);
  if (!c) throw new Error(`Workload ${w.name} has no controller`);
  return c;
}

/** Options beyond the component options. */
export interface WorkloadOptions extends pulumi.ComponentResourceOptions {
  /**
   * The resource its children were registered under before the kit existed:
   * they get an alias with that parent, so an update moves them without
   * replacing them (a replaced claim would lose its volume).
   */
  adoptFrom?: pulumi.Resource;
}

const LEVEL_RANK: Record<string, number> = { restricted: 0, baseline: 1, privileged: 2 };

/** The least strict Pod Security level these security declarations need, and the reasons they give. */
export function podSecurityLevel(securities: Array<ContainerSecurityArgs | undefined>): { level: string; reasons: string[] } {
  let level = "restricted";
  const reasons: string[] = [];
  for (const sec of securities) {
    const l = sec?.level ?? "restricted";
    if (LEVEL_RANK[l] > LEVEL_RANK[level]) level = l;
    if (l !== "restricted" && sec?.reason) reasons.push(sec.reason);
  }
  return { level, reasons };
}

/** The least strict Pod Security level the containers need, and the reasons they give. */
export function podSecurityFor(containers: ContainerArgs[]): { level: string; reasons: string[] } {
  return podSecurityLevel(containers.map((c) => c.security));
}

const fail = argError;

function renderProbe(p: ProbeArgs | undefined, ports: PortArgs[], where: string): k8s.types.input.core.v1.Probe | undefined {
  if (!p) return undefined;
  const kinds = [p.httpPath !== undefined, !!p.tcp, !!p.grpc, !!p.command].filter(Boolean).length;
  if (kinds !== 1) fail(where, "probe", p, "exactly one of httpPath, tcp, grpc or command");
  const port = p.port ?? ports[0]?.port;
  if (!p.command && port === undefined) fail(where, "probe port", undefined, "a port (the container serves none)");
  return {
    httpGet: p.httpPath !== undefined ? { path: p.httpPath, port: port!, scheme: p.scheme, httpHeaders: p.host ? [{ name: "Host", value: p.host }] : undefined } : undefined,
    tcpSocket: p.tcp ? { port: port! } : undefined,
    grpc: p.grpc ? { port: port! } : undefined,
    exec: p.command ? { command: p.command } : undefined,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
    initialDelaySeconds: p.initialDelaySeconds,
  };
}

function renderEnv(e: EnvVarArgs, where: string): k8s.types.input.core.v1.EnvVar {
  const sources = [e.value !== undefined, e.secretName !== undefined, e.configMapName !== undefined, e.fieldPath !== undefined].filter(Boolean).length;
  if (sources !== 1) fail(where, `env ${e.name}`, "(several or no sources)", "exactly one of value, secretName/secretKey, configMapName/configMapKey or fieldPath");
  if (e.secretName !== undefined) return { name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.secretKey ?? e.name } } };
  if (e.configMapName !== undefined) return { name: e.name, valueFrom: { configMapKeyRef: { name: e.configMapName, key: e.configMapKey ?? e.name } } };
  if (e.fieldPath !== undefined) return { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldPath } } };
  return { name: e.name, value: e.value };
}

function renderSecurity(s: ContainerSecurityArgs | undefined, where: string): k8s.types.input.core.v1.SecurityContext {
  const level = s?.level ?? "restricted";
  if (!(level in LEVEL_RANK)) fail(where, "security.level", level, POD_SECURITY_LEVELS.join(", "));
  if (level !== "restricted" && !s?.reason) fail(where, "security.level", level, "restricted, or give security.reason with the upstream reference");
  if (level === "restricted") {
    if (s?.runAsUser === 0) fail(where, "security.runAsUser", 0, "a non-root user under restricted");
    return {
      runAsNonRoot: true,
      runAsUser: s?.runAsUser,
      runAsGroup: s?.runAsGroup,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: s?.readOnlyRootFilesystem ?? true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    };
  }
  return {
    runAsUser: s?.runAsUser,
    runAsGroup: s?.runAsGroup,
    allowPrivilegeEscalation: s?.allowPrivilegeEscalation,
    readOnlyRootFilesystem: s?.readOnlyRootFilesystem,
    capabilities: s?.dropCapabilities?.length ? { drop: s.dropCapabilities } : undefined,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

function renderContainer(c: ContainerArgs, name: string, longRunning: boolean, where: string): k8s.types.input.core.v1.Container {
  const w = `${where} container ${name}`;
  const ports = c.ports ?? [];
  const r = c.resources;
  for (const kind of ["requests", "limits"] as const) {
    for (const res of ["cpu", "memory"] as const) {
      if (!r?.[kind]?.[res]) fail(w, `resources.${kind}.${res}`, undefined, "required for every container");
    }
  }
  if (!isPinnedImage(c.image)) fail(w, "image", c.image, "a pinned tag (not latest) or a digest");
  if (longRunning) {
    if (!c.probes?.liveness) fail(w, "probes.liveness", undefined, "required for a long-running container");
    if (ports.length > 0 && !c.probes?.readiness) fail(w, "probes.readiness", undefined, "required for a container that serves ports");
  }
  const envFrom = [
    ...(c.envFromSecrets ?? []).map((s) => ({ secretRef: { name: s } })),
    ...(c.envFromConfigMaps ?? []).map((m) => ({ configMapRef: { name: m } })),
  ];
  return {
    name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? "IfNotPresent",
    command: c.command,
    args: c.args,
    workingDir: c.workingDir,
    env: c.env?.length ? c.env.map((e) => renderEnv(e, w)) : undefined,
    envFrom: envFrom.length ? envFrom : undefined,
    ports: ports.length ? ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) : undefined,
    resources: { requests: { ...r.requests }, limits: { ...r.limits } },
    securityContext: renderSecurity(c.security, w),
    startupProbe: renderProbe(c.probes?.startup, ports, w),
    livenessProbe: renderProbe(c.probes?.liveness, ports, w),
    readinessProbe: renderProbe(c.probes?.readiness, ports, w),
    volumeMounts: c.mounts?.length ? c.mounts.map((m) => ({ name: m.volume, mountPath: m.path, subPath: m.subPath, readOnly: m.readOnly })) : undefined,
  };
}

/** What `renderPod` makes of PodArgs: the pod template and the options its children share. */
export interface RenderedPod {
  selector: Record<string, string>;
  labels: Record<string, string>;
  template: k8s.types.input.core.v1.PodTemplateSpec;
  /** Volumes that one pod at a time may mount (ReadWriteOnce claims, host paths). */
  exclusiveVolumes: string[];
  /** Claims for each replica of a StatefulSet (when `perReplicaClaims`). */
  claimTemplates: k8s.types.input.core.v1.PersistentVolumeClaim[];
  childOpts: (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;
}

/**
 * The pod every kit component renders: containers checked and given the house
 * security context, claims created, no token, no Service links; and the
 * NetworkPolicies of its own traffic. `affinity` and `spread` come from the caller.
 */
export function renderPod(
  parent: pulumi.ComponentResource,
  name: string,
  where: string,
  args: PodArgs,
  opts: {
    adoptFrom?: pulumi.Resource;
    longRunning: boolean;
    restartPolicy?: string;
    affinity?: k8s.types.input.core.v1.Affinity;
    spread?: (selector: Record<string, string>) => k8s.types.input.core.v1.TopologySpreadConstraint[];
    /** A StatefulSet of several replicas: each `claim` becomes one claim per replica (volumeClaimTemplates). */
    perReplicaClaims?: boolean;
  },
): RenderedPod {
  const volumes = args.volumes ?? [];
  for (const s of args.sidecars ?? []) if (!s.name) fail(where, "sidecars[].name", undefined, "a name for every sidecar");
  for (const c of args.initContainers ?? []) if (!c.name) fail(where, "initContainers[].name", undefined, "a name for every init container");
  const identity = { name: args.app, instance: args.instance, component: args.component, version: args.version };
  const selector = selectorLabels(identity);
  const labels = appLabels(identity);
  const childOpts = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
    parent,
    ...(opts.adoptFrom ? { aliases: [{ parent: opts.adoptFrom }] } : {}),
    ...extra,
  });

  // A ReadWriteOnce claim or a host path belongs to one pod at a time (per-replica claims are each one pod's).
  const exclusiveVolumes = volumes
    .filter(
      (v) =>
        v.hostPath !== undefined ||
        (v.claim && !opts.perReplicaClaims && (v.claim.accessMode ?? "ReadWriteOnce") === "ReadWriteOnce") ||
        (v.claimName !== undefined && (v.claimAccessMode ?? "ReadWriteOnce") === "ReadWriteOnce"),
    )
    .map((v) => v.name);
  const claimTemplates: k8s.types.input.core.v1.PersistentVolumeClaim[] = [];
  // Secret and ConfigMap files belong to root: readable by the pod's group when it has one, else by all its processes.
  const projectedMode = args.fsGroup !== undefined ? 0o440 : 0o444;

  // --- Volumes (claims created here are labelled for backup and kept in production).
  const renderedVolumes = volumes.map((v): k8s.types.input.core.v1.Volume => {
    const sources = [v.claim, v.claimName, v.secretName, v.configMapName, v.emptyDir || undefined, v.hostPath].filter((x) => x !== undefined).length;
    if (sources !== 1) fail(where, `volume ${v.name}`, "(several or no sources)", "exactly one of claim, claimName, secretName, configMapName, emptyDir or hostPath");
    if (v.claim && opts.perReplicaClaims) {
      // Claims `<volume>-<workload>-<ordinal>`, labelled for backup; the StatefulSet keeps them when it is deleted or scaled down.
      claimTemplates.push({
        metadata: { name: v.name, labels: { ...labels, [BACKUP_LABEL_KEY]: BACKUP_TAG_VALUE } },
        spec: { accessModes: [v.claim.accessMode ?? "ReadWriteOnce"], storageClassName: v.claim.storageClass, resources: { requests: { storage: v.claim.size } } },
      });
      return { name: "" }; // provided by the template, not a pod volume
    }
    if (v.claim) {
      const claim = dataClaim(`${name}-${v.name}`, {
        namespace: args.namespace,
        claimName: `${name}-${v.name}`,
        size: v.claim.size,
        accessMode: v.claim.accessMode ?? "ReadWriteOnce",
        storageClassName: v.claim.storageClass,
        labels,
        production: args.production ?? false,
        opts: childOpts(),
      });
      return { name: v.name, persistentVolumeClaim: { claimName: claim.metadata.name } };
    }
    if (v.claimName !== undefined) return { name: v.name, persistentVolumeClaim: { claimName: v.claimName } };
    if (v.secretName !== undefined) return { name: v.name, secret: { secretName: v.secretName, items: v.items, defaultMode: v.defaultMode ?? projectedMode } };
    if (v.configMapName !== undefined) return { name: v.name, configMap: { name: v.configMapName, items: v.items, defaultMode: v.defaultMode ?? projectedMode } };
    if (v.hostPath !== undefined) return { name: v.name, hostPath: { path: v.hostPath, type: "DirectoryOrCreate" } };
    return { name: v.name, emptyDir: { sizeLimit: v.sizeLimit, medium: v.medium } };
  });
  const volumeNames = new Set(volumes.map((v) => v.name));
  const all = [args.container, ...(args.sidecars ?? []), ...(args.initContainers ?? [])];
  for (const c of all) {
    for (const m of c.mounts ?? []) if (!volumeNames.has(m.volume)) fail(where, "mount volume", m.volume, `one of the pod's volumes (${[...volumeNames].join(", ") || "none"})`);
  }

  // --- Containers and pod.
  const containers = [
    renderContainer(args.container, args.container.name ?? args.component, opts.longRunning, where),
    ...(args.sidecars ?? []).map((s) => renderContainer(s, s.name!, opts.longRunning, where)),
  ];
  const initContainers = (args.initContainers ?? []).map((c) => renderContainer(c, c.name!, false, where));
  const restricted = podSecurityFor(all).level === "restricted";
  const spec: k8s.types.input.core.v1.PodSpec = {
    automountServiceAccountToken: args.serviceAccountToken ?? false,
    // Service links would add <SERVICE>_PORT variables that collide with the images' own settings (RSTUF_*, XROAD_*).
    enableServiceLinks: false,
    serviceAccountName: args.serviceAccountName,
    restartPolicy: opts.restartPolicy,
    terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? 30,
    securityContext: {
      runAsNonRoot: restricted ? true : undefined,
      fsGroup: args.fsGroup,
      // Skip the recursive ownership walk when the volume root already matches.
      fsGroupChangePolicy: args.fsGroup !== undefined ? "OnRootMismatch" : undefined,
      seccompProfile: { type: "RuntimeDefault" },
    },
    nodeSelector: args.scheduling?.nodeSelector,
    tolerations: args.scheduling?.tolerations,
    affinity: opts.affinity,
    topologySpreadConstraints: opts.spread?.(selector),
    initContainers: initContainers.length ? initContainers : undefined,
    containers,
    volumes: renderedVolumes.some((v) => v.name) ? renderedVolumes.filter((v) => v.name) : undefined,
  };

  // --- NetworkPolicies for this role's own traffic.
  if (args.allowFrom?.length) {
    networkPolicy(`${name}-ingress`, { policyName: `${name}-ingress`, namespace: args.namespace, podLabels: selector, ingress: args.allowFrom, labels }, childOpts());
  }
  if (args.allowTo?.length) {
    networkPolicy(`${name}-egress`, { policyName: `${name}-egress`, namespace: args.namespace, podLabels: selector, egress: args.allowTo, labels }, childOpts());
  }
  return { selector, labels, template: { metadata: { labels: { ...labels, ...(args.podLabels ?? {}) }, annotations: args.podAnnotations }, spec }, exclusiveVolumes, claimTemplates, childOpts };
}

/**
 * One role of a service: a Deployment or StatefulSet with the house defaults,
 * its Services, claims, PodDisruptionBudget (in `ha`) and NetworkPolicies.
 */
export class Workload extends pulumi.ComponentResource {
  /** Object name of the Deployment or StatefulSet. */
  public readonly name: string;
  /** Labels that select this workload's pods (for Services, policies and peers). */
  public readonly selector: Record<string, string>;
  /** Object names of the Services, in the order given. */
  public readonly serviceNames: string[];
  /** In-cluster DNS name of the first Service (`<service>.<namespace>.svc.cluster.local`). */
  public readonly host: pulumi.Output<string>;
  /** The Services, in the order given. */
  public readonly services: k8s.core.v1.Service[];
  /** URLs of its Services' HTTPS endpoints, in the order given. */
  public readonly endpointUrls: string[];
  /** DNS records to create for those endpoints (where the stack writes none). */
  public readonly dnsRecords: DnsRecordOutput[];

  constructor(name: string, args: WorkloadArgs, opts?: WorkloadOptions) {
    const { adoptFrom, ...componentOpts } = opts ?? {};
    super("trust-services:index:Workload", name, {}, componentOpts);
    const where = `Workload ${name}`;
    const kind = args.kind ?? "Deployment";
    const ha = args.topology === "ha";
    const replicas = args.replicas ?? (ha ? 2 : 1);
    const antiAffinity = args.antiAffinity ?? "none";
    const rollout = args.rollout ?? {};
    if (!["Deployment", "StatefulSet"].includes(kind)) fail(where, "kind", kind, "Deployment or StatefulSet");
    if (!["none", "soft", "hard"].includes(antiAffinity)) fail(where, "antiAffinity", antiAffinity, "none, soft or hard");
    if (!Number.isInteger(replicas) || replicas < 1) fail(where, "replicas", replicas, "a whole number ≥ 1");
    if (ha && replicas < 2 && !args.singleReplicaReason) {
      fail(where, "replicas", replicas, "at least 2 in ha (no single replica serves alone), or a singleReplicaReason");
    }
    const spread = ha && replicas > 1;
    if (spread && (rollout.maxUnavailable ?? 1) >= replicas) {
      fail(where, "rollout.maxUnavailable", rollout.maxUnavailable, `less than the ${replicas} replicas, so the rollout keeps serving`);
    }
    if ((rollout.maxUnavailable ?? 1) === 0 && (rollout.maxSurge ?? 0) === 0) {
      fail(where, "rollout", rollout, "maxUnavailable or maxSurge above 0 (with both 0 a rollout cannot start)");
    }
    // Apart from the other replicas of this role (name, instance and component): other roles of the service may share a node.
    const term = () => ({ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels({ name: args.app, instance: args.instance, component: args.component }) } });
    // An endpoint's proxy reaches the pods on the endpoint's port (the NetworkPolicy follows).
    // A Service may publish a sidecar's port too (a web server beside the role's process).
    const ports = [...(args.container.ports ?? []), ...(args.sidecars ?? []).flatMap((s) => s.ports ?? [])];
    const serviceArgs = args.services ?? (ports.length ? [{}] : []);
    const endpointPorts = serviceArgs.map((s, i) => {
      if (!s.endpoint) return undefined;
      const portName = s.endpointPort ?? s.ports?.[0] ?? ports[0]?.name;
      const p = ports.find((x) => x.name === portName);
      if (!p || (s.ports && !s.ports.includes(p.name))) fail(where, `services[${i}].endpointPort`, portName, `a port the Service publishes (${(s.ports ?? ports.map((x) => x.name)).join(", ")})`);
      return { port: p!, resolved: resolveEndpoint(`${where} services[${i}].endpoint`, s.endpoint) };
    });
    const proxied: TrafficRuleArgs[] = endpointPorts.flatMap((e) => (e ? [{ peers: e.resolved.proxyPeers, ports: [e.port.port] }] : []));
    const pod = renderPod(this, name, where, proxied.length ? { ...args, allowFrom: [...(args.allowFrom ?? []), ...proxied] } : args, {
      adoptFrom,
      longRunning: true,
      perReplicaClaims: kind === "StatefulSet" && replicas > 1,
      affinity:
        antiAffinity === "none" && !args.colocateWith
          ? undefined
          : {
              podAntiAffinity:
                antiAffinity === "hard"
                  ? { requiredDuringSchedulingIgnoredDuringExecution: [term()] }
                  : antiAffinity === "soft"
                    ? { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term() }] }
                    : undefined,
              podAffinity: args.colocateWith
                ? { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: args.colocateWith } }] }
                : undefined,
            },
      // In ha the replicas must spread: a zone or a node outage never takes them all.
      spread: spread
        ? (selector) =>
            ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
              maxSkew: 1,
              topologyKey,
              whenUnsatisfiable: "DoNotSchedule",
              labelSelector: { matchLabels: selector },
            }))
        : undefined,
    });
    if (pod.exclusiveVolumes.length > 0 && replicas > 1) {
      fail(where, "replicas", replicas, `1: volume ${pod.exclusiveVolumes[0]} can be mounted by one pod at a time (use ReadWriteMany, or one workload per replica)`);
    }
    this.name = name;
    this.selector = pod.selector;
    const annotations: Record<string, string> = {
      ...(args.awaitReady === false ? { "pulumi.com/skipAwait": "true" } : {}),
      ...(args.singleReplicaReason && replicas === 1 ? { [SINGLE_REPLICA_REASON]: args.singleReplicaReason } : {}),
      ...(args.annotations ?? {}),
    };
    const metadata = { name, namespace: args.namespace, labels: pod.labels, annotations: Object.keys(annotations).length ? annotations : undefined };

    // --- Services (a StatefulSet names its governing Service), and their endpoints.
    this.serviceNames = serviceArgs.map((s) => s.name ?? name);
    this.services = serviceArgs.map((s, i) => {
      const names = s.ports ?? ports.map((p) => p.name);
      const published = names.map(
        (n) => ports.find((p) => p.name === n) ?? fail(where, `services[${i}].ports`, n, `a port of the pod's containers (${ports.map((p) => p.name).join(", ")})`),
      );
      const type = s.type ?? "ClusterIP";
      if (!["ClusterIP", "LoadBalancer"].includes(type)) fail(where, `services[${i}].type`, type, "ClusterIP or LoadBalancer");
      return new k8s.core.v1.Service(
        this.serviceNames[i],
        {
          metadata: { name: this.serviceNames[i], namespace: args.namespace, labels: { ...pod.labels, ...(s.labels ?? {}) }, annotations: s.annotations },
          spec: {
            type: s.headless ? undefined : type,
            clusterIP: s.headless ? "None" : undefined,
            publishNotReadyAddresses: s.publishNotReadyAddresses,
            selector: this.selector,
            ports: published.map((p) => ({ name: p.name, port: p.servicePort ?? p.port, targetPort: p.port, protocol: p.protocol ?? "TCP", appProtocol: p.appProtocol })),
            loadBalancerSourceRanges: s.loadBalancerSourceRanges?.length ? s.loadBalancerSourceRanges : undefined,
            externalTrafficPolicy: s.externalTrafficPolicy,
            loadBalancerClass: s.loadBalancerClass,
          },
        },
        // The class is immutable: a Service that changes controller is replaced (same name, so deleted first).
        s.loadBalancerClass ? pod.childOpts({ replaceOnChanges: ["spec.loadBalancerClass"], deleteBeforeReplace: true }) : pod.childOpts(),
      );
    });
    this.host = pulumi.interpolate`${this.serviceNames[0] ?? name}.${args.namespace}.svc.cluster.local`;
    const endpoints = serviceArgs.flatMap((s, i) =>
      s.endpoint
        ? [
            new PublicEndpoint(
              s.endpoint.name,
              { ...s.endpoint, namespace: args.namespace, serviceName: this.serviceNames[i], servicePort: endpointPorts[i]!.port.servicePort ?? endpointPorts[i]!.port.port, labels: pod.labels },
              { parent: this },
            ),
          ]
        : [],
    );
    this.endpointUrls = endpoints.map((e) => e.url);
    this.dnsRecords = endpoints.flatMap((e) => (e.dnsRecord ? [e.dnsRecord] : []));

    // --- The controller (it waits for what the component was told to wait for).
    const timeout = args.rolloutTimeoutMinutes !== undefined ? `${args.rolloutTimeoutMinutes}m` : undefined;
    const controllerOpts = pod.childOpts({ dependsOn: componentOpts.dependsOn, customTimeouts: timeout ? { create: timeout, update: timeout } : undefined });
    let controller: pulumi.CustomResource;
    if (kind === "StatefulSet") {
      if (this.serviceNames.length === 0) fail(where, "services", [], "a Service to govern the StatefulSet (give the container a port)");
      controller = new k8s.apps.v1.StatefulSet(
        name,
        {
          metadata,
          spec: {
            replicas,
            serviceName: this.serviceNames[0],
            selector: { matchLabels: this.selector },
            podManagementPolicy: "OrderedReady",
            updateStrategy: { type: "RollingUpdate" },
            minReadySeconds: args.minReadySeconds,
            template: pod.template,
            volumeClaimTemplates: pod.claimTemplates.length ? pod.claimTemplates : undefined,
            // Per-replica claims outlive the StatefulSet and a scale-down: they hold data.
            persistentVolumeClaimRetentionPolicy: pod.claimTemplates.length ? { whenDeleted: "Retain", whenScaled: "Retain" } : undefined,
          },
        },
        controllerOpts,
      );
    } else {
      const strategy =
        pod.exclusiveVolumes.length > 0
          ? { type: "Recreate" }
          : spread
            ? { type: "RollingUpdate", rollingUpdate: { maxUnavailable: rollout.maxUnavailable ?? 1, maxSurge: rollout.maxSurge ?? 0 } }
            : undefined;
      controller = new k8s.apps.v1.Deployment(
        name,
        { metadata, spec: { replicas, strategy, minReadySeconds: args.minReadySeconds, selector: { matchLabels: this.selector }, template: pod.template } },
        controllerOpts,
      );
    }

    controllers.set(this, controller!);

    // --- In ha: a disruption budget that lets one replica go at a time.
    if (spread) {
      new k8s.policy.v1.PodDisruptionBudget(
        name,
        { metadata: { name, namespace: args.namespace, labels: pod.labels }, spec: { maxUnavailable: 1, selector: { matchLabels: this.selector } } },
        pod.childOpts(),
      );
    }
    this.registerOutputs({ host: this.host });
  }
}
