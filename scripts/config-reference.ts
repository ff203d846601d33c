/**
 * The README's configuration reference, generated from the settings schema.
 *
 *   npm run docs:config      rewrites the block between the markers in README.md
 *
 * A test fails when the README's block differs from what this generates, so an
 * undocumented (or stale) key cannot land.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { settingsSchema } from "../stacks/settings";

export const START = "<!-- config-reference:start -->";
export const END = "<!-- config-reference:end -->";

interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
}

function typeOf(s: any): string {
  if (s.enum) return s.enum.map((v: unknown) => JSON.stringify(v)).join(" \\| ");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" \\| ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === "array") return `list of ${typeOf(s.items ?? {})}`;
  if (s.type === "object" && !s.properties) return "map";
  if (s.type === "object") return "block";
  if (s.type === "integer") return `integer${s.minimum !== undefined ? ` ${s.minimum}–${s.maximum ?? "…"}` : ""}`;
  return s.type ?? "any";
}

/** Every key path of the stack config with its type, default and description. */
export function configRows(): Row[] {
  const schema = z.toJSONSchema(settingsSchema, { io: "input", unrepresentable: "any" }) as any;
  const rows: Row[] = [];
  const walk = (node: any, prefix: string) => {
    const props = node.properties ?? {};
    for (const [k, child] of Object.entries<any>(props)) {
      const key = prefix ? `${prefix}.${k}` : k;
      const sensitive = /adminPassword|tokenPin|password|kubeconfig/.test(k);
      rows.push({
        key,
        type: typeOf(child) + (sensitive ? " (secret)" : ""),
        default: child.default === undefined ? "" : `\`${JSON.stringify(child.default)}\``,
        description: (child.description ?? "").replace(/\|/g, "\\|"),
      });
      if (child.type === "object" && child.properties) walk(child, key);
    }
  };
  walk(schema, "");
  return rows;
}

export function configReference(): string {
  const lines = [
    "| key (`trust-services:` + path) | type | default | meaning |",
    "|---|---|---|---|",
    ...configRows().map((r) => `| \`${r.key}\` | ${r.type} | ${r.default} | ${r.description} |`),
  ];
  return `${START}\n${lines.join("\n")}\n${END}`;
}

export function readmeBlock(readme: string): string | undefined {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  return a >= 0 && b > a ? readme.slice(a, b + END.length) : undefined;
}

if (require.main === module) {
  const file = path.resolve(__dirname, "..", "README.md");
  const readme = fs.readFileSync(file, "utf8");
  const block = readmeBlock(readme);
  if (!block) {
    console.error(`README.md has no ${START} … ${END} block`);
    process.exit(1);
  }
  fs.writeFileSync(file, readme.replace(block, configReference()));
  console.log(`README.md: ${configRows().length} keys`);
}
