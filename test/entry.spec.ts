import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configFromStackFile, plain, readStackFile, ROOT, runWith } from "./harness";
import { useNativeStackTraces, useShortStackTraces } from "../stacks/stack-traces";

describe("program entry (what `pulumi up` runs)", () => {
  it("the compiled dist/main.js reads the stack config and exports the stack outputs, with V8's own stack traces", async () => {
    const { values, secretKeys } = configFromStackFile(readStackFile("dev"));
    let exported: Record<string, unknown> = {};
    // As Pulumi's language host does, a source-map hook is installed before the program loads.
    const saved = Error.prepareStackTrace;
    const savedLimit = Error.stackTraceLimit;
    const hook = (e: Error, frames: NodeJS.CallSite[]) => `${e}\n${frames.map((f) => `    at ${f}`).join("\n")}`;
    Error.prepareStackTrace = hook;
    let after: unknown;
    let limit = -1;
    try {
      const run = await runWith(
        () => {
          exported = require(path.join(ROOT, "dist", "main.js"));
          after = Error.prepareStackTrace;
          limit = Error.stackTraceLimit;
          return { topologies: exported.topologies, cluster: exported.cluster, xroad: exported.xroad };
        },
        { stack: "dev", config: values, secretKeys },
      );
      assert.deepEqual(Object.keys(exported).sort(), ["cluster", "dnsRecords", "endpoints", "portForward", "pulp", "rstuf", "sigstore", "topologies", "xroad"]);
      assert.deepEqual(plain(run.outputs.topologies), { xroad: "single", rstuf: "single", sigstore: "single", pulp: "single" });
      assert.ok(run.find("kubernetes:apps/v1:Deployment", "xroad-server"));
      assert.ok(run.find("aws:eks/cluster:Cluster", "cluster-eks"));
      // The SDK still tells the engine where each resource was declared (it lifts the limit for that).
      const deployment = run.get("kubernetes:apps/v1:Deployment", "xroad-server");
      assert.match(String(deployment.sourcePosition), /\/dist\/components\/kubernetes\/workload\.js:\d+$/);
    } finally {
      Error.prepareStackTrace = saved;
      Error.stackTraceLimit = savedLimit;
    }
    assert.equal(after, undefined, "the program runs with V8's stack formatting (dist/ has no source maps)");
    assert.equal(limit, 1, "and short traces for the SDK's per-promise captures");
  });

  it("the trace depth can be raised for debugging", () => {
    const saved = Error.stackTraceLimit;
    try {
      assert.equal(useShortStackTraces({ TRUST_SERVICES_STACK_FRAMES: "50" }), 50);
      assert.equal(useShortStackTraces({ TRUST_SERVICES_STACK_FRAMES: "lots" }), 1);
      assert.equal(useShortStackTraces({}), 1);
    } finally {
      Error.stackTraceLimit = saved;
    }
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
