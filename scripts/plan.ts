/**
 * Offline plan: runs the program for `Pulumi.<stack>.yaml` under the mocked
 * runtime (no cloud account, no cluster) and shows what the stack would create.
 *
 *   npm run plan -- <stack>
 *
 * Prints the resource tree, counts by type and each service's topology; writes
 * out/<stack>/manifests.yaml (every Kubernetes object, Secret values redacted)
 * and out/<stack>/resources.json (every resource; secrets redacted).
 * Bad config: prints the settings error and exits 1.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { plain, readStackFile, Recorded, redact, ROOT, Run, runStack, stackFiles } from "../test/harness";
import { SettingsError } from "../stacks/settings";
import { evaluatePolicies } from "../test/policies";

function shortType(t: string): string {
  return t.startsWith("trust-services:") ? t : t.replace(/^([\w-]+):([\w./-]+)\/\w+:(\w+)$/, "$1:$3");
}

export function renderTree(run: Run): string[] {
  const lines: string[] = [];
  const byParent = new Map<string | undefined, Recorded[]>();
  const known = new Set(run.resources.map((r) => r.urn));
  for (const r of run.resources) {
    const p = r.parent && known.has(r.parent) ? r.parent : undefined;
    byParent.set(p, [...(byParent.get(p) ?? []), r]);
  }
  const walk = (parent: string | undefined, indent: string) => {
    const kids = (byParent.get(parent) ?? []).slice().sort((a, b) => Number(a.custom) - Number(b.custom) || a.name.localeCompare(b.name));
    kids.forEach((r, i) => {
      const last = i === kids.length - 1;
      const flags = [r.retainOnDelete ? "retained" : "", r.protect ? "protected" : ""].filter(Boolean).join(", ");
      lines.push(`${indent}${last ? "└─" : "├─"} ${r.name}  ${shortType(r.type)}${flags ? `  [${flags}]` : ""}`);
      walk(r.urn, indent + (last ? "   " : "│  "));
    });
  };
  walk(undefined, "");
  return lines;
}

/** Kubernetes objects as YAML documents, Secret values replaced. */
export function renderManifests(run: Run): string {
  return run
    .kubernetesObjects()
    .map(({ object }) => {
      const o = structuredClone(object);
      if (o.kind === "Secret") {
        for (const field of ["data", "stringData"]) {
          if (o[field]) o[field] = Object.fromEntries(Object.keys(o[field]).map((k) => [k, "[redacted]"]));
        }
      }
      return YAML.stringify(redact(o));
    })
    .join("---\n");
}

export function renderResources(run: Run): unknown[] {
  return run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    parent: r.parent,
    retainOnDelete: r.retainOnDelete || undefined,
    protect: r.protect || undefined,
    dependsOn: r.dependencies.length ? r.dependencies : undefined,
    inputs: redact(r.inputs),
  }));
}

async function main(): Promise<number> {
  const arg = process.argv[2];
  if (!arg) {
    console.error(`usage: npm run plan -- <stack | path/to/Pulumi.<stack>.yaml>   (stacks here: ${stackFiles().join(", ")})`);
    return 2;
  }
  // A stack name in this repository, or the path of any stack file.
  const file = arg.endsWith(".yaml") ? path.resolve(arg) : path.join(ROOT, `Pulumi.${arg}.yaml`);
  const stack = arg.endsWith(".yaml") ? path.basename(file).replace(/^Pulumi\.|\.yaml$/g, "") : arg;
  if (!fs.existsSync(file)) {
    console.error(`no ${path.relative(process.cwd(), file)} (stacks here: ${stackFiles().join(", ")})`);
    return 2;
  }
  let run: Run;
  try {
    run = await runStack(readStackFile(file), stack);
  } catch (e) {
    if (e instanceof SettingsError) {
      console.error(`${path.basename(file)}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const outputs = plain<Record<string, any>>(run.outputs);
  console.log(`Plan for stack "${stack}" (offline, mocked runtime)\n`);
  console.log("Topologies:");
  for (const [svc, topo] of Object.entries(outputs.topologies ?? {})) console.log(`  ${svc}: ${topo}`);
  const endpoints = Object.entries(outputs.endpoints ?? {});
  if (endpoints.length) {
    console.log("\nEndpoints:");
    for (const [name, url] of endpoints) console.log(`  ${name}: ${url}`);
  }
  const records: Array<{ name: string; type: string; value: string }> = outputs.dnsRecords ?? [];
  if (records.length) {
    console.log("\nDNS records to create (the stack has no zone for them; the value is known after `pulumi up`):");
    for (const r of records) console.log(`  ${r.name} ${r.type} ${r.value || "<the load balancer's hostname>"}`);
  }
  const forwards = Object.entries(outputs.portForward ?? {});
  if (forwards.length) {
    console.log("\nNo public endpoints (trust-services:endpoints is not set); reach the services with:");
    for (const [name, how] of forwards) console.log(`  ${name}: ${how}`);
  }
  console.log(`\nResource tree (${run.resources.length} resources):`);
  renderTree(run).forEach((l) => console.log(`  ${l}`));
  const counts = new Map<string, number>();
  run.resources.forEach((r) => counts.set(r.type, (counts.get(r.type) ?? 0) + 1));
  console.log("\nCounts by type:");
  [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).forEach(([t, n]) => console.log(`  ${String(n).padStart(4)}  ${t}`));

  const findings = evaluatePolicies(run);
  console.log(`\nPolicy findings: ${findings.length}`);
  findings.forEach((f) => console.log(`  [${f.rule}] ${f.resource}: ${f.message}`));

  const dir = path.join(ROOT, "out", stack);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "manifests.yaml"), renderManifests(run));
  fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify(renderResources(run), null, 2) + "\n");
  console.log(`\nWrote ${path.relative(ROOT, path.join(dir, "manifests.yaml"))} and ${path.relative(ROOT, path.join(dir, "resources.json"))}`);
  return findings.length > 0 ? 3 : 0;
}

/**
 * Exits once stdout and stderr have taken everything written: when they are pipes,
 * `process.exit` right after a write can cut the output (seen under load).
 */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

if (require.main === module) {
  main().then(exitAfterFlush, (e) => {
    console.error(e);
    exitAfterFlush(1);
  });
}
