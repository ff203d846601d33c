/**
 * One measured process for `npm run bench`, started the way Pulumi's Node
 * language host starts a program (`@pulumi/pulumi/cmd/run`): its OpenTelemetry
 * instrumentation, then `source-map-support/register`, before anything else.
 * Every mode pays that, so program and floors are measured under the same condition.
 *
 *   floor             load the SDK packages' entry points, set the mocks, create nothing
 *   floor-modules <f> the same, plus every package module listed in file f (JSON)
 *   program <svc,...> run the compiled program (dist/main.js, what `pulumi preview` runs) for
 *                     Pulumi.prod.yaml with only the listed services
 */
require("@pulumi/pulumi/cmd/run/instrumentation");
require("source-map-support/register");
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import "@pulumi/aws";
import "@pulumi/kubernetes";
import "@pulumi/random";
import "@pulumi/tls";
import "zod";
import "yaml";

async function main() {
  const [mode, list] = process.argv.slice(2);
  if (mode === "floor" || mode === "floor-modules") {
    // floor-modules: also load every package module the program loads (the SDKs' lazily
    // loaded service modules included), in the order it loads them, listed in a file.
    if (mode === "floor-modules") for (const m of JSON.parse(fs.readFileSync(list, "utf8")) as string[]) require(m);
    pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "trust-services", "prod", false);
    return;
  }
  const { configFromStackFile, readStackFile, ROOT, runWith } = await import("../test/harness");
  const { SERVICE_KEYS } = await import("../stacks/settings");
  const keep = new Set((list ?? "").split(",").filter(Boolean));
  const config = readStackFile("prod");
  for (const k of SERVICE_KEYS) if (!keep.has(k)) delete config[`trust-services:${k}`];
  const { values, secretKeys } = configFromStackFile(config);
  // The compiled entry as `pulumi preview` evaluates it: no recording, only the mocked engine.
  const run = await runWith(
    () => {
      const program = require(path.join(ROOT, "dist", "main.js"));
      return { cluster: program.cluster, topologies: program.topologies };
    },
    { stack: "prod", config: values, secretKeys, record: false },
  );
  if (!run.outputs.cluster) throw new Error("the program produced no outputs");
}

// The process's own CPU time (user + system), for the parent: steadier than wall time on a shared machine.
process.on("exit", () => fs.writeSync(1, `\n${JSON.stringify({ cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 })}\n`));

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
