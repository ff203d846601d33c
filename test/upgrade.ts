/**
 * What `pulumi up` would do to a stack deployed by an earlier version of the
 * program: the engine's URNs (the mock monitor builds them differently) and the
 * engine's alias matching (pulumi/pulumi pkg/resource/deploy/step_generator.go:
 * generateAliases, collapseAliasToUrn, inheritedChildAlias, getOldResource),
 * replayed over a recorded run. A resource whose old URN nothing claims would
 * be deleted; a claim with a new URN keeps the resource.
 */
import { RecordedAlias, Run } from "./harness";

const ROOT_STACK = "pulumi:pulumi:Stack";

function qualifiedType(urn: string): string {
  return urn.split("::")[2];
}

function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

function newUrn(stack: string, project: string, parentType: string, type: string, name: string): string {
  const t = parentType && parentType !== ROOT_STACK ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${t}::${name}`;
}

/** The URN the engine gives each recorded resource (the full type chain of its parents). */
export function engineUrns(resources: Array<{ urn: string; type: string; name: string; parent?: string }>, stack: string, project = "trust-services"): Map<string, string> {
  const byMock = new Map(resources.map((r) => [r.urn, r]));
  const out = new Map<string, string>();
  const urnOf = (mock: string): string => {
    const hit = out.get(mock);
    if (hit) return hit;
    const r = byMock.get(mock);
    if (!r) throw new Error(`no recorded resource ${mock}`);
    const parentType = r.parent && byMock.has(r.parent) ? qualifiedType(urnOf(r.parent)) : "";
    const urn = newUrn(stack, project, parentType, r.type, r.name);
    out.set(mock, urn);
    return urn;
  };
  for (const r of resources) urnOf(r.urn);
  return out;
}

export interface UpdatePlan {
  /** Old URNs a new resource claims (same URN, or through an alias). */
  kept: Map<string, string>;
  /** Old URNs nothing claims: `pulumi up` deletes them. */
  deleted: string[];
}

/** Replays the engine's matching of new registrations against the old state. */
export function simulateUpdate(oldUrns: string[], run: Run, stack: string, project = "trust-services"): UpdatePlan {
  const olds = new Set(oldUrns);
  const urns = engineUrns(run.resources, stack, project);
  const aliasesUsed = new Map<string, string>(); // new URN → the old URN it matched through an alias
  const kept = new Map<string, string>();
  const collapse = (name: string, type: string, parent: string | undefined, a: RecordedAlias): string => {
    if (a.urn) return a.urn;
    let p = a.parentUrn ? urns.get(a.parentUrn) ?? a.parentUrn : parent;
    if (a.parentUrn && p && aliasesUsed.has(p)) p = aliasesUsed.get(p);
    if (a.noParent) p = undefined;
    const parentType = p ? qualifiedType(p) : "";
    return newUrn(a.stack ?? stack, a.project ?? project, parentType, a.type ?? type, a.name ?? name);
  };
  for (const r of run.resources) {
    const urn = urns.get(r.urn)!;
    const parent = r.parent ? urns.get(r.parent) : undefined;
    const aliases: string[] = [];
    for (const a of r.aliases) aliases.push(collapse(r.name, r.type, parent, a));
    if (parent && aliasesUsed.has(parent)) {
      const parentAlias = aliasesUsed.get(parent)!;
      const inherit = (type: string, name: string) => {
        const parentName = urnName(parent);
        const aliasName = name.startsWith(parentName) ? urnName(parentAlias) + name.slice(parentName.length) : name;
        return newUrn(stack, project, qualifiedType(parentAlias), type, aliasName);
      };
      aliases.push(inherit(r.type, r.name));
      for (const a of [...aliases]) aliases.push(inherit(qualifiedType(a).split("$").pop()!, urnName(a)));
    }
    for (const candidate of [urn, ...aliases]) {
      if (!olds.has(candidate)) continue;
      if (kept.has(candidate)) throw new Error(`${urn} and ${kept.get(candidate)} both claim ${candidate}`);
      kept.set(candidate, urn);
      if (candidate !== urn) aliasesUsed.set(urn, candidate);
      break;
    }
  }
  return { kept, deleted: oldUrns.filter((u) => !kept.has(u)) };
}
