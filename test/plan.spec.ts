import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { mockKubeconfig, ROOT, runSettings, runWith, SECRET_MARK } from "./harness";
import { parseSettings } from "../stacks/settings";

/** The plan script, compiled (`npm test` builds first; `npm run plan` runs the same code from the sources). */
function plan(arg: string) {
  return spawnSync(process.execPath, [path.join(ROOT, "dist", "scripts", "plan.js"), arg], { cwd: ROOT, encoding: "utf8" });
}

describe("offline plan (npm run plan)", () => {
  it("prints the tree, counts, topologies and findings, and writes redacted manifests and resources", function () {
    this.timeout(60_000);
    const r = plan("prod");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Topologies:\n {2}xroad: ha/);
    assert.match(r.stdout, /Resource tree \(\d+ resources\):/);
    assert.match(r.stdout, /├─ cluster {2}trust-services:index:EksCluster/);
    assert.match(r.stdout, /xroad-db-db {2}aws:Instance {2}\[retained\]/);
    assert.match(r.stdout, /Counts by type:/);
    // The tail (findings are listed after the tree and the counts), whole, should this fail.
    const tail = r.stdout.slice(Math.max(0, r.stdout.indexOf("Counts by type:")));
    assert.match(tail, /Policy findings: 0\n/, `${tail}\n--- stderr ---\n${r.stderr}`);
    const manifests = fs.readFileSync(path.join(ROOT, "out", "prod", "manifests.yaml"), "utf8");
    const resources = fs.readFileSync(path.join(ROOT, "out", "prod", "resources.json"), "utf8");
    for (const text of [manifests, resources, r.stdout]) {
      assert.ok(!text.includes(SECRET_MARK), "no generated secret in the plan's output");
      // The mocks' Ed25519 and ECDSA keys are real PEM (the program signs with them): none in the plan either.
      assert.doesNotMatch(text, /BEGIN (EC |ENCRYPTED )?PRIVATE KEY-----(\\n|\n)(Proc-Type|[A-Za-z0-9+/])/, "no private key in the plan's output");
      assert.doesNotMatch(text, /keyspb\.PrivateKey\] \{ der: "\\x/, "no CT log key in the plan's output");
    }
    const docs = YAML.parseAllDocuments(manifests).map((d) => d.toJS());
    const secrets = docs.filter((d) => d.kind === "Secret");
    assert.ok(secrets.length >= 3);
    for (const s of secrets) for (const v of Object.values(s.stringData ?? s.data ?? {})) assert.equal(v, "[redacted]");
    assert.ok(docs.some((d) => d.kind === "Deployment" && d.metadata.name === "xroad-secondary"));
    const list = JSON.parse(resources);
    const rds = list.find((x: any) => x.type === "aws:rds/instance:Instance");
    assert.equal(rds.inputs.password, "[secret]");
    assert.equal(rds.retainOnDelete, true);
  });

  it("exits 1 with the settings error for a bad stack file, creating nothing", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(file, "config:\n  aws:region: eu-west-1\n  trust-services:topolgy: ha\n");
    const r = plan(file);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Pulumi\.broken\.yaml: invalid stack configuration:\n {2}trust-services:topolgy: unknown key/);
    assert.ok(!fs.existsSync(path.join(ROOT, "out", "broken")));
  });
});

describe("harness", () => {
  it("fails an unknown invoke", async () => {
    const aws = require("@pulumi/aws");
    await assert.rejects(
      runWith(async () => ({ v: await aws.ec2.getSubnets({}) })),
      /unmocked invoke aws:ec2\/getSubnets:getSubnets/,
    );
  });

  it("runs the whole program for a settings object", async () => {
    const settings = parseSettings({ cluster: { existing: { kubeconfig: mockKubeconfig("obj") } }, xroad: { archive: { enabled: false }, exposure: { loadBalancer: { enabled: false } } } }, { project: "trust-services", stack: "obj" });
    const run = await runSettings(settings);
    assert.equal(run.settings, settings);
    assert.ok(run.find("kubernetes:apps/v1:Deployment", "xroad-server"));
  });
});
