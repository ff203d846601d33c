/**
 * One measured process for `npm run bench`:
 *   floor             load the Pulumi SDKs the program uses, set the mocks, create nothing
 *   program <svc,...> run the whole program for Pulumi.prod.yaml with only the listed services
 */
import * as pulumi from "@pulumi/pulumi";
import "@pulumi/aws";
import "@pulumi/kubernetes";
import "@pulumi/random";
import "@pulumi/tls";
import "zod";
import "yaml";

async function main() {
  const [mode, list] = process.argv.slice(2);
  if (mode === "floor") {
    pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) }, "trust-services", "prod", false);
    return;
  }
  const { readStackFile, runStack } = await import("../test/harness");
  const { SERVICE_KEYS } = await import("../stacks/settings");
  const keep = new Set((list ?? "").split(",").filter(Boolean));
  const config = readStackFile("prod");
  for (const k of SERVICE_KEYS) if (!keep.has(k)) delete config[`trust-services:${k}`];
  // The program as `pulumi preview` evaluates it: no recording, only the mocked engine.
  const run = await runStack(config, "prod", { record: false });
  if (!run.outputs.cluster) throw new Error("the program produced no outputs");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
