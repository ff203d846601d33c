import * as assert from "assert";
import * as path from "path";
import { ROOT, runWith } from "./harness";

describe("library face", () => {
  it('another project can `import { ... } from "trust-services"` and importing creates nothing', async () => {
    const pkg = require(path.join(ROOT, "package.json"));
    assert.equal(pkg.name, "trust-services");
    assert.equal(pkg.main, "dist/index.js");
    assert.equal(pkg.exports["."].default, "./dist/index.js");
    assert.ok(require.resolve("trust-services").endsWith(path.join("dist", "index.js")), "resolves to compiled JavaScript");
    assert.ok(require("fs").existsSync(path.join(ROOT, "dist", "index.d.ts")), "with type declarations");
    const run = await runWith(() => {
      // Resolved through package.json "exports" to the compiled package, as a consumer's require would be.
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

describe("fresh-build guard", () => {
  const fs = require("fs");
  const os = require("os");
  const { assertFreshBuild } = require("../stacks/fresh-build");

  function project(sourceNewer: boolean): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "fresh-"));
    fs.mkdirSync(path.join(root, "stacks"));
    fs.mkdirSync(path.join(root, "dist", "stacks"), { recursive: true });
    const past = new Date(Date.now() - 60_000);
    const now = new Date();
    const write = (f: string, when: Date) => {
      fs.writeFileSync(path.join(root, f), "x");
      fs.utimesSync(path.join(root, f), when, when);
    };
    write("index.ts", past);
    write("dist/index.js", now);
    write("main.ts", past);
    write("dist/main.js", now);
    write("stacks/a.ts", sourceNewer ? now : past);
    write("dist/stacks/a.js", sourceNewer ? past : now);
    return root;
  }

  it("refuses to run a dist/ older than its sources, and passes a fresh one", () => {
    assert.throws(() => assertFreshBuild(path.join(project(true), "dist")), /older than stacks\/a\.ts: run `npm run build`/);
    assert.doesNotThrow(() => assertFreshBuild(path.join(project(false), "dist")));
  });
});
