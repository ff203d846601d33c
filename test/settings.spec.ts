import * as assert from "assert";
import { parseSettings, rawConfig, SettingsError } from "../stacks/settings";
import { mockKubeconfig, plain, recordedSoFar, resolveOutput, runStack, SECRET_MARK } from "./harness";
import { RULES } from "./policies";

const KC = mockKubeconfig("existing");

const RUNTIME = { project: "trust-services", stack: "test", region: "eu-west-1" };

/** Parses and returns the error lines (or fails when the input is accepted). */
function problems(raw: Record<string, unknown>, runtime: { project: string; stack: string; region?: string } = RUNTIME): string[] {
  try {
    parseSettings(raw, runtime);
  } catch (e) {
    assert.ok(e instanceof SettingsError, `expected a SettingsError, got ${e}`);
    return e.problems;
  }
  assert.fail(`accepted: ${JSON.stringify(raw)}`);
}

function assertProblem(raw: Record<string, unknown>, key: string, ...fragments: string[]) {
  const lines = problems(raw);
  const line = lines.find((l) => l.startsWith(`trust-services:${key}:`) || l.startsWith(`${key}:`));
  assert.ok(line, `no problem for ${key} in:\n${lines.join("\n")}`);
  for (const f of fragments) assert.ok(line!.includes(f), `"${line}" lacks "${f}"`);
  return line!;
}

describe("settings", () => {
  describe("defaults", () => {
    it("an empty stack creates an EKS cluster with documented defaults and runs no service", () => {
      const s = parseSettings({}, RUNTIME);
      assert.equal(s.topology, "single");
      assert.equal(s.production, false);
      assert.equal(s.cluster.create?.version, "1.33");
      assert.deepEqual(s.cluster.create?.nodes, { instanceTypes: ["m6i.xlarge"], min: 2, desired: 3, max: 6, diskSize: 50, capacityType: "ON_DEMAND" });
      assert.equal(s.network.cidr, "10.0.0.0/16");
      assert.equal(s.network.availabilityZones, 3);
      assert.equal(s.monitoring.containerInsights, true);
      assert.equal(s.xroad, undefined);
    });

    it("the xroad block fills in its defaults (pinned 7.8.2 slim, two secondaries)", () => {
      const s = parseSettings({ xroad: {} }, RUNTIME);
      assert.equal(s.xroad?.version, "7.8.2");
      assert.equal(s.xroad?.variant, "slim");
      assert.equal(s.xroad?.secondaries, 2);
      assert.equal(s.xroad?.namespace, "xroad");
      assert.equal(s.xroad?.archive.interval, "6h");
      assert.equal(s.xroad?.exposure.loadBalancer.targetType, undefined, "the created cluster's controller chooses ip targets; instance is the existing-cluster default");
    });

    it("a service topology overrides the stack topology", () => {
      const s = parseSettings({ topology: "single", xroad: { topology: "ha" } }, RUNTIME);
      assert.equal(s.xroad?.topology, "ha");
      assert.deepEqual(Object.keys(s.xroad?.database ?? {}), ["create"], "ha gets an RDS database by default");
      assert.equal(s.xroad?.database?.create?.engineVersion, "16");
    });

    it("secret values become secret Outputs", async () => {
      const s = parseSettings({ xroad: { adminPassword: "hunter2hunter2" } }, RUNTIME);
      const pw = s.xroad!.adminPassword!;
      assert.equal(await (pw as any).isSecret, true);
      assert.equal(await resolveOutput(pw), "hunter2hunter2");
    });
  });

  describe("config map", () => {
    it("reads only this project's keys and decodes JSON objects and scalars", () => {
      const raw = rawConfig({
        "trust-services:production": "true",
        "trust-services:topology": "ha",
        "trust-services:xroad": '{"secondaries":3}',
        "aws:region": "eu-west-1",
      });
      assert.deepEqual(raw, { production: true, topology: "ha", xroad: { secondaries: 3 } });
    });
  });

  describe("bad input is refused, naming the key, the value and what is allowed", () => {
    it("wrong type", () => assertProblem({ production: "yes" }, "production", '"yes"', "a boolean"));
    it("wrong type in a nested block", () => assertProblem({ cluster: { create: { nodes: { min: "two" } } } }, "cluster.create.nodes.min", '"two"', "a number"));
    it("a list where a block belongs", () => assertProblem({ xroad: [] }, "xroad", "[]", "a block"));
    it("unknown top-level key (a typo)", () => assertProblem({ topolgy: "ha" }, "topolgy", "unknown key", "topology"));
    it("unknown nested key (a typo)", () => assertProblem({ xroad: { secondarys: 3 } }, "xroad.secondarys", "unknown key", "secondaries"));
    it("number out of range", () => assertProblem({ cluster: { create: { nodes: { max: 1000 } } } }, "cluster.create.nodes.max", "1000", "≤ 100"));
    it("number below range", () => assertProblem({ xroad: { topology: "ha", secondaries: 1 } }, "xroad.secondaries", "1", "≥ 2"));
    it("unknown enum word", () => assertProblem({ topology: "cluster" }, "topology", '"cluster"', '"single" | "external-db" | "ha"'));
    it("unknown enum word in a service", () => assertProblem({ xroad: { variant: "mini" } }, "xroad.variant", '"mini"', '"slim" | "full"'));
    it("log retention not a CloudWatch value", () => assertProblem({ monitoring: { logRetentionDays: 10 } }, "monitoring.logRetentionDays", "10", "one of 1 | 3 | 5 | 7 | 14"));
    it("an image version set to latest", () => assertProblem({ xroad: { version: "latest" } }, "xroad.version", '"latest"', "X-Road 7 release"));
    it("an archiver image set to latest", () => assertProblem({ xroad: { archive: { image: "amazon/aws-cli:latest" } } }, "xroad.archive.image", "other than latest"));
    it("an X-Road version older than 7.8.0", () => assertProblem({ xroad: { version: "7.4.2" } }, "xroad.version", "7.8.0 or newer"));
    it("a malformed CIDR", () => assertProblem({ cluster: { create: { publicAccessCidrs: ["203.0.113.0/33"] } } }, "cluster.create.publicAccessCidrs[0]", "IPv4 CIDR"));
    it("a malformed quantity", () => assertProblem({ xroad: { storage: { dataSize: "10GB" } } }, "xroad.storage.dataSize", '"10GB"', "binary unit"));
    it("an unquoted Kubernetes version", () => assertProblem({ cluster: { create: { version: 1.3 } } }, "cluster.create.version", "1.3", "a string (quote it"));
    it("a malformed admin role ARN", () => assertProblem({ cluster: { create: { adminRoleArns: ["admins"] } } }, "cluster.create.adminRoleArns[0]", "IAM role ARN"));
    it("both a created and an existing cluster", () => assertProblem({ cluster: { create: {}, existing: { kubeconfig: KC } } }, "cluster", "exactly one of `create` or `existing`"));
    it("an existing cluster with neither kubeconfig nor stack reference", () => assertProblem({ cluster: { existing: {} } }, "cluster.existing", "exactly one of `kubeconfig` or `stackReference`"));
    it("an empty kubeconfig", () => assertProblem({ cluster: { existing: { kubeconfig: "" } } }, "cluster.existing.kubeconfig", "(a secret value)", "at least 1"));
    it("a malformed kubeconfig, without echoing it", () => {
      const line = assertProblem({ cluster: { existing: { kubeconfig: "server: https://10.0.0.1 token=abc123secret" } } }, "cluster.existing.kubeconfig", "(a secret value)", "clusters, contexts and users");
      assert.ok(!line.includes("abc123secret"));
    });
    it("node counts out of order", () => assertProblem({ cluster: { create: { nodes: { min: 4, desired: 3, max: 6 } } } }, "cluster.create.nodes", "min ≤ desired ≤ max"));
    it("a database with both create and given", () =>
      assertProblem({ topology: "ha", xroad: { database: { create: {}, given: { host: "db", password: "p" } } } }, "xroad.database", "at most one of `create`, `given` or `shared`"));
    it("PostgreSQL other than 16 for X-Road", () =>
      assertProblem({ topology: "ha", xroad: { database: { create: { engineVersion: "15" } } } }, "xroad.database.create.engineVersion", '"15"', "PostgreSQL 16"));
    it("ha on an existing cluster with no database endpoint", () =>
      assertProblem({ topology: "ha", cluster: { existing: { kubeconfig: KC } }, xroad: {} }, "xroad.database", "xroad.database.given"));
    it("a database block with topology single", () =>
      assertProblem({ topology: "single", xroad: { database: { given: { host: "db", password: "p" } } } }, "xroad.database", "topology single runs PostgreSQL inside the pod"));
    it("a country image NIIS does not publish", () => assertProblem({ topology: "ha", xroad: { variant: "slim", country: "ee" } }, "xroad.country", "no slim primary/secondary image", "fi or is"));
    it("shared (ReadWriteMany) config outside ha", () => assertProblem({ xroad: { storage: { sharedConfig: true } } }, "xroad.storage.sharedConfig", "topology ha"));
    it("ha needing ReadWriteMany on an existing cluster without an RWX class", () =>
      assertProblem(
        { topology: "ha", cluster: { existing: { kubeconfig: KC } }, xroad: { storage: { sharedConfig: true }, database: { given: { host: "db", password: "p" } } } },
        "xroad.storage.sharedConfig",
        "ReadWriteMany",
      ));
    it("hostPath on a cloud cluster", () => assertProblem({ xroad: { storage: { hostPath: "/data" } } }, "xroad.storage.hostPath", "local single-node cluster"));
    it("the archiver on an existing cluster", () =>
      assertProblem({ cluster: { existing: { kubeconfig: KC } }, xroad: { archive: { enabled: true }, exposure: { loadBalancer: { enabled: true } } } }, "xroad.archive.enabled", "needs cluster.create"));
    it("ha on a one-node cluster", () => assertProblem({ topology: "ha", cluster: { create: { nodes: { min: 1, desired: 1, max: 2 } } }, xroad: {} }, "xroad.topology", "at least 2"));
    it("an AWS stack without aws:region", () => {
      const lines = problems({}, { project: "trust-services", stack: "test" });
      assert.ok(lines[0].startsWith("aws:region:"), lines[0]);
    });

    it("lists every problem at once", () => {
      const lines = problems({ topology: "x", production: 1, xroad: { variant: "y", bogus: true } });
      assert.ok(lines.length >= 4, lines.join("\n"));
    });

    it("never echoes a secret value", () => {
      const lines = problems({ cluster: { existing: { kubeconfig: 12345678 } } });
      assert.ok(lines.every((l) => !l.includes("12345678")), lines.join("\n"));
      const pw = problems({ topology: "ha", xroad: { database: { given: { host: "db", password: 987654321 } } } });
      assert.ok(pw.every((l) => !l.includes("987654321")), pw.join("\n"));
    });
  });

  describe("valid combinations", () => {
    it("a service in ha gets a node group that holds it with a node lost, unless the stack sizes its own", () => {
      const ha = parseSettings({ topology: "ha", xroad: {} }, RUNTIME);
      assert.deepEqual(ha.cluster.create?.nodes, { instanceTypes: ["m6i.2xlarge"], min: 5, desired: 5, max: 10, diskSize: 50, capacityType: "ON_DEMAND" });
      const own = parseSettings({ topology: "ha", cluster: { create: { nodes: { instanceTypes: ["m6i.4xlarge"], min: 2, desired: 2, max: 3 } } }, xroad: {} }, RUNTIME);
      assert.deepEqual([own.cluster.create?.nodes.instanceTypes, own.cluster.create?.nodes.min], [["m6i.4xlarge"], 2], "what a stack says stays");
      const single = parseSettings({ xroad: {} }, RUNTIME);
      assert.deepEqual([single.cluster.create?.nodes.instanceTypes, single.cluster.create?.nodes.min], [["m6i.xlarge"], 2]);
    });

    it("image references of a mirror: a registry with a port, a tag with a digest", () => {
      for (const image of ["mirror.example.org:5000/aws-cli:2.27.50", `amazon/aws-cli:2.27.50@sha256:${"a".repeat(64)}`, `amazon/aws-cli@sha256:${"b".repeat(64)}`]) {
        assert.equal(parseSettings({ xroad: { archive: { image } } }, RUNTIME).xroad?.archive.image, image);
      }
      assert.ok(problems({ xroad: { archive: { image: "mirror.example.org:5000/aws-cli" } } }).some((l) => l.startsWith("trust-services:xroad.archive.image:")), "a port is no tag");
    });

    it("an existing cluster with a kubeconfig and a given database runs ha", () => {
      const s = parseSettings(
        {
          topology: "ha",
          cluster: { existing: { kubeconfig: KC, storageClasses: { block: "standard", shared: "nfs" } } },
          xroad: { archive: { enabled: false }, database: { given: { host: "pg.example.internal", password: "secret-password" } } },
        },
        { project: "trust-services", stack: "test" },
      );
      assert.equal(s.usesAws, false);
      assert.equal(s.region, undefined);
    });
  });

  it("a bad stack stops the program before any resource is registered", async () => {
    let error: unknown;
    try {
      await runStack({ "aws:region": "eu-west-1", topology: "everywhere", xroad: { version: "latest" } });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof SettingsError, String(error));
    assert.equal(recordedSoFar().length, 0, "no resource registered");
    assert.match(String((error as Error).message), /trust-services:topology: "everywhere"/);
    assert.match(String((error as Error).message), /trust-services:xroad\.version: "latest"/);
  });

  it("a secret config value (`secure:`) reaches the program as a secret", async () => {
    const run = await runStack({
      "aws:region": "eu-west-1",
      cluster: { create: {} },
      xroad: { adminPassword: { secure: "v1:abc" } },
    });
    const secret = run.get("kubernetes:core/v1:Secret", "xroad-credentials");
    const stringData = plain<Record<string, string>>(secret.inputs.stringData);
    assert.ok(stringData.XROAD_ADMIN_PASSWORD.startsWith(`${SECRET_MARK}-config`), "the given password is used");
    assert.ok(!run.find("random:index/randomPassword:RandomPassword", "xroad-admin-password"), "no password generated when one is given");
    const leaks = RULES.find((r) => r.id === "no-plaintext-secrets")!.check(run);
    assert.deepEqual(leaks, [], "it stays secret in every input and output");
  });
});
