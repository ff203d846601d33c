import * as assert from "assert";
import { isSecretValue, plain, Run, runStackFile, stackFiles } from "./harness";
import { schemaErrors } from "./k8s-schema";

/** Components every stack that creates its cluster must register, at the top level. */
const PLATFORM_COMPONENTS = [
  "trust-services:index:EncryptionKey",
  "trust-services:index:Network",
  "trust-services:index:EksCluster",
  "trust-services:index:ClusterStorage",
  "trust-services:index:BackupPlan",
  "trust-services:index:ContainerInsights",
];

describe("whole program, for every Pulumi.<stack>.yaml", () => {
  const stacks = stackFiles();

  it("the repository has the dev and prod example stacks", () => {
    assert.ok(stacks.includes("dev") && stacks.includes("prod"), stacks.join(", "));
  });

  for (const stack of stacks) {
    describe(`stack ${stack}`, () => {
      let run: Run;
      before(async () => {
        run = await runStackFile(stack);
      });

      it("registers the platform and service components at the top level", () => {
        const top = run.resources.filter((r) => !r.custom && !r.parent).map((r) => r.type);
        const s = run.settings!;
        if (s.cluster.create) for (const t of PLATFORM_COMPONENTS) assert.ok(top.includes(t), `${t} missing from ${top.join(", ")}`);
        if (s.xroad) assert.ok(top.includes("trust-services:index:XRoadSecurityServer"));
        if (s.xroad?.archive.enabled ?? s.cluster.create) assert.ok(top.includes("trust-services:index:EncryptedBucket"));
      });

      it("every resource below a component is created with that component as parent", () => {
        for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:"))) {
          assert.ok(r.parent, `${r.type} ${r.name} has no parent component`);
        }
      });

      it("every Kubernetes object validates against the Kubernetes OpenAPI schema", async () => {
        const objects = run.kubernetesObjects();
        assert.ok(objects.length > 5, "the stack creates Kubernetes objects");
        const errors: string[] = [];
        for (const { resource, object } of objects) {
          for (const e of await schemaErrors(object)) errors.push(`${resource.type} ${resource.name}: ${e}`);
        }
        assert.deepEqual(errors, []);
      });

      it("every in-cluster resource uses the stack's Kubernetes provider, which waits for the load balancer controller", () => {
        const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
        const controller = run.find("kubernetes:helm.sh/v3:Release", "load-balancer-controller");
        // A created cluster: the controller's own provider, and the provider of everything else, which depends on it.
        assert.equal(providers.length, controller ? 2 : 1);
        const main = providers.find((p) => p.name === "cluster-k8s") ?? providers[0];
        for (const { resource } of run.kubernetesObjects()) {
          assert.ok(resource.provider?.startsWith(main.urn), `${resource.name} uses ${resource.provider}`);
        }
        if (controller) {
          const system = providers.find((p) => p !== main)!;
          assert.ok(controller.provider?.startsWith(system.urn), "the controller is installed with a provider of its own");
          const component = run.resources.find((r) => r.type === "trust-services:index:LoadBalancerController")!;
          assert.ok(main.dependencies.includes(component.urn) || main.dependencies.includes(controller.urn), "the provider of every Service and Ingress waits for the controller");
        }
      });

      it("the kubeconfig output is a secret and reports the resolved topologies", () => {
        const out = run.rawOutputs as Record<string, any>;
        if (run.settings!.cluster.create) {
          assert.ok(isSecretValue(out.cluster.kubeconfig), "kubeconfig output is secret");
          assert.equal(out.cluster.name, run.settings!.cluster.create.name ?? `trust-services-${stack}`, "named after the stack");
        }
        const topologies = plain<Record<string, string>>(out.topologies);
        if (run.settings!.xroad) assert.equal(topologies.xroad, run.settings!.xroad.topology ?? run.settings!.topology);
      });
    });
  }

  it("dev runs every service in single and prod runs every service in ha", async () => {
    const dev = (await runStackFile("dev")).outputs.topologies as Record<string, string>;
    const prod = (await runStackFile("prod")).outputs.topologies as Record<string, string>;
    assert.ok(Object.keys(dev).length >= 1);
    assert.deepEqual(Object.keys(dev).sort(), Object.keys(prod).sort(), "both example stacks enable every service");
    for (const t of Object.values(dev)) assert.equal(t, "single");
    for (const t of Object.values(prod)) assert.equal(t, "ha");
  });
});

describe("the schema validator itself", () => {
  it("refuses an object the API server would refuse", async () => {
    const bad = await schemaErrors({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { selector: { matchLabels: { a: "b" } }, template: { spec: { containers: [{ name: "c", image: "i", ports: [{ containerPort: "80" }] }] } } },
    });
    assert.ok(bad.length > 0);
    const unknownKind = await schemaErrors({ apiVersion: "v1", kind: "Potato", metadata: { name: "x" } });
    assert.deepEqual(unknownKind, ["unknown kind Potato in v1"]);
  });
});
