import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configFromStackFile, plain, readStackFile, ROOT, runWith } from "./harness";
import { useNativeStackTraces } from "../stacks/stack-traces";

describe("program entry (what `pulumi up` runs)", () => {
  it("the compiled dist/main.js reads the stack config and exports the stack outputs, with V8's own stack traces", async () => {
    const { values, secretKeys } = configFromStackFile(readStackFile("dev"));
    let exported: Record<string, unknown> = {};
    // As Pulumi's language host does, a source-map hook is installed before the program loads.
    const saved = Error.prepareStackTrace;
    const hook = (e: Error, frames: NodeJS.CallSite[]) => `${e}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    Error.prepareStackTrace = hook;
    let after: unknown;
    try {
      const run = await runWith(
        () => {
          exported = require(path.join(ROOT, "dist", "main.js"));
          after = Error.prepareStackTrace;
          return { topologies: exported.topologies, cluster: exported.cluster, xroad: exported.xroad };
        },
        { stack: "dev", config: values, secretKeys },
      );
      assert.deepEqual(Object.keys(exported).sort(), ["cluster", "topologies", "xroad"]);
      assert.deepEqual(plain(run.outputs.topologies), { xroad: "single" });
      assert.ok(run.find("kubernetes:apps/v1:Deployment", "xroad-server"));
      assert.ok(run.find("aws:eks/cluster:Cluster", "cluster-eks"));
    } finally {
      Error.prepareStackTrace = saved;
    }
    assert.equal(after, undefined, "the program runs with V8's stack formatting (dist/ has no source maps)");
  });

  it("keeps a source-map hook where maps exist, when asked, or outside dist/", () => {
    const saved = Error.prepareStackTrace;
    const hook = () => "mapped";
    try {
      const dist = fs.mkdtempSync(path.join(os.tmpdir(), "entry-"));
      const withMaps = path.join(dist, "dist");
      fs.mkdirSync(withMaps);
      fs.writeFileSync(path.join(withMaps, "main.js.map"), "{}");
      for (const [dir, env, changes] of [
        [withMaps, {}, false],
        [path.join(ROOT, "dist"), { TRUST_SERVICES_SOURCE_MAPS: "1" }, false],
        [ROOT, {}, false],
        [path.join(ROOT, "dist"), {}, true],
      ] as Array<[string, NodeJS.ProcessEnv, boolean]>) {
        Error.prepareStackTrace = hook;
        assert.equal(useNativeStackTraces(dir, env), changes, `${dir} ${JSON.stringify(env)}`);
        assert.equal(Error.prepareStackTrace === hook, !changes);
      }
    } finally {
      Error.prepareStackTrace = saved;
    }
  });
});
