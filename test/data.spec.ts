/**
 * Data services from one table: the platform fulfils any service's declared
 * needs the same way (in the cluster for single, RDS / ElastiCache for
 * external-db and ha, a database of its own on a shared instance, or given),
 * with no code path per service. The needs here are made up, as a new
 * service would declare them.
 */
import * as assert from "assert";
import { CacheNeed, DatabaseNeed, DataNeed } from "../stacks/needs";
import { buildPlatform, Platform } from "../stacks/platform";
import { fillNeedDefaults, parseSettings, Settings } from "../stacks/settings";
import { isSecretValue, mockKubeconfig, plain, Recorded, Run, runStack, runWith } from "./harness";
import { DependencyGraph } from "./graph";
import { evaluatePolicies } from "./policies";
import { schemaErrors } from "./k8s-schema";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const RUNTIME = { project: "trust-services", stack: "data", region: "eu-west-1" };
const clients = { namespace: "shop", app: "shop", components: ["api", "worker"] };

function database(topology: "single" | "external-db" | "ha", settings: DatabaseNeed["settings"] = {}, extra: Partial<DatabaseNeed> = {}): DatabaseNeed {
  return { service: "shop", key: "database", kind: "database", topology, engine: "postgres", settings, clients, database: "shop", user: "shop", defaultVersion: "17", ...extra };
}
function cache(topology: "single" | "external-db" | "ha", settings: Partial<CacheNeed["settings"]> = {}, extra: Partial<CacheNeed> = {}): CacheNeed {
  return { service: "shop", key: "cache", kind: "cache", topology, settings: { inCluster: { storageSize: "2Gi" }, ...settings }, clients, ...extra };
}

/** An existing cluster in an existing VPC: the platform creates only what the needs ask for. */
const EXISTING = {
  cluster: { existing: { kubeconfig: mockKubeconfig("data"), nodeSecurityGroupId: "sg-0123456789abcdef0", storageClasses: { block: "gp3" } } },
  network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] } },
};

/** Builds the platform for `config` with `needs` in place of the enabled services' (as a new service would declare them). */
async function fulfil(config: Record<string, unknown>, needs: DataNeed[]): Promise<{ run: Run; platform: Platform; settings: Settings }> {
  let platform!: Platform;
  const settings = parseSettings({ ...EXISTING, ...config }, RUNTIME);
  fillNeedDefaults(needs); // as parseSettings does for the enabled services' needs
  const run = await runWith(
    () => {
      platform = buildPlatform(settings, needs);
      // Every endpoint, resolved: run.outputs.<service>.<key>.
      return Object.fromEntries(Object.entries(platform.data).map(([svc, d]) => [svc, d.endpoints as unknown]));
    },
    { stack: "data", settings: () => settings },
  );
  return { run, platform, settings };
}

describe("data services from one table", () => {
  it("single: PostgreSQL, MySQL and Redis in the cluster, in the service's data namespace, admitting only its client pods", async () => {
    const { run, platform } = await fulfil({}, [database("single"), { ...database("single"), key: "ledger", engine: "mysql" }, cache("single")]);
    const e = platform.data.shop.endpoints;
    assert.deepEqual(Object.keys(e).sort(), ["cache", "database", "ledger"]);
    const ns = obj(run.get("kubernetes:core/v1:Namespace", "shop-data-ns"));
    assert.equal(ns.metadata.name, "shop-data");
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    for (const [key, engine] of [["database", "postgres"], ["ledger", "mysql"], ["cache", "redis"]]) {
      assert.equal(e[key].engine, engine);
      assert.equal(e[key].location, "in-cluster");
      const policy = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `shop-${engine}-ingress`));
      assert.equal(policy.metadata.namespace, "shop-data");
      assert.deepEqual(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels, { "kubernetes.io/metadata.name": "shop" });
      assert.deepEqual(policy.spec.ingress[0].from[0].podSelector.matchExpressions[0].values, ["api", "worker"]);
      assert.equal(obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", `shop-${engine}-data`)).spec.storageClassName, "gp3", "on the platform's encrypted class");
    }
    assert.equal(run.ofType("aws:rds/instance:Instance").length + run.ofType("aws:elasticache/replicationGroup:ReplicationGroup").length, 0);
    for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), [], `${object.kind} ${object.metadata?.name}`);
    assert.deepEqual(evaluatePolicies(run), []);
  });

  it("single: a mirror's image and the service's node placement reach its stores", async () => {
    const scheduling = { nodeSelector: { pool: "data" }, tolerations: [{ key: "dedicated", operator: "Equal", value: "data", effect: "NoSchedule" }] };
    const { run } = await fulfil({}, [
      database("single", { inCluster: { storageSize: "3Gi", image: "mirror.example.org/library/postgres:17.11-alpine3.24" } }, { clients: { ...clients, scheduling } }),
    ]);
    const sts = obj(run.get("kubernetes:apps/v1:StatefulSet", "shop-postgres"));
    assert.equal(sts.spec.template.spec.containers[0].image, "mirror.example.org/library/postgres:17.11-alpine3.24");
    assert.deepEqual(sts.spec.template.spec.nodeSelector, { pool: "data" });
    assert.deepEqual(sts.spec.template.spec.tolerations, scheduling.tolerations);
    assert.equal(obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "shop-postgres-data")).spec.resources.requests.storage, "3Gi");
  });

  it("single with TLS: the service's data CA issues each store a certificate for its Service's names, and the endpoint carries the CA", async () => {
    const { run } = await fulfil({}, [database("single", {}, { tls: true }), cache("single", {}, { tls: true })]);
    const endpoints = run.outputs.shop as Record<string, Record<string, unknown>>;
    const ca = run.get("tls:index/selfSignedCert:SelfSignedCert", "shop-data-ca-cert");
    assert.equal(obj(ca).isCaCertificate, true);
    assert.match(String(ca.state.certPem), /^-----BEGIN CERTIFICATE-----/);
    for (const [key, store] of [["database", "shop-postgres"], ["cache", "shop-redis"]]) {
      assert.equal(endpoints[key].tls, true);
      assert.equal(endpoints[key].caCertificate, ca.state.certPem, `${key}: clients trust the CA`);
      const csr = obj(run.get("tls:index/certRequest:CertRequest", `${store}-csr`));
      assert.deepEqual(csr.dnsNames, [store, `${store}.shop-data`, `${store}.shop-data.svc`, `${store}.shop-data.svc.cluster.local`]);
      const signed = obj(run.get("tls:index/locallySignedCert:LocallySignedCert", `${store}-cert`));
      assert.ok(signed.allowedUses.includes("server_auth"));
      assert.equal(signed.caCertPem, ca.state.certPem);
      // The store serves that certificate with its key (secret).
      const data = run.get("kubernetes:core/v1:Secret", store).inputs.stringData as Record<string, unknown>;
      const served = plain<Record<string, string>>(data);
      assert.equal(served["tls.crt"], run.get("tls:index/locallySignedCert:LocallySignedCert", `${store}-cert`).state.certPem);
      assert.equal(served["tls.key"], run.get("tls:index/privateKey:PrivateKey", `${store}-key`).state.privateKeyPemPkcs8, "the store's own key (PKCS#8)");
      assert.ok(isSecretValue(data) || isSecretValue(data["tls.key"]), "the key is secret");
      assert.equal(served["ca.crt"], ca.state.certPem);
    }
    const pg = obj(run.get("kubernetes:apps/v1:StatefulSet", "shop-postgres")).spec.template.spec.containers[0];
    assert.ok(pg.args.includes("ssl=on") && pg.args.includes("hba_file=/etc/postgresql/pg_hba.conf"), "PostgreSQL refuses plain TCP");
    assert.match(plain<any>(run.get("kubernetes:core/v1:Secret", "shop-redis").inputs.stringData)["redis.conf"], /^port 0$/m, "Redis listens on TLS only");
    assert.deepEqual(evaluatePolicies(run), []);
  });

  it("a consumer that cannot authenticate to Redis gets an in-cluster Redis without AUTH, and the reason is recorded", async () => {
    const { run, platform } = await fulfil({}, [cache("single", {}, { plaintextReason: "the client has no TLS or AUTH (upstream issue #1)" })]);
    assert.equal(platform.data.shop.endpoints.cache.password, undefined);
    assert.match(obj(run.get("kubernetes:apps/v1:StatefulSet", "shop-redis")).metadata.annotations["trust-services.io/auth-exempt-reason"], /upstream issue #1/);
  });

  it("external-db: an RDS instance and an ElastiCache group of the service's own, reachable from the cluster only, no failover", async () => {
    // On a cluster this stack creates, the VPC's range is known: the clients' egress rule names it.
    const { run, platform } = await fulfil({ cluster: { create: {} }, network: {} }, [database("external-db"), cache("external-db")]);
    const rds = run.get("aws:rds/instance:Instance", "shop-db-db");
    assert.deepEqual([obj(rds).engine, obj(rds).engineVersion, obj(rds).dbName, obj(rds).multiAz], ["postgres", "17", "shop", false]);
    const redis = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "shop-cache-redis"));
    assert.deepEqual([redis.numCacheClusters, redis.automaticFailoverEnabled, redis.transitEncryptionEnabled], [1, false, true]);
    const e = platform.data.shop.endpoints;
    assert.equal(e.database.location, "managed");
    assert.equal(e.database.tls, true);
    assert.equal(e.database.database, "shop");
    assert.deepEqual(e.database.cidrs, ["10.0.0.0/16"], "the VPC: the egress rule a client gets");
    assert.equal(e.cache.tls, true);
    assert.ok(e.cache.password, "AUTH token");
    assert.equal(run.find("kubernetes:core/v1:Namespace", "shop-data-ns"), undefined, "nothing in the cluster");
    assert.deepEqual(evaluatePolicies(run), []);
  });

  it("ha: Multi-AZ RDS and ElastiCache with a replica and automatic failover", async () => {
    const { run } = await fulfil({}, [database("ha"), cache("ha")]);
    assert.equal(obj(run.get("aws:rds/instance:Instance", "shop-db-db")).multiAz, true);
    const redis = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "shop-cache-redis"));
    assert.deepEqual([redis.numCacheClusters, redis.automaticFailoverEnabled, redis.multiAzEnabled], [2, true, true]);
  });

  it("production: the cache is kept on destroy with a final snapshot and longer retention", async () => {
    const { run } = await fulfil({ production: true }, [cache("ha")]);
    const group = run.get("aws:elasticache/replicationGroup:ReplicationGroup", "shop-cache-redis");
    assert.equal(group.retainOnDelete, true);
    assert.equal(obj(group).snapshotRetentionLimit, 7);
    assert.equal(obj(group).finalSnapshotIdentifier, "shop-cache-final");
  });

  it("a consumer that cannot use TLS gets ElastiCache without it, tagged with the reason", async () => {
    const { run } = await fulfil({}, [cache("external-db", {}, { plaintextReason: "no TLS in the client (upstream issue #2)" })]);
    const redis = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "shop-cache-redis"));
    assert.equal(redis.transitEncryptionEnabled, false);
    assert.equal(redis.tags["trust-services/tls-exempt-reason"], "no TLS in the client (upstream issue #2)");
    assert.deepEqual(evaluatePolicies(run), []);
  });

  it("given: the endpoint from settings, nothing created", async () => {
    const given = { host: "pg.corp.example", port: 6432, user: "shop", password: "MOCKSECRET-given", tls: true, cidrs: ["192.0.2.0/24"] } as any;
    const { run, platform } = await fulfil({}, [database("ha", { given })]);
    const e = platform.data.shop.endpoints.database;
    assert.deepEqual([e.host, e.port, e.user, e.location, e.cidrs], ["pg.corp.example", 6432, "shop", "given", ["192.0.2.0/24"]]);
    assert.equal(run.ofType("aws:rds/instance:Instance").length, 0);
  });

  it("shared: one instance; each service a database and role of its own made by a Job; a superuser service the master role", async () => {
    const { run } = await fulfil({ databases: { main: { engine: "postgres", engineVersion: "17" } } }, [
      database("ha", { shared: "main" }),
      database("ha", { shared: "main" }, { service: "blog", database: "blog", user: "blog", clients: { namespace: "blog", app: "blog", components: ["web"] } }),
      database("ha", { shared: "main" }, { service: "gateway", superuser: true, clients: { namespace: "gateway", app: "gateway", components: ["server"] } }),
    ]);
    assert.equal(run.ofType("aws:rds/instance:Instance").length, 1, "one instance");
    const rds = run.get("aws:rds/instance:Instance", "shared-main-db");
    assert.equal(obj(rds).multiAz, true, "Multi-AZ: a service on it runs ha");
    const jobs = run.ofType("kubernetes:batch/v1:Job").map(obj);
    assert.deepEqual(jobs.map((j) => j.metadata.namespace).sort(), ["blog-data", "shop-data"], "a grant Job per service, in its data namespace; none for the superuser service");
    const [shop, blog, gateway] = ["shop", "blog", "gateway"].map((svc) => plain<Record<string, any>>((run.outputs[svc] as Record<string, unknown>).database));
    const master = String(plain(rds.inputs.password));
    assert.equal(gateway.user, "postgres", "the superuser service holds the master role");
    assert.equal(gateway.password, master);
    assert.deepEqual([shop.user, shop.database, blog.user, blog.database], ["shop", "shop", "blog", "blog"]);
    assert.ok(shop.password && blog.password && shop.password !== blog.password, "each service its own password");
    assert.ok(shop.password !== master && blog.password !== master, "neither is the master's");
    // The master password is in exactly the grant Jobs' master Secrets, which only those Jobs read.
    const secrets = run.ofType("kubernetes:core/v1:Secret").map(obj);
    const holding = secrets.filter((sec) => Object.values(sec.stringData ?? {}).includes(master)).map((sec) => `${sec.metadata.namespace}/${sec.metadata.name}`);
    assert.deepEqual(holding.sort(), ["blog-data/blog-grant-master", "shop-data/shop-grant-master"]);
    for (const job of jobs) {
      const refs = JSON.stringify(job.spec.template.spec.containers[0].env);
      assert.ok(refs.includes(`"${job.metadata.namespace.replace("-data", "")}-grant-master"`), "the Job reads its master Secret");
    }
    // And a Job waits for the instance and the rule that admits the cluster, not only for its address.
    const job = run.get("kubernetes:batch/v1:Job", "shop-grant");
    const rule = run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "shared-main-from-cluster");
    assert.ok(new DependencyGraph(run).upstream(job).has(rule.urn));
    for (const { object } of run.kubernetesObjects()) assert.deepEqual(await schemaErrors(object), [], `${object.kind} ${object.metadata?.name}`);
    assert.deepEqual(evaluatePolicies(run), []);
  });

  it("a bucket need: an encrypted bucket of its own, kept in production", async () => {
    const { run, platform } = await fulfil({ production: true }, [{ service: "shop", key: "exports", kind: "bucket", topology: "ha" }]);
    assert.ok(platform.data.shop.buckets.exports);
    assert.equal(run.get("aws:s3/bucket:Bucket", "shop-exports").retainOnDelete, true);
  });

  describe("through the stack settings", () => {
    it("X-Road on a shared instance keeps the master credentials, and no Job runs for it", async () => {
      const run = await runStack({ "aws:region": "eu-west-1", topology: "ha", cluster: { create: { nodes: { instanceTypes: ["m6i.2xlarge"], min: 3, desired: 3, max: 6 } } }, databases: { main: { engine: "postgres" } }, xroad: { database: { shared: "main" } } });
      assert.equal(run.ofType("aws:rds/instance:Instance").length, 1);
      assert.equal(run.ofType("kubernetes:batch/v1:Job").length, 0);
      const secret = plain<any>(run.get("kubernetes:core/v1:Secret", "xroad-database").inputs).stringData;
      assert.equal(secret.XROAD_DB_PWD, plain(run.get("aws:rds/instance:Instance", "shared-main-db").inputs.password));
      assert.deepEqual(evaluatePolicies(run), []);
    });

    it("refuses a shared instance that does not exist, runs another engine, or an X-Road-incompatible version", () => {
      const problems = (raw: Record<string, unknown>) => {
        try {
          parseSettings(raw, RUNTIME);
        } catch (e) {
          return (e as { problems: string[] }).problems;
        }
        return [];
      };
      assert.match(problems({ topology: "ha", xroad: { database: { shared: "nope" } } }).join("\n"), /xroad\.database\.shared: .* no shared instance "nope" — one of trust-services:databases \(none declared\)/);
      assert.match(problems({ topology: "ha", databases: { main: { engine: "mysql" } }, xroad: { database: { shared: "main" } } }).join("\n"), /"main" runs mysql; xroad needs postgres/);
      assert.match(problems({ topology: "ha", databases: { main: { engine: "postgres", engineVersion: "15" } }, xroad: { database: { shared: "main" } } }).join("\n"), /runs postgres 15; xroad needs PostgreSQL 16/);
      assert.match(problems({ cluster: { existing: { kubeconfig: "apiVersion: v1\nclusters: [{cluster: {server: https://x}}]\ncontexts: [{}]\nusers: [{}]\n" } }, databases: { main: { engine: "postgres" } } }).join("\n"), /databases\.main: .* needs cluster\.create/);
    });
  });
});
