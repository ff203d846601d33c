/**
 * RSTUF in its three topologies: what the API and the workers read (env names
 * and values as API v1.0.1 and worker v1.0.2 parse them), the online key's
 * file named after the id the RSTUF CLI computes (checked by securesystemslib),
 * the metadata storage and who serves it, probes, the migration before the
 * workers, the IAM user's scope, exposure, and the bootstrap Job's script run
 * by python3 against a loopback API.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as http from "http";
import * as path from "path";
import { BOOTSTRAP_SCRIPT, cpuCount, WORKER_ALIVE, RSTUF_ADMIN_ROUTERS, RSTUF_ONLINE_KEY_DIR, RSTUF_STORAGE_PATH } from "../components/services/rstuf";
import { publicKeyPem, sslibKey } from "../components/services/rstuf/keyid";
import * as fs from "fs";
import { TLS_EXEMPT_TAG } from "../components/aws/cache";
import { RDS_CA_UNKNOWN_REGIONS, rdsCaBundle } from "../components/aws/rds-ca";
import { freePort } from "./servers";
import { isSecretValue, plain, Recorded, ROOT, Run, runStack, runStackFile } from "./harness";
import { valid } from "./checks";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const REGION = { "aws:region": "eu-west-1" };
const PYTHON = "/usr/bin/python3";

const deployment = (run: Run, name: string) => obj(run.get(DEPLOYMENT, name));
const containerOf = (d: Record<string, any>, name: string) => {
  const c = d.spec.template.spec.containers.find((x: any) => x.name === name);
  assert.ok(c, `container ${name} in ${d.metadata.name}`);
  return c;
};
const env = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const mountAt = (c: any, p: string) => (c.volumeMounts ?? []).find((m: any) => m.mountPath === p);
const volume = (d: Record<string, any>, name: string) => d.spec.template.spec.volumes.find((v: any) => v.name === name);
const job = (run: Run, prefix: string) => {
  const jobs = run.ofType("kubernetes:batch/v1:Job").filter((j) => j.name === prefix);
  assert.equal(jobs.length, 1, `one Job ${prefix}`);
  return jobs[0];
};

/** securesystemslib's key id of a public key, and its verdict on a signature the key's private half made. */
function sslibCheck(privatePem: string): { keyid: string; keytype: string; scheme: string } {
  const priv = crypto.createPrivateKey(privatePem);
  const data = "rstuf online key";
  const type = priv.asymmetricKeyType;
  const sig =
    type === "rsa"
      ? crypto.sign("sha256", Buffer.from(data), { key: priv, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST })
      : crypto.sign(type === "ed25519" ? null : "sha256", Buffer.from(data), priv);
  const publicPem = String(crypto.createPublicKey(priv).export({ type: "spki", format: "pem" }));
  const r = spawnSync(PYTHON, [path.join(ROOT, "test", "sslib-keyid.py")], { input: JSON.stringify({ publicPem, data, signature: sig.toString("hex") }), encoding: "utf8" });
  assert.equal(r.status, 0, `securesystemslib refused the key or its signature: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Env and mounts every worker and migration share. */
function checkDatabaseEnv(e: Record<string, any>, host: RegExp, user: string) {
  assert.match(e.RSTUF_DB_SERVER, new RegExp(`^postgresql://${host.source}:5432/rstuf$`));
  assert.equal(e.RSTUF_DB_USER, user);
  assert.deepEqual(e.RSTUF_DB_PASSWORD, { secretKeyRef: { name: "rstuf-database", key: "password" } });
}

describe("RSTUF (Repository Service for TUF)", () => {
  describe("single: the dev stack", () => {
    let run: Run;
    let worker: Record<string, any>;
    before(async () => {
      run = await runStackFile("dev");
      worker = deployment(run, "rstuf-worker");
    });

    it("runs the pinned worker with the env v1.0.2 reads: Redis as redis://<host>, PostgreSQL with its scheme, TLS by PGSSLMODE", () => {
      const c = containerOf(worker, "worker");
      assert.equal(c.image, "ghcr.io/repository-service-tuf/repository-service-tuf-worker:v1.0.2");
      const e = env(c);
      assert.equal(e.RSTUF_REDIS_SERVER, "redis://rstuf-redis.rstuf-data.svc.cluster.local");
      assert.equal(e.RSTUF_BROKER_SERVER, "redis://rstuf-redis.rstuf-data.svc.cluster.local:6379");
      assert.equal(e.RSTUF_REDIS_SERVER_PORT, "6379");
      checkDatabaseEnv(e, /rstuf-postgres\.rstuf-data\.svc\.cluster\.local/, "rstuf");
      // The in-cluster store serves a certificate of the service's CA: verified, not just encrypted.
      assert.equal(e.PGSSLMODE, "verify-full");
      assert.equal(e.PGSSLROOTCERT, "/run/secrets/database/ca.crt");
      assert.ok(mountAt(c, "/run/secrets/database"));
      assert.deepEqual(volume(worker, "database-ca").secret.items, [{ key: "ca.crt", path: "ca.crt" }]);
      assert.equal(e.RSTUF_STORAGE_BACKEND, "LocalStorage");
      assert.equal(e.RSTUF_LOCAL_STORAGE_BACKEND_PATH, RSTUF_STORAGE_PATH);
      assert.equal(e.RSTUF_LOCK_TIMEOUT, "500");
      assert.deepEqual(e.RSTUF_WORKER_ID, { fieldRef: { fieldPath: "metadata.name" } });
      // One Celery process per CPU of the pod's limit (2), not of the node.
      assert.equal(c.resources.limits.cpu, "2");
      assert.equal(e.PYTHON_CPU_COUNT, "2");
      // The database's password is a Secret's, whose value is a secret.
      const secret = run.get("kubernetes:core/v1:Secret", "rstuf-database");
      assert.ok(isSecretValue((secret.inputs.stringData as any).password) || isSecretValue(secret.inputs.stringData));
    });

    it("mounts the online key as one file named after its key id, the id securesystemslib computes", () => {
      const c = containerOf(worker, "worker");
      assert.equal(env(c).RSTUF_ONLINE_KEY_DIR, RSTUF_ONLINE_KEY_DIR);
      assert.equal(mountAt(c, RSTUF_ONLINE_KEY_DIR).readOnly, true);
      assert.equal(volume(worker, "online-key").secret.secretName, "rstuf-online-key");
      assert.equal(volume(worker, "online-key").secret.items, undefined, "the whole Secret: its one key is the file name");
      const secret = run.get("kubernetes:core/v1:Secret", "rstuf-online-key");
      assert.ok(isSecretValue(secret.inputs.stringData), "the key is a secret input");
      const files = Object.keys(obj(secret).stringData);
      const out = plain<any>(run.outputs.rstuf);
      assert.deepEqual(files, [out.onlineKeyId]);
      assert.equal(out.onlineKeyUri, `fn:${out.onlineKeyId}`);
      // The public key in the outputs gives that id by securesystemslib's rules (keyid.ts), and is Ed25519.
      const k = sslibKey(out.onlinePublicKey);
      assert.equal(k.keyid, out.onlineKeyId);
      assert.equal(k.keytype, "ed25519");
      // Generated as PKCS#8 (what the worker's load_pem_private_key reads), once, in the state.
      const key = run.get("tls:index/privateKey:PrivateKey", "rstuf-online-key");
      assert.equal(obj(key).algorithm, "ED25519");
      assert.match(String(obj(secret).stringData[out.onlineKeyId]), /^-----BEGIN PRIVATE KEY-----/);
      // Nothing on /data, where the image keeps supervisor.conf.
      assert.equal(mountAt(c, "/data"), undefined);
    });

    it("serves the metadata from the worker's ReadWriteOnce volume by nginx in the same pod (same node), read-only", () => {
      assert.equal(worker.spec.replicas, 1);
      assert.equal(worker.spec.strategy.type, "Recreate");
      const claim = obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "rstuf-worker-storage"));
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
      assert.equal(volume(worker, "storage").persistentVolumeClaim.claimName, "rstuf-worker-storage");
      const nginx = containerOf(worker, "nginx");
      assert.deepEqual(mountAt(nginx, RSTUF_STORAGE_PATH), { name: "storage", mountPath: RSTUF_STORAGE_PATH, readOnly: true });
      assert.equal(mountAt(containerOf(worker, "worker"), RSTUF_STORAGE_PATH).readOnly, undefined);
      assert.deepEqual(nginx.command.slice(0, 3), ["nginx", "-c", "/etc/rstuf-web/nginx.conf"]);
      assert.equal(nginx.securityContext.runAsNonRoot, true);
      assert.equal(nginx.readinessProbe.httpGet.path, "/health");
      const conf = obj(run.get("kubernetes:core/v1:ConfigMap", "rstuf-web")).data["nginx.conf"];
      assert.match(conf, new RegExp(`root ${RSTUF_STORAGE_PATH};`));
      const svc = obj(run.get("kubernetes:core/v1:Service", "rstuf-metadata"));
      assert.deepEqual(svc.spec.selector, worker.spec.selector.matchLabels);
      assert.deepEqual(svc.spec.ports.map((p: any) => [p.port, p.targetPort]), [[8000, 8000]]);
      assert.equal(run.find(DEPLOYMENT, "rstuf-web"), undefined, "no separate web server");
      const out = plain<any>(run.outputs.rstuf);
      assert.equal(out.metadataUrl, "http://rstuf-metadata.rstuf.svc.cluster.local:8000");
      assert.equal(out.apiUrl, "http://rstuf-api.rstuf.svc.cluster.local:8080");
    });

    it("probes: the worker by a Celery ping of its own node name, the API alive on / and ready when Redis answers", () => {
      const c = containerOf(worker, "worker");
      // Started: a Celery ping of its node name, as supervisor.conf names it, once; alive: both Celery programs run.
      assert.deepEqual(c.startupProbe.exec.command, ["sh", "-c", "celery -A app inspect ping -d rstuf@$RSTUF_WORKER_ID --timeout 10"]);
      assert.ok(c.startupProbe.timeoutSeconds >= 10);
      assert.deepEqual(c.livenessProbe.exec.command, ["python3", "-c", WORKER_ALIVE]);
      assert.equal(c.readinessProbe, undefined, "no broker traffic every few seconds; nginx in the pod has its own readiness");
      // supervisord is PID 1 (bash would drop the SIGTERM), with the image's own start sequence, and time to stop warmly.
      assert.deepEqual(c.command, ["bash", "-c", 'alembic upgrade head && exec supervisord -c "$DATA_DIR/supervisor.conf"']);
      assert.ok(worker.spec.template.spec.terminationGracePeriodSeconds > 300, "more than supervisord's stopwaitsecs");
      const api = containerOf(deployment(run, "rstuf-api"), "api");
      assert.equal(api.image, "ghcr.io/repository-service-tuf/repository-service-tuf-api:v1.0.1");
      assert.deepEqual(api.command, ["uvicorn", "app:rstuf_app", "--host", "0.0.0.0", "--port", "8080"]);
      assert.equal(api.workingDir, "/opt/repository-service-tuf-api");
      assert.equal(api.securityContext.runAsNonRoot, true);
      assert.equal(api.securityContext.readOnlyRootFilesystem, true);
      assert.equal(api.livenessProbe.httpGet.path, "/");
      assert.match(api.readinessProbe.httpGet.path, /^\/api\/v1\/task\/\?task_id=/);
      assert.equal(api.readinessProbe.httpGet.port, 8080);
      const e = env(api);
      assert.equal(e.RSTUF_REDIS_SERVER, "redis://rstuf-redis.rstuf-data.svc.cluster.local");
      assert.equal(e.RSTUF_DISABLE_ENDPOINTS, undefined, "an internal API serves every router");
      assert.equal(e.RSTUF_DB_SERVER, undefined, "the API never touches PostgreSQL");
    });

    it("migrates the schema in a Job of the worker's image before the workers start", () => {
      const j = job(run, "rstuf-migrate");
      const c = obj(j).spec.template.spec.containers[0];
      assert.deepEqual(c.command, ["alembic", "upgrade", "head"]);
      assert.equal(c.image, containerOf(worker, "worker").image);
      assert.equal(c.workingDir, "/opt/repository-service-tuf-worker");
      checkDatabaseEnv(env(c), /rstuf-postgres\.rstuf-data\.svc\.cluster\.local/, "rstuf");
      const w = run.get(DEPLOYMENT, "rstuf-worker");
      const migrate = run.resources.find((r) => r.type === "trust-services:index:Task" && r.name === "rstuf-migrate")!;
      assert.ok(w.dependencies.includes(migrate.urn) || w.dependencies.includes(j.urn), "the worker Deployment waits for the migration");
    });

    it("keeps Redis persistent and admits only the API and the workers to it", () => {
      const conf = run.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith("rstuf-redis")).map((r) => JSON.stringify(plain(r.inputs)));
      assert.ok(conf.some((c) => c.includes("appendonly yes")), "append-only Redis");
      const policy = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "rstuf-redis-ingress"));
      const components = policy.spec.ingress.flatMap((r: any) => r.from.flatMap((f: any) => f.podSelector?.matchExpressions?.flatMap((m: any) => m.values) ?? []));
      assert.deepEqual(components.sort(), ["api", "worker"]);
    });
  });

  describe("external-db: RDS, ElastiCache, S3", () => {
    let run: Run;
    before(async () => {
      run = await runStack({ ...REGION, topology: "external-db", rstuf: {} });
    });

    it("is valid against the Kubernetes schema and passes the policy suite", () => valid(run));

    it("connects to RDS verifying its certificate against the region's RDS root CAs (PGSSLMODE), with keepalives; to ElastiCache without TLS, the reason tagged", () => {
      const e = env(containerOf(deployment(run, "rstuf-worker"), "worker"));
      // The instance is RSTUF's alone: it connects as its master user.
      checkDatabaseEnv(e, /rstuf-db[^:/]*\.rds\.amazonaws\.com/, obj(run.get("aws:rds/instance:Instance", "rstuf-db-db")).username);
      assert.equal(e.PGSSLMODE, "verify-full");
      assert.equal(e.PGSSLROOTCERT, "/run/secrets/database/ca.crt");
      // openssl reads the bundle: eu-west-1's three RDS root CAs, valid for decades.
      const bundle = obj(run.get("kubernetes:core/v1:Secret", "rstuf-database")).stringData["ca.crt"];
      const file = path.join(fs.mkdtempSync(path.join(require("os").tmpdir(), "ts-rdsca-")), "ca.crt");
      fs.writeFileSync(file, bundle);
      const r = spawnSync("sh", ["-c", `openssl crl2pkcs7 -nocrl -certfile "${file}" | openssl pkcs7 -print_certs -noout`], { encoding: "utf8" });
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      assert.equal(r.status, 0, r.stderr);
      const subjects = r.stdout.split("\n").filter((l) => l.startsWith("subject="));
      assert.equal(subjects.length, 3);
      for (const sub of subjects) assert.match(sub, /CN *= *Amazon RDS eu-west-1 Root CA (RSA2048|RSA4096|ECC384) G1/);
      assert.equal(e.RSTUF_DB_KEEPALIVE, "true");
      assert.match(e.RSTUF_REDIS_SERVER, /^redis:\/\/[^:/]+\.cache\.amazonaws\.com$/);
      const group = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "rstuf-cache-redis"));
      assert.equal(group.transitEncryptionEnabled, false);
      assert.match(group.tags[TLS_EXEMPT_TAG], /redis:\/\/<host>/);
      assert.ok(group.snapshotRetentionLimit >= 1, "snapshots kept");
    });

    it("writes the metadata to its own S3 bucket with bucket-owner-full-control, with a static key of an IAM user scoped to that bucket", () => {
      const w = containerOf(deployment(run, "rstuf-worker"), "worker");
      const e = env(w);
      const bucket = run.get("aws:s3/bucket:Bucket", "rstuf-metadata");
      const bucketName = plain<string>(bucket.state.bucket ?? bucket.id);
      const bucketArn = plain<string>(bucket.state.arn);
      assert.equal(e.RSTUF_STORAGE_BACKEND, "AWSS3");
      assert.equal(e.RSTUF_AWS_STORAGE_BUCKET, bucketName);
      assert.equal(e.RSTUF_AWS_S3_OBJECT_ACL, "bucket-owner-full-control");
      assert.equal(e.RSTUF_AWS_DEFAULT_REGION, "eu-west-1");
      assert.equal(e.RSTUF_AWS_ACCESS_KEY_ID, undefined, "keys come from the Secret");
      assert.deepEqual(w.envFrom, [{ secretRef: { name: "rstuf-aws" } }]);
      // A new access key rolls the workers (they read it at start), before Pulumi deletes the old one.
      const keyId = run.get("aws:iam/accessKey:AccessKey", "rstuf-worker").id!;
      assert.equal(deployment(run, "rstuf-worker").spec.template.metadata.annotations["trust-services.io/aws-access-key"], crypto.createHash("sha256").update(keyId).digest("hex").slice(0, 16));
      assert.equal(mountAt(w, RSTUF_STORAGE_PATH), undefined);
      const awsSecret = run.get("kubernetes:core/v1:Secret", "rstuf-aws");
      assert.deepEqual(Object.keys(obj(awsSecret).stringData).sort(), ["RSTUF_AWS_ACCESS_KEY_ID", "RSTUF_AWS_SECRET_ACCESS_KEY"]);
      const sd = awsSecret.inputs.stringData as any;
      assert.ok(isSecretValue(sd) || isSecretValue(sd.RSTUF_AWS_SECRET_ACCESS_KEY));
      // The user's policy: exactly the worker's calls, on this bucket and its key.
      const doc = JSON.parse(obj(run.get("aws:iam/userPolicy:UserPolicy", "rstuf-worker")).policy);
      const byAction = new Map<string, string[]>();
      for (const st of doc.Statement) for (const a of [st.Action].flat()) byAction.set(a, [st.Resource].flat());
      const key = plain<string>(run.get("aws:kms/key:Key", "rstuf-metadata-key").state.arn);
      assert.deepEqual(byAction.get("s3:ListAllMyBuckets"), ["*"]);
      assert.deepEqual(byAction.get("s3:ListBucket"), [bucketArn]);
      for (const a of ["s3:GetObject", "s3:PutObject", "s3:PutObjectAcl"]) assert.deepEqual(byAction.get(a), [`${bucketArn}/*`], a);
      assert.deepEqual(byAction.get("kms:GenerateDataKey*"), [key]);
      assert.equal(byAction.has("s3:DeleteObject"), false);
      assert.deepEqual([...byAction.keys()].filter((a) => !a.startsWith("s3:") && !a.startsWith("kms:")), []);
      assert.match(obj(run.get("aws:iam/user:User", "rstuf-worker")).tags["trust-services/static-credentials-reason"], /#783/);
      assert.equal(obj(bucket).tags["trust-services/dedicated-to"], "rstuf");
    });

    it("serves the metadata through nginx and the S3 gateway, with a Pod Identity role that may only read", () => {
      const web = deployment(run, "rstuf-web");
      const gw = containerOf(web, "s3-gateway");
      const e = env(gw);
      const bucket = run.get("aws:s3/bucket:Bucket", "rstuf-metadata");
      assert.equal(e.S3_BUCKET_NAME, plain(bucket.state.bucket ?? bucket.id));
      assert.equal(e.S3_SERVER, "s3.eu-west-1.amazonaws.com");
      assert.equal(e.ALLOW_DIRECTORY_LIST, "false");
      assert.equal(e.PROXY_CACHE_VALID_OK, "0s", "the gateway keeps nothing: nginx in front caches by TUF's rules");
      assert.equal(e.AWS_ACCESS_KEY_ID, undefined);
      const conf = obj(run.get("kubernetes:core/v1:ConfigMap", "rstuf-web")).data["nginx.conf"];
      assert.match(conf, /proxy_pass http:\/\/127\.0\.0\.1:8080\$uri;/);
      assert.equal(web.spec.template.spec.serviceAccountName, "rstuf-web");
      const assoc = obj(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "rstuf-web"));
      assert.deepEqual([assoc.namespace, assoc.serviceAccount], ["rstuf", "rstuf-web"]);
      const policy = JSON.parse(obj(run.get("aws:iam/rolePolicy:RolePolicy", "rstuf-web-inline")).policy);
      const actions = policy.Statement.flatMap((s: any) => [s.Action].flat()).sort();
      assert.deepEqual(actions, ["kms:Decrypt", "s3:GetObject"]);
      const svc = obj(run.get("kubernetes:core/v1:Service", "rstuf-metadata"));
      assert.deepEqual(svc.spec.selector, web.spec.selector.matchLabels);
    });
  });

  describe("ha: the prod stack", () => {
    let run: Run;
    before(async () => {
      run = await runStackFile("prod");
    });

    it("runs APIs, workers and web servers in twos or more, spread hard over zones and nodes, with budgets", () => {
      for (const [name, replicas] of [["rstuf-api", 2], ["rstuf-worker", 3], ["rstuf-web", 2]] as const) {
        const d = deployment(run, name);
        assert.equal(d.spec.replicas, replicas, name);
        const keys = d.spec.template.spec.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable]);
        assert.deepEqual(keys, [["topology.kubernetes.io/zone", "DoNotSchedule"], ["kubernetes.io/hostname", "DoNotSchedule"]]);
        assert.equal(obj(run.get("kubernetes:policy/v1:PodDisruptionBudget", name)).spec.maxUnavailable, 1);
      }
      assert.equal(obj(run.get("aws:rds/instance:Instance", "rstuf-db-db")).multiAz, true);
      const group = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "rstuf-cache-redis"));
      assert.equal(group.automaticFailoverEnabled, true);
    });

    it("puts the API behind an internal HTTPS endpoint for allowedCidrs only, and the metadata on a public one", () => {
      const api = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "rstuf-api"));
      assert.equal(api.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internal");
      assert.deepEqual(JSON.parse(api.metadata.annotations["alb.ingress.kubernetes.io/conditions.rstuf-api"]), [{ field: "source-ip", sourceIpConfig: { values: ["10.0.0.0/16"] } }]);
      assert.equal(api.spec.rules[0].host, "rstuf-api.trust.example.org");
      const md = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "rstuf-metadata"));
      assert.equal(md.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
      assert.equal(md.metadata.annotations["alb.ingress.kubernetes.io/healthcheck-path"], "/health");
      assert.equal(md.spec.rules[0].host, "rstuf-metadata.trust.example.org");
      const out = plain<any>(run.outputs.endpoints);
      assert.equal(out["rstuf-api"], "https://rstuf-api.trust.example.org");
      assert.equal(out["rstuf-metadata"], "https://rstuf-metadata.trust.example.org");
    });

    it("keeps the migration a single Job of the new version, which every worker waits for", () => {
      const j = job(run, "rstuf-migrate");
      assert.equal(obj(j).spec.template.spec.containers[0].image, containerOf(deployment(run, "rstuf-worker"), "worker").image);
      const w = run.get(DEPLOYMENT, "rstuf-worker");
      const migrate = run.resources.find((r) => r.type === "trust-services:index:Task" && r.name === "rstuf-migrate")!;
      assert.ok(w.dependencies.includes(migrate.urn) || w.dependencies.includes(j.urn));
    });
  });

  describe("settings that change the shape", () => {
    it("ha on a ReadWriteMany volume: the workers share an EFS claim that a separate web server mounts read-only", async () => {
      const run = await runStack({ ...REGION, topology: "ha", rstuf: { storage: { backend: "local" } } });
      await valid(run);
      const claim = obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "rstuf-worker-storage"));
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteMany"]);
      assert.equal(claim.spec.storageClassName, plain<any>(run.outputs.cluster).storageClasses.shared);
      const web = deployment(run, "rstuf-web");
      assert.equal(volume(web, "storage").persistentVolumeClaim.claimName, "rstuf-worker-storage");
      assert.equal(mountAt(containerOf(web, "nginx"), RSTUF_STORAGE_PATH).readOnly, true);
      assert.notEqual(deployment(run, "rstuf-worker").spec.strategy?.type, "Recreate");
    });

    it("a public API serves without its admin routers; an internal admin API keeps them for the ceremony and the bootstrap", async () => {
      const run = await runStack({
        ...REGION,
        endpoints: { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" },
        rstuf: { exposure: { api: "public", allowedCidrs: ["198.51.100.0/24"] }, bootstrap: { payload: JSON.stringify({ settings: {}, metadata: { root: {} } }) } },
      });
      await valid(run);
      const pub = env(containerOf(deployment(run, "rstuf-api"), "api"));
      assert.equal(pub.RSTUF_DISABLE_ENDPOINTS, RSTUF_ADMIN_ROUTERS.join(":"));
      assert.equal(pub.RSTUF_DISABLE_ENDPOINTS, "/api/v1/bootstrap/:/api/v1/config/:/api/v1/metadata/:/api/v1/delegations/");
      assert.equal(env(containerOf(deployment(run, "rstuf-api-admin"), "api")).RSTUF_DISABLE_ENDPOINTS, undefined);
      const ing = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "rstuf-api"));
      assert.equal(ing.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
      assert.match(ing.metadata.annotations["alb.ingress.kubernetes.io/conditions.rstuf-api"], /198\.51\.100\.0\/24/);
      assert.equal(run.find("kubernetes:networking.k8s.io/v1:Ingress", "rstuf-api-admin"), undefined);
      // The bootstrap Job talks to the admin API, after it and the workers are up.
      const b = job(run, "rstuf-bootstrap");
      const c = obj(b).spec.template.spec.containers[0];
      assert.equal(env(c).RSTUF_API, "http://rstuf-api-admin.rstuf.svc.cluster.local:8080");
      const task = run.resources.find((r) => r.type === "trust-services:index:Task" && r.name === "rstuf-bootstrap")!;
      for (const dep of ["rstuf-api-admin", "rstuf-worker"]) assert.ok(task.dependencies.includes(run.get(DEPLOYMENT, dep).urn), `bootstrap waits for ${dep}`);
      // The admin API admits the bootstrap Job's pods (a peer whose selector picks them), which talk to it.
      const jobLabels = obj(b).spec.template.metadata.labels;
      const adminIn = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "rstuf-api-admin-ingress"));
      const peers = adminIn.spec.ingress.flatMap((r: any) => r.from.map((f: any) => f.podSelector?.matchLabels).filter(Boolean));
      assert.ok(peers.some((sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => jobLabels[k] === v)), "a peer selecting the Job's pods");
      assert.equal(plain<any>(run.outputs.rstuf).apiUrl, "http://rstuf-api-admin.rstuf.svc.cluster.local:8080", "the in-cluster API with every router");
    });

    it("a given ECDSA P-256 online key is mounted under the id securesystemslib computes for it", async () => {
      const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const pem = String(privateKey.export({ type: "pkcs8", format: "pem" }));
      const run = await runStack({ ...REGION, rstuf: { onlineKey: { privateKey: pem } } });
      const expected = sslibCheck(pem);
      assert.deepEqual([expected.keytype, expected.scheme], ["ecdsa", "ecdsa-sha2-nistp256"]);
      const out = plain<any>(run.outputs.rstuf);
      assert.equal(out.onlineKeyId, expected.keyid);
      assert.deepEqual(Object.keys(obj(run.get("kubernetes:core/v1:Secret", "rstuf-online-key")).stringData), [expected.keyid]);
      assert.equal(run.find("tls:index/privateKey:PrivateKey", "rstuf-online-key"), undefined);
      assert.ok(!JSON.stringify(run.outputs).includes("PRIVATE KEY"), "the private key is in no output");
    });

    it("an AWS KMS online key: no key file, kms:Sign and GetPublicKey on that key only, the key's region", async () => {
      const arn = "arn:aws:kms:eu-central-1:123456789012:key/0b5e9e7c-4a2f-4c3e-9d1a-2f7e1c6b8a90";
      const run = await runStack({ ...REGION, rstuf: { onlineKey: { awsKmsKeyArn: arn } } });
      await valid(run);
      const w = deployment(run, "rstuf-worker");
      const e = env(containerOf(w, "worker"));
      assert.equal(e.RSTUF_ONLINE_KEY_DIR, undefined);
      assert.equal(e.RSTUF_AWS_DEFAULT_REGION, "eu-central-1");
      assert.equal(volume(w, "online-key"), undefined);
      assert.equal(plain<any>(run.outputs.rstuf).onlineKeyUri, `awskms:${arn}`);
      const doc = JSON.parse(obj(run.get("aws:iam/userPolicy:UserPolicy", "rstuf-worker")).policy);
      const kms = doc.Statement.find((s: any) => s.Sid === "OnlineKey");
      assert.deepEqual([kms.Action, kms.Resource], [["kms:Sign", "kms:GetPublicKey"], arn]);
    });
  });

  it("the worker's liveness check (python3) passes only while both Celery programs run", async function () {
    this.timeout(20_000);
    const { spawn } = await import("child_process");
    const check = () => spawnSync(PYTHON, ["-c", WORKER_ALIVE]).status;
    const started: Array<ReturnType<typeof spawn>> = [];
    const sleeper = (...argv: string[]) => {
      const p = spawn(PYTHON, ["-c", "import time; time.sleep(60)", ...argv]);
      started.push(p);
      return p;
    };
    const stop = async (p: ReturnType<typeof spawn>) => {
      p.kill("SIGKILL");
      if (p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once("exit", r));
    };
    const settle = () => new Promise((r) => setTimeout(r, 300));
    // Stand-ins with the command lines supervisor.conf gives the two programs.
    const program = (queue: string) => sleeper("/usr/local/bin/celery", "-A", "app", "worker", "-Q", queue);
    try {
      assert.equal(check(), 1, "no Celery");
      const signing = program("metadata_repository");
      const jobs = program("rstuf_internals");
      await settle();
      assert.equal(check(), 0, "both programs");
      await stop(jobs);
      assert.equal(check(), 1, "the jobs program (beat) is gone");
      // The title Celery sets with setproctitle (not in the v1.0.2 image; a later one may have it).
      const titled = sleeper("[celeryd: rstuf_jobs@w:MainProcess] -active- (worker -B -l info -Q rstuf_internals -n rstuf_jobs@w)");
      await settle();
      assert.equal(check(), 0, "a titled jobs program");
      await stop(titled);
      await stop(signing);
      // Another copy of the check (a probe that outlived its timeout) is no Celery.
      const copy = spawn(PYTHON, ["-c", `import time; time.sleep(60)\n${WORKER_ALIVE}`]);
      started.push(copy);
      await settle();
      assert.equal(check(), 1, "a copy of the check alone");
    } finally {
      for (const p of started) p.kill("SIGKILL");
    }
  });

  it("keeps the previous online key's file beside the new one during a rotation", async () => {
    const pem = () => String(crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    const [next, previous] = [pem(), pem()];
    const run = await runStack({ ...REGION, rstuf: { onlineKey: { privateKey: next, previousPrivateKey: previous } } });
    const files = Object.keys(obj(run.get("kubernetes:core/v1:Secret", "rstuf-online-key")).stringData).sort();
    assert.deepEqual(files, [sslibKey(next).keyid, sslibKey(previous).keyid].sort());
    assert.equal(plain<any>(run.outputs.rstuf).onlineKeyId, sslibKey(next).keyid);
  });

  it("knows the RDS root CAs of every commercial region but the ones it lists, and falls back to require there", async () => {
    const aws = await import("@pulumi/aws");
    const regions = Object.values((aws as any).Region as Record<string, string>).filter((r) => !/^(cn|us-gov|us-iso[a-z]*|eu-isoe|eusc)-/.test(r));
    const unknown = regions.filter((r) => rdsCaBundle(r) === undefined).sort();
    assert.deepEqual(unknown, [...RDS_CA_UNKNOWN_REGIONS].sort());
    for (const r of regions.filter((x) => !unknown.includes(x))) assert.equal((rdsCaBundle(r)!.match(/BEGIN CERTIFICATE/g) ?? []).length, 3, r);
    const run = await runStack({ "aws:region": "mx-central-1", topology: "external-db", rstuf: {} });
    const e = env(containerOf(deployment(run, "rstuf-worker"), "worker"));
    assert.equal(e.PGSSLMODE, "require");
    assert.equal(e.PGSSLROOTCERT, undefined);
  });

  it("moves from a PEM online key to KMS with the PEM file still mounted until root names the KMS key", async () => {
    const previous = String(crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    const arn = "arn:aws:kms:eu-west-1:123456789012:key/0b5e9e7c-4a2f-4c3e-9d1a-2f7e1c6b8a90";
    const run = await runStack({ ...REGION, rstuf: { onlineKey: { awsKmsKeyArn: arn, previousPrivateKey: previous } } });
    assert.deepEqual(Object.keys(obj(run.get("kubernetes:core/v1:Secret", "rstuf-online-key")).stringData), [sslibKey(previous).keyid]);
    const e = env(containerOf(deployment(run, "rstuf-worker"), "worker"));
    assert.equal(e.RSTUF_ONLINE_KEY_DIR, RSTUF_ONLINE_KEY_DIR);
    assert.equal(plain<any>(run.outputs.rstuf).onlineKeyUri, `awskms:${arn}`);
  });

  it("counts a CPU limit as whole CPUs for Celery's process count", () => {
    assert.deepEqual(["2", "1500m", "250m", "1", "0.5"].map(cpuCount), [2, 2, 1, 1, 1]);
  });

  describe("the online key id (keyid.ts) against the RSTUF CLI's own test vectors", () => {
    const vectors = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "rstuf-cli-keys.json"), "utf8")).keys as Array<{ path: string; keyid: string; keytype: string; scheme: string; publicPem: string }>;
    for (const v of vectors) {
      it(`${v.keytype} ${v.path.split("/").pop()}: the id the CLI computed`, () => {
        const k = sslibKey(v.publicPem);
        assert.deepEqual([k.keytype, k.scheme, k.keyid], [v.keytype, v.scheme, v.keyid]);
      });
    }

    it("an EC key whose point is compressed gets the id of its uncompressed form, as pyca re-serialises it", () => {
      const r = spawnSync("sh", ["-c", "openssl ecparam -name prime256v1 -genkey -noout | openssl ec -conv_form compressed 2>/dev/null"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const compressedPrivate = r.stdout;
      const pub = crypto.createPublicKey(crypto.createPrivateKey(compressedPrivate));
      assert.equal(pub.export({ type: "spki", format: "der" }).length, 59, "OpenSSL keeps the point compressed");
      const uncompressed = String(crypto.createPublicKey({ key: pub.export({ format: "jwk" }), format: "jwk" }).export({ type: "spki", format: "pem" }));
      assert.equal(sslibKey(compressedPrivate).keyid, sslibKey(uncompressed).keyid);
      assert.equal(sslibKey(compressedPrivate).keyval.public, uncompressed);
      assert.equal(publicKeyPem(compressedPrivate), uncompressed);
      // The RSTUF CLI's JJ.pub, its point compressed by openssl: still the id the CLI computed.
      const jj = vectors.find((v) => v.path.endsWith("JJ.pub"))!;
      const c = spawnSync("openssl", ["ec", "-pubin", "-conv_form", "compressed"], { input: jj.publicPem, encoding: "utf8" });
      assert.equal(c.status, 0, c.stderr);
      assert.equal(crypto.createPublicKey(c.stdout).export({ type: "spki", format: "der" }).length, 59);
      assert.equal(sslibKey(c.stdout).keyid, jj.keyid);
      // (Not checked with this machine's python3: Debian's pyca/cryptography 38 keeps the point compressed,
      // a current one, as the CLI runs, writes it uncompressed: 48, run for upstream/rstuf.md §7.)
    });
  });

  describe("the online key id (keyid.ts) against securesystemslib (its canonical JSON and signature check)", () => {
    for (const [what, gen] of [
      ["Ed25519", () => crypto.generateKeyPairSync("ed25519")],
      ["ECDSA P-256", () => crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" })],
      ["RSA 3072", () => crypto.generateKeyPairSync("rsa", { modulusLength: 3072 })],
    ] as const) {
      it(`${what}: same key type, scheme and id; securesystemslib verifies a signature with that key`, () => {
        const { privateKey } = (gen as () => crypto.KeyPairKeyObjectResult)();
        const pem = String(privateKey.export({ type: "pkcs8", format: "pem" }));
        const ours = sslibKey(pem);
        const theirs = sslibCheck(pem);
        assert.deepEqual([ours.keytype, ours.scheme, ours.keyid], [theirs.keytype, theirs.scheme, theirs.keyid]);
      });
    }

    it("refuses keys the worker cannot sign with (P-384, Ed448)", () => {
      assert.throws(() => sslibKey(String(crypto.generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({ type: "pkcs8", format: "pem" }))), /P-256/);
      assert.throws(() => sslibKey(String(crypto.generateKeyPairSync("ed448").privateKey.export({ type: "pkcs8", format: "pem" }))), /ed448/);
    });
  });

  describe("the bootstrap Job's script (python3 against a loopback API)", () => {
    /** Runs the script against an API stub answering as API v1.0.1 does; returns its exit code and the requests it made. */
    async function bootstrap(
      initial: Record<string, unknown>,
      taskStates: Array<string | number>,
      opts: { afterPost?: Record<string, unknown>; staleSeconds?: string } = {},
    ): Promise<{ status: number | null; calls: string[]; body?: string; stdout: string; stderr: string }> {
      let state = initial;
      const calls: string[] = [];
      let body: string | undefined;
      const server = http.createServer((req, res) => {
        let data = "";
        req.on("data", (d) => (data += d));
        req.on("end", () => {
          calls.push(`${req.method} ${req.url}`);
          const send = (code: number, v: unknown): void => void res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(v));
          const task = /^\/api\/v1\/task\/\?task_id=(\w+)$/.exec(req.url ?? "");
          if (req.url === "/api/v1/bootstrap/" && req.method === "GET") send(200, { data: state, message: "" });
          else if (req.url === "/api/v1/bootstrap/" && req.method === "POST") {
            body = data;
            if (state.bootstrap === true || state.state) send(404, { detail: { error: "System already has a Metadata." } });
            else {
              if (opts.afterPost) state = opts.afterPost;
              send(202, { data: { task_id: "t1", last_update: "now" }, message: "Bootstrap accepted." });
            }
          } else if (task) {
            // A number is an HTTP error of a proxy in the way (a replaced API pod).
            const next = taskStates.shift() ?? "SUCCESS";
            if (typeof next === "number") send(next, {});
            else send(200, { data: { task_id: task[1], state: next, result: {} }, message: "Task state." });
          } else send(404, {});
        });
      });
      const port = await freePort();
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
      const os = await import("os");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-boot-"));
      fs.writeFileSync(path.join(dir, "bootstrap.py"), BOOTSTRAP_SCRIPT);
      fs.writeFileSync(path.join(dir, "payload.json"), '{"settings":{},"metadata":{"root":{}}}');
      const { spawn } = await import("child_process");
      const p = spawn(PYTHON, [path.join(dir, "bootstrap.py")], { env: { RSTUF_API: `http://127.0.0.1:${port}`, PAYLOAD: path.join(dir, "payload.json"), POLL_SECONDS: "0.05", RETRY_SECONDS: "0.05", STALE_SECONDS: opts.staleSeconds ?? "60" } });
      let stderr = "";
      let stdout = "";
      p.stderr.on("data", (d) => (stderr += d));
      p.stdout.on("data", (d) => (stdout += d));
      const status = await new Promise<number | null>((r) => p.on("exit", r));
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
      return { status, calls, body, stdout, stderr };
    }

    it("sends the payload once and follows its task to SUCCESS, through a failing proxy", async function () {
      this.timeout(30_000);
      const r = await bootstrap({ bootstrap: false, state: null, id: null }, ["PENDING", 503, "RUNNING"]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.calls.slice(0, 2), ["GET /api/v1/bootstrap/", "POST /api/v1/bootstrap/"]);
      assert.equal(r.body, '{"settings":{},"metadata":{"root":{}}}');
      assert.equal(r.calls.filter((c) => c.startsWith("GET /api/v1/task/?task_id=t1")).length, 4);
    });

    it("leaves a bootstrapped repository, or one waiting for root signatures, alone", async () => {
      for (const state of [{ bootstrap: true, state: "finished", id: "x" }, { bootstrap: false, state: "signing", id: "x" }]) {
        const r = await bootstrap(state, []);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, ["GET /api/v1/bootstrap/"]);
      }
    });

    it("follows a bootstrap under way instead of sending another, and fails when that one failed", async function () {
      this.timeout(30_000);
      const ok = await bootstrap({ bootstrap: false, state: "pre", id: "x7" }, ["STARTED", "SUCCESS"]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(ok.calls, ["GET /api/v1/bootstrap/", "GET /api/v1/task/?task_id=x7", "GET /api/v1/task/?task_id=x7", "GET /api/v1/bootstrap/"]);
      const stale = await bootstrap({ bootstrap: false, state: "pre", id: "x7" }, ["FAILURE"]);
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /bootstrap task x7: FAILURE/);
      assert.ok(!stale.calls.some((c) => c.startsWith("POST")));
    });

    it("says a bootstrap that waits for root signatures does, and fails on a stale pre lock", async function () {
      this.timeout(30_000);
      // After SUCCESS the state reads signing-<id>: the root lacks its threshold.
      const signing = await bootstrap({ bootstrap: false, state: null, id: null }, ["SUCCESS"], { afterPost: { bootstrap: false, state: "signing", id: "t1" } });
      assert.equal(signing.status, 0, signing.stderr);
      assert.match(signing.stdout, /waits for root signatures/);
      // A pre lock whose task Celery no longer knows: PENDING for ever.
      const stale = await bootstrap({ bootstrap: false, state: "pre", id: "gone" }, Array(200).fill("PENDING"), { staleSeconds: "0.3" });
      assert.equal(stale.status, 1);
      assert.match(stale.stderr, /stale pre lock/);
    });

    it("refuses a state it does not know, sending nothing", async () => {
      const r = await bootstrap({ bootstrap: false, state: "unknown", id: null }, []);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /unexpected bootstrap state 'unknown'/);
      assert.deepEqual(r.calls, ["GET /api/v1/bootstrap/"]);
    });

    it("fails the Job (to be retried) when the bootstrap task fails or errs", async function () {
      this.timeout(30_000);
      for (const end of ["FAILURE", "ERRORED"]) {
        const r = await bootstrap({ bootstrap: false, state: null, id: null }, [end]);
        assert.equal(r.status, 1);
        assert.match(r.stderr, new RegExp(`bootstrap task t1: ${end}`));
      }
    });
  });
});
