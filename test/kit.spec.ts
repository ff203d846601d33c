/**
 * The service kit on its own: each house default and each ha property asserted
 * on the objects the Workload renders, the Task, and the NetworkPolicy helpers.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ServiceNamespace } from "../components/kubernetes/namespace";
import { cidrRule, networkPolicy, podIdentityAgent } from "../components/kubernetes/network";
import { Task } from "../components/kubernetes/task";
import { ContainerArgs, podSecurityFor, Workload, WorkloadArgs } from "../components/kubernetes/workload";
import { EndpointArgs, EndpointClassArgs } from "../components/kubernetes/endpoint";
import { plain, Recorded, recordedSoFar, Run, runWith } from "./harness";
import { schemaErrors } from "./k8s-schema";
import { evaluatePolicies } from "./policies";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

const api: ContainerArgs = {
  image: "example/api:1.2.3",
  ports: [{ name: "http", port: 8080 }],
  probes: { readiness: { httpPath: "/ready" }, liveness: { httpPath: "/healthz" } },
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
};

function base(topology: string, extra: Partial<WorkloadArgs> = {}): WorkloadArgs {
  return { namespace: "demo", topology, app: "demo", instance: "demo", component: "api", version: "1.2.3", container: api, ...extra };
}

/** Renders one Workload (in its own namespace) and returns what it registered. */
async function render(topology: string, extra: Partial<WorkloadArgs> = {}): Promise<Run> {
  return runWith(() => {
    const ns = new ServiceNamespace("demo-ns", { name: "demo", labels: { "trust-services.io/topology": topology } });
    new Workload("demo-api", { ...base(topology, extra), namespace: ns.name });
    return {};
  });
}

async function refuses(args: WorkloadArgs, message: RegExp) {
  await assert.rejects(
    runWith(() => {
      new Workload("bad", args);
      return {};
    }),
    message,
  );
  assert.equal(recordedSoFar().filter((r) => r.custom).length, 0, "no object is created");
}

describe("service kit: Workload", () => {
  describe("house defaults (single)", () => {
    let run: Run;
    let d: Record<string, any>;
    let pod: Record<string, any>;
    before(async () => {
      run = await render("single", { allowFrom: [{ peers: [{ namespace: "clients" }], ports: [8080] }], allowTo: [cidrRule(["10.0.0.0/16"], [5432])] });
      d = obj(run.get("kubernetes:apps/v1:Deployment", "demo-api"));
      pod = d.spec.template;
    });

    it("labels everything app.kubernetes.io/* and selects pods by name, instance and component", () => {
      const labels = pod.metadata.labels;
      for (const k of ["name", "instance", "component", "part-of", "managed-by", "version"]) assert.ok(labels[`app.kubernetes.io/${k}`], k);
      assert.deepEqual(d.spec.selector.matchLabels, { "app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "demo", "app.kubernetes.io/component": "api" });
      assert.ok(selects(d.spec.selector.matchLabels, labels));
      const svc = obj(run.get("kubernetes:core/v1:Service", "demo-api"));
      assert.ok(selects(svc.spec.selector, labels), "the Service selects the pods");
      assert.deepEqual(svc.spec.ports, [{ name: "http", port: 8080, targetPort: 8080, protocol: "TCP" }]);
      assert.equal(svc.spec.type, "ClusterIP");
    });

    it("runs every container under `restricted`: non-root, no escalation, no capabilities, seccomp, read-only root", () => {
      const c = pod.spec.containers[0];
      assert.deepEqual(c.securityContext, {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      assert.equal(pod.spec.securityContext.runAsNonRoot, true);
      assert.equal(pod.spec.securityContext.seccompProfile.type, "RuntimeDefault");
    });

    it("mounts no service-account token and injects no Service links", () => {
      assert.equal(pod.spec.automountServiceAccountToken, false);
      assert.equal(pod.spec.enableServiceLinks, false);
    });

    it("has one replica, no spread, no budget and the default rollout", () => {
      assert.equal(d.spec.replicas, 1);
      assert.equal(pod.spec.topologySpreadConstraints, undefined);
      assert.equal(d.spec.strategy, undefined);
      assert.equal(run.find("kubernetes:policy/v1:PodDisruptionBudget", "demo-api"), undefined);
    });

    it("writes the role's traffic as NetworkPolicies on its own pods, each rule with its ports", () => {
      const ingress = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo-api-ingress"));
      assert.deepEqual(ingress.spec.podSelector.matchLabels, d.spec.selector.matchLabels);
      assert.deepEqual(ingress.spec.policyTypes, ["Ingress"]);
      assert.deepEqual(ingress.spec.ingress, [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "clients" } } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
      const egress = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo-api-egress"));
      assert.deepEqual(egress.spec.policyTypes, ["Egress"]);
      assert.deepEqual(egress.spec.egress, [{ to: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
    });

    it("renders objects the API server accepts and that pass the policy suite", async () => {
      for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), [], `${object.kind} ${object.metadata?.name}`);
      assert.deepEqual(evaluatePolicies(run), []);
    });
  });

  describe("ha", () => {
    let run: Run;
    let d: Record<string, any>;
    before(async () => {
      run = await render("ha", { scheduling: { nodeSelector: { pool: "trust" }, tolerations: [{ key: "dedicated", operator: "Equal", value: "trust", effect: "NoSchedule" }] } });
      d = obj(run.get("kubernetes:apps/v1:Deployment", "demo-api"));
    });

    it("runs two replicas by default", () => assert.equal(d.spec.replicas, 2));

    it("spreads them over zones and nodes as a hard rule, on its own pods", () => {
      const spread = d.spec.template.spec.topologySpreadConstraints;
      assert.deepEqual(
        spread.map((t: any) => [t.topologyKey, t.whenUnsatisfiable, t.maxSkew]),
        [
          ["topology.kubernetes.io/zone", "DoNotSchedule", 1],
          ["kubernetes.io/hostname", "DoNotSchedule", 1],
        ],
      );
      for (const t of spread) assert.deepEqual(t.labelSelector.matchLabels, d.spec.selector.matchLabels);
    });

    it("keeps serving through a rollout and a drain: one replica at a time", () => {
      assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      const pdb = obj(run.get("kubernetes:policy/v1:PodDisruptionBudget", "demo-api"));
      assert.equal(pdb.spec.maxUnavailable, 1);
      assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
    });

    it("passes node selectors and tolerations through", () => {
      assert.deepEqual(d.spec.template.spec.nodeSelector, { pool: "trust" });
      assert.deepEqual(d.spec.template.spec.tolerations, [{ key: "dedicated", operator: "Equal", value: "trust", effect: "NoSchedule" }]);
    });

    it("passes the policy suite in an ha namespace", () => assert.deepEqual(evaluatePolicies(run), []));

    it("pod anti-affinity, soft or hard, keeps the replicas of a role apart (on app.kubernetes.io/name and the role), not the service's other roles", async () => {
      const own = { "app.kubernetes.io/name": "demo", "app.kubernetes.io/instance": "demo", "app.kubernetes.io/component": "api" };
      const soft = obj((await render("ha", { antiAffinity: "soft", replicas: 3 })).get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec.affinity;
      const term = soft.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
      assert.equal(term.weight, 100);
      assert.deepEqual(term.podAffinityTerm, { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: own } });
      const hard = obj((await render("ha", { antiAffinity: "hard" })).get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec.affinity;
      assert.deepEqual(hard.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: own } }]);
      // A worker of the same service is not repelled by the api's rule.
      const worker = { ...own, "app.kubernetes.io/component": "worker" };
      assert.ok(!selects(hard.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels, worker));
    });

    it("one replica only with a documented reason: annotated, no budget that would block drains, no spread", async () => {
      await refuses(base("ha", { replicas: 1 }), /replicas 1 — at least 2 in ha/);
      const r = await render("ha", { replicas: 1, singleReplicaReason: "a leader-only singleton" });
      const one = obj(r.get("kubernetes:apps/v1:Deployment", "demo-api"));
      assert.equal(one.metadata.annotations["trust-services.io/single-replica-reason"], "a leader-only singleton");
      assert.equal(r.find("kubernetes:policy/v1:PodDisruptionBudget", "demo-api"), undefined);
      assert.equal(one.spec.template.spec.topologySpreadConstraints, undefined);
      assert.deepEqual(evaluatePolicies(r), []);
    });

    it("refuses a rollout that could take every replica down, or could not start", async () => {
      await refuses(base("ha", { rollout: { maxUnavailable: 2 } }), /rollout.maxUnavailable 2 — less than the 2 replicas/);
      await refuses(base("ha", { rollout: { maxUnavailable: 0 } }), /rollout \{"maxUnavailable":0\} — maxUnavailable or maxSurge above 0/);
    });
  });

  describe("volumes and rollouts", () => {
    it("a ReadWriteOnce claim: created, labelled for backup, retained in production, and a Recreate rollout", async () => {
      const run = await render("single", {
        production: true,
        volumes: [{ name: "data", claim: { size: "5Gi", storageClass: "gp3" } }],
        container: { ...api, mounts: [{ volume: "data", path: "/var/lib/demo" }] },
      });
      const claim = run.get("kubernetes:core/v1:PersistentVolumeClaim", "demo-api-data");
      assert.equal(claim.retainOnDelete, true);
      const c = obj(claim);
      assert.deepEqual([c.metadata.name, c.spec.accessModes, c.spec.storageClassName, c.spec.resources.requests.storage], ["demo-api-data", ["ReadWriteOnce"], "gp3", "5Gi"]);
      assert.equal(c.metadata.labels["trust-services.io/backup"], "daily");
      const d = obj(run.get("kubernetes:apps/v1:Deployment", "demo-api"));
      assert.deepEqual(d.spec.strategy, { type: "Recreate" });
      assert.deepEqual(d.spec.template.spec.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "demo-api-data" } }]);
      assert.deepEqual(d.spec.template.spec.containers[0].volumeMounts, [{ name: "data", mountPath: "/var/lib/demo" }]);
    });

    it("refuses a ReadWriteOnce claim shared by several replicas, and a mount of no volume", async () => {
      await refuses(base("ha", { volumes: [{ name: "data", claim: { size: "1Gi" } }] }), /replicas 2 — 1: volume data can be mounted by one pod at a time/);
      await refuses(base("single", { container: { ...api, mounts: [{ volume: "nope", path: "/x" }] } }), /mount volume "nope" — one of the pod's volumes/);
    });

    it("a ReadWriteMany claim lets ha replicas share it and roll", async () => {
      const run = await render("ha", { volumes: [{ name: "shared", claim: { size: "1Gi", accessMode: "ReadWriteMany" } }], container: { ...api, mounts: [{ volume: "shared", path: "/srv" }] } });
      assert.equal(obj(run.get("kubernetes:apps/v1:Deployment", "demo-api")).spec.strategy.type, "RollingUpdate");
    });

    it("Secret and ConfigMap files are readable by the pod's non-root user: group-readable with an fsGroup, else readable by all its processes", async () => {
      const volumes = [
        { name: "creds", secretName: "demo-creds" },
        { name: "conf", configMapName: "demo-conf" },
      ];
      const mounts = [{ volume: "creds", path: "/etc/creds" }, { volume: "conf", path: "/etc/conf" }];
      const grouped = obj((await render("single", { fsGroup: 2000, volumes, container: { ...api, mounts } })).get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec;
      assert.equal(grouped.securityContext.fsGroup, 2000, "the kubelet gives the files this group; every container process holds it");
      assert.deepEqual(grouped.volumes.map((v: any) => (v.secret ?? v.configMap).defaultMode), [0o440, 0o440]);
      const plainPod = obj((await render("single", { volumes, container: { ...api, mounts } })).get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec;
      assert.equal(plainPod.securityContext.fsGroup, undefined);
      assert.deepEqual(plainPod.volumes.map((v: any) => (v.secret ?? v.configMap).defaultMode), [0o444, 0o444], "root-owned files a non-root user still reads");
    });

    it("an existing claim is taken as ReadWriteOnce unless said otherwise: Recreate", async () => {
      const run = await render("single", { volumes: [{ name: "data", claimName: "pre-existing" }], container: { ...api, mounts: [{ volume: "data", path: "/d" }] } });
      assert.deepEqual(obj(run.get("kubernetes:apps/v1:Deployment", "demo-api")).spec.strategy, { type: "Recreate" });
      await refuses(base("ha", { volumes: [{ name: "data", claimName: "pre-existing" }], container: { ...api, mounts: [{ volume: "data", path: "/d" }] } }), /volume data can be mounted by one pod at a time/);
    });

    it("a StatefulSet of several replicas gets a claim per replica, kept when it is deleted or scaled down", async () => {
      const run = await render("ha", { kind: "StatefulSet", replicas: 3, volumes: [{ name: "data", claim: { size: "5Gi", storageClass: "gp3" } }], container: { ...api, mounts: [{ volume: "data", path: "/d" }] } });
      const sts = obj(run.get("kubernetes:apps/v1:StatefulSet", "demo-api"));
      assert.equal(sts.spec.volumeClaimTemplates.length, 1);
      const t = sts.spec.volumeClaimTemplates[0];
      assert.deepEqual([t.metadata.name, t.spec.accessModes, t.spec.storageClassName, t.spec.resources.requests.storage], ["data", ["ReadWriteOnce"], "gp3", "5Gi"]);
      assert.equal(t.metadata.labels["trust-services.io/backup"], "daily", "AWS Backup selects their volumes");
      assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
      assert.equal(sts.spec.template.spec.volumes, undefined, "the template provides the volume");
      assert.deepEqual(sts.spec.template.spec.containers[0].volumeMounts, [{ name: "data", mountPath: "/d" }]);
      assert.equal(run.find("kubernetes:core/v1:PersistentVolumeClaim", "demo-api-data"), undefined);
      assert.deepEqual(evaluatePolicies(run), []);
      for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), []);
    });

    it("a StatefulSet is governed by its first Service", async () => {
      const run = await render("single", { kind: "StatefulSet" });
      const sts = obj(run.get("kubernetes:apps/v1:StatefulSet", "demo-api"));
      assert.equal(sts.spec.serviceName, "demo-api");
      assert.equal(run.find("kubernetes:apps/v1:Deployment", "demo-api"), undefined);
    });
  });

  describe("what a role must say", () => {
    it("requests and limits for CPU and memory on every container", () =>
      refuses(base("single", { container: { ...api, resources: { requests: { cpu: "1", memory: "1Gi" } } } }), /container api: resources.limits.cpu undefined — required/));
    it("liveness for a long-running container, readiness for one that serves a port", async () => {
      await refuses(base("single", { container: { ...api, probes: { readiness: { httpPath: "/" } } } }), /probes.liveness undefined — required/);
      await refuses(base("single", { container: { ...api, probes: { liveness: { httpPath: "/" } } } }), /probes.readiness undefined — required for a container that serves ports/);
    });
    it("a pinned image", async () => {
      await refuses(base("single", { container: { ...api, image: "example/api:latest" } }), /image "example\/api:latest" — a pinned tag/);
      await refuses(base("single", { container: { ...api, image: "example/api" } }), /image "example\/api" — a pinned tag/);
    });
    it("the upstream reason for anything below restricted", () =>
      refuses(base("single", { container: { ...api, security: { level: "baseline" } } }), /security.level "baseline" — restricted, or give security.reason/));
    it("exactly one source for an environment variable", () =>
      refuses(base("single", { container: { ...api, env: [{ name: "X", value: "a", secretName: "s" }] } }), /env X .* exactly one of value, secretName/));

    it("a baseline container keeps only what it asked for, and the namespace level follows from the roles", async () => {
      const root: ContainerArgs = { ...api, security: { level: "baseline", reason: "upstream runs as root (doc ref)", dropCapabilities: ["NET_RAW"] } };
      assert.deepEqual(podSecurityFor([api, root]), { level: "baseline", reasons: ["upstream runs as root (doc ref)"] });
      assert.deepEqual(podSecurityFor([api]), { level: "restricted", reasons: [] });
      const run = await runWith(() => {
        const level = podSecurityFor([root]);
        const ns = new ServiceNamespace("demo-ns", { name: "demo", podSecurity: level.level, podSecurityReason: level.reasons.join("; ") });
        new Workload("demo-api", { ...base("single", { container: root }), namespace: ns.name });
        return {};
      });
      const c = obj(run.get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec.containers[0];
      assert.deepEqual(c.securityContext, { capabilities: { drop: ["NET_RAW"] }, seccompProfile: { type: "RuntimeDefault" } });
      assert.deepEqual(evaluatePolicies(run), []);
    });

    it("a service-account token only when the role asks for it", async () => {
      const run = await render("single", { serviceAccountToken: true, serviceAccountName: "leader-election" });
      const spec = obj(run.get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec;
      assert.equal(spec.automountServiceAccountToken, true);
      assert.equal(spec.serviceAccountName, "leader-election");
    });

    it("environment: plain values, and secrets by reference only", async () => {
      const run = await render("single", { container: { ...api, env: [{ name: "MODE", value: "prod" }, { name: "DB_PASSWORD", secretName: "db", secretKey: "password" }, { name: "POD", fieldPath: "metadata.name" }] } });
      assert.deepEqual(obj(run.get("kubernetes:apps/v1:Deployment", "demo-api")).spec.template.spec.containers[0].env, [
        { name: "MODE", value: "prod" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ]);
    });
  });

  describe("children keep their identity when a component moves onto the kit", () => {
    it("adoptFrom aliases every child to the former parent", async () => {
      const run = await runWith(() => {
        const former = new (class extends pulumi.ComponentResource {
          constructor() {
            super("test:index:Former", "former");
          }
        })();
        new Workload("demo-api", { ...base("single"), volumes: [{ name: "data", claim: { size: "1Gi" } }], container: { ...api, mounts: [{ volume: "data", path: "/d" }] } }, { parent: former, adoptFrom: former });
        return {};
      });
      const former = run.resources.find((r) => r.type === "test:index:Former")!;
      for (const r of run.resources.filter((x) => x.custom)) {
        assert.deepEqual(r.aliases[0], { parentUrn: former.urn }, `${r.type} ${r.name}`);
      }
    });
  });
});

describe("service kit: Task", () => {
  it("a Job whose pod follows the house rules, awaited, with its own egress", async () => {
    const run = await runWith(() => {
      const ns = new ServiceNamespace("demo-ns", { name: "demo" });
      const t = new Task("demo-migrate", {
        namespace: ns.name,
        app: "demo",
        instance: "demo",
        component: "migrate",
        container: { name: "migrate", image: "example/api:1.2.3", command: ["migrate"], resources: api.resources },
        allowTo: [cidrRule(["10.0.0.0/16"], [5432])],
      });
      return { done: t.done };
    });
    const job = obj(run.get("kubernetes:batch/v1:Job", "demo-migrate"));
    const spec = job.spec.template.spec;
    assert.equal(job.metadata.name, undefined, "a generated name, so a changed pod replaces the Job");
    assert.equal(spec.restartPolicy, "OnFailure");
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.containers[0].securityContext.runAsNonRoot, true);
    assert.equal(spec.containers[0].livenessProbe, undefined, "a Job needs no probes");
    assert.equal(job.metadata.annotations?.["pulumi.com/skipAwait"], undefined, "Pulumi waits for it to complete");
    assert.ok(run.find("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo-migrate-egress"));
    for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), []);
    assert.deepEqual(evaluatePolicies(run), []);
  });
});

describe("service kit: network policy helpers", () => {
  it("pods, namespaces (with component lists) and CIDRs as peers; the Pod Identity agent", async () => {
    const run = await runWith(() => {
      networkPolicy("p", {
        policyName: "p",
        namespace: "demo",
        podLabels: { app: "x" },
        ingress: [{ peers: [{ namespace: "svc", podLabels: { "app.kubernetes.io/name": "svc" }, components: ["api", "worker"] }], ports: [6379] }],
        egress: [podIdentityAgent()],
      }, {});
      return {};
    });
    const p = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "p"));
    assert.deepEqual(p.spec.policyTypes, ["Ingress", "Egress"]);
    assert.deepEqual(p.spec.ingress[0].from, [
      {
        podSelector: { matchLabels: { "app.kubernetes.io/name": "svc" }, matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["api", "worker"] }] },
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "svc" } },
      },
    ]);
    assert.deepEqual(p.spec.egress, [{ to: [{ ipBlock: { cidr: "169.254.170.23/32" } }], ports: [{ protocol: "TCP", port: 80 }] }]);
    assert.deepEqual(await schemaErrors(p), []);
  });

  it("refuses a rule without ports", async () => {
    await assert.rejects(
      runWith(() => {
        networkPolicy("p", { policyName: "p", namespace: "d", podLabels: { a: "b" }, egress: [{ peers: [{ cidrs: ["0.0.0.0/0"] }], ports: [] }] }, {});
        return {};
      }),
      /an allow rule names its ports/,
    );
  });
});

describe("service kit: public endpoints", () => {
  const albClass: EndpointClassArgs = {
    mode: "alb",
    ingressClassName: "alb",
    domain: "example.org",
    proxyPeers: [{ cidrs: ["10.0.0.0/16"] }],
    groupPrefix: "trust-services-kit",
    certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f",
    accessLogBucket: "logs-bucket",
  };
  const endpoint = (extra: Partial<EndpointArgs>): EndpointArgs => ({ endpointClass: albClass, name: "demo", ...extra });

  it("a Service with an endpoint gets its Ingress, and the pods admit the proxy on that port only", async () => {
    const run = await render("single", { services: [{ endpoint: endpoint({ sourceRanges: ["203.0.113.0/24"] }) }] });
    const ingress = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "demo"));
    assert.equal(ingress.spec.rules[0].host, "demo.example.org");
    assert.deepEqual(ingress.spec.rules[0].http.paths[0].backend.service, { name: "demo-api", port: { number: 8080 } });
    assert.equal(ingress.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
    assert.equal(ingress.metadata.annotations["alb.ingress.kubernetes.io/group.name"], "trust-services-kit-public");
    const rules = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "demo-api-ingress")).spec.ingress;
    assert.deepEqual(rules, [{ from: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 8080 }] }]);
    assert.deepEqual(evaluatePolicies(run).filter((f) => f.rule.startsWith("endpoints")), []);
    for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), []);
  });

  it("a gRPC backend: HTTP/2 gRPC target group, the gRPC health service, code 0", async () => {
    const run = await render("single", { services: [{ endpoint: endpoint({ backendProtocol: "GRPC", openToAnyoneReason: "clients sign from anywhere" }) }] });
    const a = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "demo")).metadata.annotations;
    assert.equal(a["alb.ingress.kubernetes.io/backend-protocol-version"], "GRPC");
    assert.equal(a["alb.ingress.kubernetes.io/backend-protocol"], "HTTP", "a plaintext gRPC port: TLS ends at the ALB");
    assert.equal(a["alb.ingress.kubernetes.io/healthcheck-protocol"], "HTTP");
    assert.equal(a["alb.ingress.kubernetes.io/healthcheck-path"], "/grpc.health.v1.Health/Check");
    assert.equal(a["alb.ingress.kubernetes.io/success-codes"], "0");
    assert.equal(a["trust-services.io/open-to-anyone"], "clients sign from anywhere");
    assert.equal(a["alb.ingress.kubernetes.io/conditions.demo-api"], undefined, "meant for anyone: no source condition");
  });

  it("refuses an admin UI on an internet-facing endpoint, and an internet-facing endpoint with no source ranges and no reason", async () => {
    await refuses(base("single", { services: [{ endpoint: endpoint({ admin: true, sourceRanges: ["203.0.113.0/24"] }) }] }), /services\[0\]\.endpoint: internal false — true: an admin UI or admin API is never on an internet-facing endpoint/);
    await refuses(base("single", { services: [{ endpoint: endpoint({}) }] }), /sourceRanges \[\] — the CIDRs allowed, or an openToAnyoneReason/);
    await refuses(base("single", { services: [{ endpoint: { ...endpoint({ internal: true }), endpointClass: { ...albClass, certificateArn: undefined } } }] }), /endpointClass.certificateArn undefined — the ACM certificate/);
    await refuses(base("single", { services: [{ endpoint: endpoint({ internal: true }), endpointPort: "grpc" }] }), /endpointPort "grpc" — a port the Service publishes \(http\)/);
    await refuses(base("single", { services: [{ endpoint: endpoint({ sourceRanges: ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"] }) }] }), /at most 3 CIDRs on an ALB/);
  });

  it("on another controller: cert-manager's certificate for the host, and the internal class for internal endpoints", async () => {
    const cm: EndpointClassArgs = {
      mode: "cert-manager",
      ingressClassName: "nginx",
      internalIngressClassName: "nginx-internal",
      domain: "example.org",
      clusterIssuer: "letsencrypt",
      proxyPeers: [{ namespace: "ingress-nginx" }],
    };
    const run = await render("single", { services: [{ endpoint: { endpointClass: cm, name: "demo", internal: true } }] });
    const ingress = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "demo"));
    assert.equal(ingress.spec.ingressClassName, "nginx-internal");
    assert.deepEqual(ingress.spec.tls, [{ hosts: ["demo.example.org"], secretName: "demo-tls" }]);
    assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
    await refuses(base("single", { services: [{ endpoint: { endpointClass: { ...cm, internalIngressClassName: undefined }, name: "demo", internal: true } }] }), /internalIngressClassName/);
  });
});
