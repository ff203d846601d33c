import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ROOT, runStackFile } from "./harness";
import { simulateUpdate } from "./upgrade";

/** Types an update may delete: they hold no data and the new program recreates what they did. */
const REPLACEABLE = ["kubernetes:networking.k8s.io/v1:NetworkPolicy"];

describe("updating a stack deployed by an earlier version", () => {
  const deployed = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "deployed-22f6b3b.json"), "utf8")) as Record<string, string[]>;

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: \`pulumi up\` keeps every resource of the pre-kit program (same URN or an alias); only NetworkPolicies are replaced`, async () => {
      const run = await runStackFile(stack);
      const plan = simulateUpdate(deployed[stack], run, stack);
      const lost = plan.deleted.filter((urn) => !REPLACEABLE.some((t) => urn.split("::")[2].endsWith(`$${t}`)));
      assert.deepEqual(lost, [], `these would be deleted:\n${lost.join("\n")}`);
      // The claims, the namespace holding them, the databases and the buckets are among those kept.
      for (const fragment of ["PersistentVolumeClaim::xroad-", "kubernetes:core/v1:Namespace::xroad-ns", "aws:s3/bucket:Bucket::xroad-archive"]) {
        assert.ok([...plan.kept.keys()].some((u) => u.includes(fragment)), `${fragment} kept`);
      }
    });
  }

  it("the replay itself notices a resource that loses its alias", async () => {
    const run = await runStackFile("prod");
    const claim = run.resources.find((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" && r.name === "xroad-primary-data")!;
    const saved = claim.aliases;
    claim.aliases = [];
    try {
      const plan = simulateUpdate(deployed.prod, run, "prod");
      assert.ok(plan.deleted.some((u) => u.endsWith("PersistentVolumeClaim::xroad-primary-data")), plan.deleted.join("\n"));
    } finally {
      claim.aliases = saved;
    }
  });
});
