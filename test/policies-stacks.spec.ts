import * as assert from "assert";
import { parseSettings, rawConfig, SettingsError } from "../stacks/settings";
import { evaluatePolicies, RULES } from "./policies";
import { configFromStackFile, readStackFile, runStack, stackFiles } from "./harness";

const TOPOLOGIES = ["single", "external-db", "ha"];

/**
 * A stack file's config with every service in `topology`. Choices that only make
 * sense in another topology (the settings refuse them, naming the key) are
 * dropped, so new services are covered without editing this suite.
 */
export function withTopology(config: Record<string, unknown>, topology: string): Record<string, unknown> {
  const c = structuredClone(config);
  c["trust-services:topology"] = topology;
  for (const v of Object.values(c)) if (v && typeof v === "object" && !Array.isArray(v)) delete (v as Record<string, unknown>).topology;
  for (let attempt = 0; attempt < 10; attempt++) {
    const { values } = configFromStackFile(c);
    try {
      parseSettings(rawConfig(values), { project: "trust-services", stack: "policy", region: "eu-west-1" });
      return c;
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      const paths = e.problems.map((p) => /^trust-services:([\w.]+):/.exec(p)?.[1]).filter((p): p is string => !!p && p.includes("."));
      if (paths.length === 0) throw e;
      for (const p of paths) {
        const parts = p.split(".");
        let cur = c[`trust-services:${parts[0]}`] as Record<string, unknown>;
        for (const k of parts.slice(1, -1)) cur = (cur?.[k] ?? {}) as Record<string, unknown>;
        if (cur) delete cur[parts[parts.length - 1]];
      }
    }
  }
  throw new Error(`could not derive a ${topology} variant`);
}

/** The topology an example stack file declares. */
function declaredTopology(stack: string): string {
  return String(readStackFile(stack)["trust-services:topology"] ?? "single");
}

describe("policy suite: the example stacks", () => {
  describe("every example stack in every topology passes every rule", () => {
    for (const stack of stackFiles()) {
      for (const topology of TOPOLOGIES) {
        it(`${stack} as ${topology}`, async () => {
          const own = declaredTopology(stack) === topology;
          const run = await runStack(withTopology(readStackFile(stack), topology), stack);
          assert.equal(run.settings?.xroad ? (run.outputs.topologies as any).xroad : topology, topology);
          // An example's node group is sized for its own topology: capacity is checked on the example as written.
          const findings = evaluatePolicies(run, own ? RULES : RULES.filter((r) => r.id !== "schedulable"));
          assert.deepEqual(findings, [], findings.map((f) => `[${f.rule}] ${f.resource}: ${f.message}`).join("\n"));
        });
      }
    }
  });

  it("every valid topology × cluster mode combination runs and passes", async () => {
    const modes: Record<string, Record<string, unknown>> = {
      create: { "aws:region": "eu-west-1", cluster: { create: {} } },
      "existing+kubeconfig": {
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, storageClasses: { block: "gp3", shared: "efs" } } },
      },
      "existing+stackReference": {
        cluster: { existing: { stackReference: { name: "acme/platform/prod" }, storageClasses: { block: "gp3", shared: "efs" } } },
      },
      "existing+network (RDS created)": {
        "aws:region": "eu-west-1",
        network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] } },
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, nodeSecurityGroupId: "sg-0123456789abcdef0" } },
      },
    };
    for (const [mode, base] of Object.entries(modes)) {
      for (const topology of TOPOLOGIES) {
        const existing = mode.startsWith("existing");
        const needsGiven = existing && !mode.includes("network") && topology !== "single";
        const xroad = {
          ...(needsGiven ? { database: { given: { host: "pg.internal", password: { secure: "v1:pw" } } } } : {}),
          ...(existing ? { archive: { enabled: false } } : {}),
        };
        const run = await runStack({ ...base, topology, xroad }, "combo");
        // The default node group is not sized for ha; capacity is the examples' concern (above) and the rule's own test (below).
        const findings = evaluatePolicies(run, RULES.filter((r) => r.id !== "schedulable"));
        assert.deepEqual(findings, [], `${mode} × ${topology}:\n${findings.map((f) => `[${f.rule}] ${f.resource}: ${f.message}`).join("\n")}`);
        assert.equal((run.outputs.topologies as any).xroad, topology);
      }
    }
  });
});
