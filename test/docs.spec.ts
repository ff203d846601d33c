import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { configReference, configRows, readmeBlock } from "../scripts/config-reference";
import { ROOT } from "./harness";

describe("documentation", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

  it("the README's configuration reference is the schema's (run `npm run docs:config` after changing settings)", () => {
    const block = readmeBlock(readme);
    assert.ok(block, "README has the config-reference block");
    assert.equal(block, configReference());
  });

  it("every settings key is documented with a meaning", () => {
    const rows = configRows();
    assert.ok(rows.length > 50);
    for (const r of rows) {
      assert.ok(readme.includes(`| \`${r.key}\` |`), `${r.key} missing from README`);
      assert.ok(r.description.length > 0, `${r.key} has no description in the schema`);
    }
  });

  it("the README shows the install, plan and test commands, and .ci/run runs exactly the test command", () => {
    assert.match(readme, /npm ci\nnpm run plan -- dev/);
    const testCommand = /^npm test\b/m.exec(readme);
    assert.ok(testCommand);
    const ci = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    assert.match(ci, /^npm ci\b/m);
    assert.match(ci, /^npm test$/m);
  });

  for (const service of ["xroad", "rstuf"]) {
    it(`docs/${service}.md is a runbook with a Mermaid diagram per topology, linked from the README`, () => {
      const doc = fs.readFileSync(path.join(ROOT, "docs", `${service}.md`), "utf8");
      assert.equal((doc.match(/```mermaid/g) ?? []).length >= 3, true);
      for (const t of ["single", "external-db", "ha"]) assert.ok(doc.includes(`\`${t}\``), t);
      assert.match(doc, /pulumi up/);
      assert.ok(readme.includes(`(docs/${service}.md)`));
    });
  }

  it("docs/adding-a-service.md walks through settings, needs, component, tests and runbook, and the README links it", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "adding-a-service.md"), "utf8");
    for (const heading of ["settings block", "data needs", "component", "Tests", "runbook"]) assert.match(doc, new RegExp(`## \\d\\. .*${heading}`, "i"), heading);
    for (const piece of ["Workload", "Task", "podSecurityFor", "egressTo", "NEEDS", "SERVICE_KEYS", "xroadNeeds", "ENDPOINTS", "xroadEndpoints", "endpointClass", "openToAnyoneReason"]) assert.ok(doc.includes(piece), piece);
    assert.ok(readme.includes("(docs/adding-a-service.md)"));
  });
});
