import * as assert from "assert";
import * as path from "path";
import { configFromStackFile, plain, readStackFile, ROOT, runWith } from "./harness";

describe("program entry (what `pulumi up` runs)", () => {
  it("the compiled dist/main.js reads the stack config and exports the stack outputs", async () => {
    const { values, secretKeys } = configFromStackFile(readStackFile("dev"));
    let exported: Record<string, unknown> = {};
    const run = await runWith(
      () => {
        exported = require(path.join(ROOT, "dist", "main.js"));
        return { topologies: exported.topologies, cluster: exported.cluster, xroad: exported.xroad };
      },
      { stack: "dev", config: values, secretKeys },
    );
    assert.deepEqual(Object.keys(exported).sort(), ["cluster", "topologies", "xroad"]);
    assert.deepEqual(plain(run.outputs.topologies), { xroad: "single" });
    assert.ok(run.find("kubernetes:apps/v1:Deployment", "xroad-server"));
    assert.ok(run.find("aws:eks/cluster:Cluster", "cluster-eks"));
  });
});
