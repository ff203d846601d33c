/**
 * Compares two offline plans object by object (not line by line), so a
 * refactor shows exactly what it changed:
 *
 *   npm run plan -- prod && cp -r out/prod /tmp/before   # on the old code
 *   npm run plan -- prod && npm run plan:diff -- /tmp/before out/prod
 *
 * Kubernetes objects are matched by kind/namespace/name, resources by type and name
 * (component type tokens compared without their module);
 * each difference is printed as `path: before → after`.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

type Json = unknown;

function objects(dir: string): Map<string, Json> {
  const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, "manifests.yaml"), "utf8")).map((d) => d.toJS() as Record<string, any>);
  return new Map(docs.filter(Boolean).map((o) => [`${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name ?? "(generated name)"}`, o]));
}

/** Resources by type and name (stable across a change of parents or type tokens, unlike URNs), without URNs and parents. */
function resources(dir: string): Map<string, Json> {
  const list = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as Array<Record<string, any>>;
  const token = (t: string) => t.replace(/^trust-services:[\w]+:/, "trust-services:*:");
  return new Map(list.map((r) => [`${token(r.type)} ${r.name}`, { inputs: r.inputs, retainOnDelete: r.retainOnDelete, protect: r.protect }]));
}

/** Every leaf that differs, as `path: before → after`. */
export function differences(a: Json, b: Json, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const isObj = (v: Json) => v !== null && typeof v === "object";
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    return [...keys].flatMap((k) => differences((a as any)[k], (b as any)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k));
  }
  const show = (v: Json) => (v === undefined ? "(absent)" : JSON.stringify(v));
  return [`${at || "(whole)"}: ${show(a)} → ${show(b)}`];
}

function compare(title: string, before: Map<string, Json>, after: Map<string, Json>, ignore: (line: string) => boolean = () => false): void {
  console.log(`\n== ${title}`);
  for (const k of before.keys()) if (!after.has(k)) console.log(`- removed ${k}`);
  for (const k of after.keys()) if (!before.has(k)) console.log(`+ added ${k}`);
  for (const [k, v] of before) {
    if (!after.has(k)) continue;
    const d = differences(v, after.get(k)).filter((l) => !ignore(l));
    if (d.length) {
      console.log(`~ ${k}`);
      d.forEach((l) => console.log(`    ${l}`));
    }
  }
}

function main(): number {
  const [before, after] = process.argv.slice(2);
  if (!before || !after) {
    console.error("usage: npm run plan:diff -- <before out/<stack> dir> <after out/<stack> dir>");
    return 2;
  }
  compare("Kubernetes objects (by kind, namespace, name)", objects(before), objects(after));
  compare("Resources (by type and name; parents, URNs and dependencies not compared)", resources(before), resources(after));
  return 0;
}

if (require.main === module) {
  // Exit once stdout has taken the report (a pipe can otherwise be cut short).
  const code = main();
  process.stdout.write("", () => process.exit(code));
}
