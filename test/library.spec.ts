import * as assert from "assert";
import * as path from "path";
import { ROOT, runWith } from "./harness";

describe("library face", () => {
  it('another project can `import { ... } from "trust-services"` and importing creates nothing', async () => {
    const pkg = require(path.join(ROOT, "package.json"));
    assert.equal(pkg.name, "trust-services");
    assert.equal(pkg.main, "components/index.ts");
    assert.equal(pkg.exports["."], "./components/index.ts");
    const run = await runWith(() => {
      // Resolved through package.json "exports", as a consumer's require would be.
      const lib = require("trust-services");
      for (const name of ["XRoadSecurityServer", "EksCluster", "Network", "ClusterStorage", "BackupPlan", "EncryptedBucket", "ContainerInsights", "Database", "Cache", "ServiceNamespace"]) {
        assert.equal(typeof lib[name], "function", `${name} exported`);
      }
      return {};
    });
    assert.equal(run.resources.length, 0, "no side effects on import");
  });

  it("a consumer builds a component from the package with its own provider", async () => {
    const run = await runWith(() => {
      const { XRoadSecurityServer } = require("trust-services");
      const k8s = require("@pulumi/kubernetes");
      const provider = new k8s.Provider("theirs", { kubeconfig: "{}" });
      const ss = new XRoadSecurityServer("edge", { topology: "single", loadBalancer: false }, { providers: { kubernetes: provider } });
      return { ns: ss.namespace };
    });
    const deployment = run.get("kubernetes:apps/v1:Deployment", "edge-server");
    assert.ok(deployment.provider?.includes("theirs"), "the consumer's provider is used");
  });
});
