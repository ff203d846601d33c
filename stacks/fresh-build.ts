import * as fs from "fs";
import * as path from "path";

/**
 * Refuses to deploy a stale build: when the program runs from dist/ and a
 * TypeScript source is newer than its compiled file, `pulumi up` would apply
 * old code. A few stat calls; nothing when run from the sources (ts-node).
 */
export function assertFreshBuild(entryDir: string): void {
  if (path.basename(entryDir) !== "dist") return;
  const root = path.dirname(entryDir);
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) {
        const built = path.join(entryDir, rel.replace(/\.ts$/, ".js"));
        if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(root, rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  for (const dir of ["components", "stacks"]) if (fs.existsSync(path.join(root, dir))) walk(dir);
  for (const entry of ["main", "index"]) {
    const built = path.join(entryDir, `${entry}.js`);
    if (!fs.existsSync(built) || fs.statSync(path.join(root, `${entry}.ts`)).mtimeMs > fs.statSync(built).mtimeMs) stale.push(`${entry}.ts`);
  }
  if (stale.length > 0) {
    throw new Error(`the compiled program in dist/ is older than ${stale.slice(0, 5).join(", ")}${stale.length > 5 ? ", …" : ""}: run \`npm run build\` (or \`npm run up\`)`);
  }
}
