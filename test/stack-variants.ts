/**
 * Variants of the example stacks in each topology, for the policy suite
 * (policies-stacks.spec.ts, policies-modes.spec.ts).
 */
import { parseSettings, rawConfig, SettingsError } from "../stacks/settings";
import { configFromStackFile, readStackFile, stackFiles } from "./harness";

export const TOPOLOGIES = ["single", "external-db", "ha"];

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

/**
 * The node group of the example stack that declares `topology` (prod for ha, dev
 * for single): an example is sized for its own topology, so a variant in another
 * topology runs on the node group the project ships for that one.
 */
export function nodesFor(topology: string): Record<string, unknown> | undefined {
  const example = stackFiles().find((s) => declaredTopology(s) === topology) ?? stackFiles().find((s) => declaredTopology(s) === "ha");
  const cluster = example ? (readStackFile(example)["trust-services:cluster"] as { create?: { nodes?: Record<string, unknown> } }) : undefined;
  return cluster?.create?.nodes;
}

/** A variant of an example stack in `topology`, on the node group sized for that topology. */
export function variant(stack: string, topology: string): Record<string, unknown> {
  const c = withTopology(readStackFile(stack), topology);
  const cluster = c["trust-services:cluster"] as { create?: { nodes?: unknown } } | undefined;
  if (declaredTopology(stack) !== topology && cluster?.create && nodesFor(topology)) cluster.create.nodes = nodesFor(topology);
  return c;
}

