import * as assert from "assert";
import { evaluatePolicies, RULES } from "./policies";
import { runStack, stackFiles } from "./harness";
import { TOPOLOGIES, variant } from "./stack-variants";


describe("policy suite: the example stacks", () => {
  describe("every example stack in every topology passes every rule", () => {
    for (const stack of stackFiles()) {
      for (const topology of TOPOLOGIES) {
        it(`${stack} as ${topology}`, async () => {
          const run = await runStack(variant(stack, topology), stack);
          assert.equal(run.settings?.xroad ? (run.outputs.topologies as any).xroad : topology, topology);
          const findings = evaluatePolicies(run, RULES);
          assert.deepEqual(findings, [], findings.map((f) => `[${f.rule}] ${f.resource}: ${f.message}`).join("\n"));
        });
      }
    }
  });
});
