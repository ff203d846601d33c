/**
 * Pulp in its three topologies: the settings.py the pods read (run by
 * python3, values asserted), the Jobs and their order against the rollout,
 * the mounts at the paths settings.py names, the keys in the formats pulpcore
 * reads (a Fernet key checked by python3's cryptography, the token pair by
 * openssl), storage, TLS to the stores, Services and the endpoint, scaling and
 * the HA properties; and the web server run for real: nginx on the program's
 * configuration, routing to loopback stand-ins of the API and the content app.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { PULP_PATHS, SET_ADMIN_PASSWORD, WORKER_ALIVE } from "../components/services/pulp";
import { pulpSettingsPy, pythonLiteral } from "../components/services/pulp/settings-file";
import { pulpNginxConf } from "../components/services/pulp/web";
import { DependencyGraph } from "./graph";
import { isSecretValue, plain, Recorded, Run, runStack, runStackFile } from "./harness";
import { once, tempDir, valid } from "./checks";
import { freePort, NginxServer, startNginx } from "./servers";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const REGION = { "aws:region": "eu-west-1" };
const PYTHON = "/usr/bin/python3";
const ROLES = ["api", "content", "worker"] as const;

const deployment = (run: Run, role: string) => obj(run.get(DEPLOYMENT, `pulp-${role}`));
const podOf = (d: Record<string, any>) => d.spec.template.spec;
const main = (d: Record<string, any>) => podOf(d).containers[0];
const env = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const mountAt = (c: any, p: string) => (c.volumeMounts ?? []).find((m: any) => m.mountPath === p);
const volumeOf = (d: Record<string, any>, name: string) => podOf(d).volumes.find((v: any) => v.name === name);
const jobOf = (run: Run, task: string) => {
  const t = run.resources.find((r) => r.type === "trust-services:index:Task" && r.name === task)!;
  assert.ok(t, `Task ${task}`);
  return run.ofType("kubernetes:batch/v1:Job").find((j) => j.parent === t.urn)!;
};

/** settings.py run by python3: every upper-case name it defines, as JSON. */
function runSettings(py: string): Record<string, any> {
  const script = "import json, sys\nns = {}\nexec(compile(sys.stdin.read(), 'settings.py', 'exec'), ns)\nprint(json.dumps({k: v for k, v in ns.items() if k.isupper()}))";
  const r = spawnSync(PYTHON, ["-c", script], { input: py, encoding: "utf8" });
  assert.equal(r.status, 0, `python3 refused settings.py: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const settingsOf = (run: Run) => runSettings(plain<any>(run.get("kubernetes:core/v1:Secret", "pulp-settings").inputs.stringData)["settings.py"]);
const secretData = (run: Run, name: string) => plain<Record<string, string>>(run.get("kubernetes:core/v1:Secret", name).inputs.stringData);

/** What every topology shares: the files settings.py names are mounted where it names them; the keys' formats; the Jobs' order. */
function commonChecks(get: () => Run) {
  it("is valid against the Kubernetes schema and passes the policy suite", async () => valid(get()));

  it("mounts settings.py, the keys and the CAs where settings.py names them, in every Pulp pod and Job", () => {
    const run = get();
    const s = settingsOf(run);
    const keys = secretData(run, "pulp-keys");
    assert.equal(s.DB_ENCRYPTION_KEY, PULP_PATHS.dbKey);
    assert.equal(path.dirname(s.PRIVATE_KEY_PATH), PULP_PATHS.keys);
    for (const p of [s.DB_ENCRYPTION_KEY, s.PRIVATE_KEY_PATH, s.PUBLIC_KEY_PATH]) assert.ok(path.basename(p) in keys, `${p} is a key of pulp-keys`);
    const pods = [...ROLES.map((r) => ({ name: r, spec: podOf(deployment(run, r)) })), ...["pulp-migrate", "pulp-admin-password"].map((t) => ({ name: t, spec: obj(jobOf(run, t)).spec.template.spec }))];
    for (const p of pods) {
      const c = p.spec.containers[0];
      const settings = mountAt(c, PULP_PATHS.settings);
      assert.ok(settings, `${p.name}: settings.py`);
      assert.equal(settings.subPath, "settings.py");
      assert.equal(p.spec.volumes.find((v: any) => v.name === settings.name).secret.secretName, "pulp-settings");
      const keyMount = mountAt(c, PULP_PATHS.keys);
      assert.equal(p.spec.volumes.find((v: any) => v.name === keyMount.name).secret.secretName, "pulp-keys", `${p.name}: the keys`);
      if (s.DATABASES.default.OPTIONS.sslrootcert) {
        const certs = mountAt(c, PULP_PATHS.certs);
        const source = p.spec.volumes.find((v: any) => v.name === certs.name).configMap;
        assert.ok(source.items.some((i: any) => `${PULP_PATHS.certs}/${i.path}` === s.DATABASES.default.OPTIONS.sslrootcert), `${p.name}: the database CA at ${s.DATABASES.default.OPTIONS.sslrootcert}`);
      }
      assert.equal(p.spec.securityContext.fsGroup, 700, `${p.name}: the pulp group reads the keys`);
      assert.equal(c.securityContext.runAsUser, 700, `${p.name}: the pulp user (the image's default is root)`);
    }
  });

  it("keeps a Fernet key and an ES256 token pair in the formats pulpcore reads (python3's cryptography, openssl)", () => {
    const run = get();
    const keys = secretData(run, "pulp-keys");
    const r = spawnSync(PYTHON, ["-c", "import sys; from cryptography.fernet import Fernet; f = Fernet(sys.stdin.read().strip().encode()); assert f.decrypt(f.encrypt(b'ok')) == b'ok'"], { input: keys["database_fields.symmetric.key"], encoding: "utf8" });
    assert.equal(r.status, 0, `not a Fernet key: ${r.stderr}`);
    assert.match(keys["database_fields.symmetric.key"], /^[A-Za-z0-9_-]{43}=\n$/);
    const priv = crypto.createPrivateKey(keys["container_auth_private_key.pem"]);
    assert.equal(priv.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const check = spawnSync("openssl", ["pkey", "-pubout"], { input: keys["container_auth_private_key.pem"], encoding: "utf8" });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.stdout, keys["container_auth_public_key.pem"], "the public key is the private key's");
    assert.ok(isSecretValue(run.get("kubernetes:core/v1:Secret", "pulp-keys").inputs.stringData) || isSecretValue((run.get("kubernetes:core/v1:Secret", "pulp-keys").inputs.stringData as any)["database_fields.symmetric.key"]));
  });

  it("migrates before any Pulp pod of the version starts, then sets the admin password from the environment", () => {
    const run = get();
    const migrate = jobOf(run, "pulp-migrate");
    assert.deepEqual(obj(migrate).spec.template.spec.containers[0].command, ["/usr/local/bin/pulpcore-manager", "migrate", "--noinput"]);
    const graph = new DependencyGraph(run);
    for (const r of ROLES) assert.ok(graph.upstream(run.get(DEPLOYMENT, `pulp-${r}`)).has(migrate.urn), `${r} waits for the migration`);
    const admin = jobOf(run, "pulp-admin-password");
    assert.ok(graph.upstream(admin).has(migrate.urn), "the admin password after the migration");
    const c = obj(admin).spec.template.spec.containers[0];
    assert.deepEqual(c.command.slice(0, 3), ["/usr/local/bin/pulpcore-manager", "shell", "-c"]);
    assert.deepEqual(env(c).ADMIN_PASSWORD, { secretKeyRef: { name: "pulp-admin", key: "password" } });
    assert.ok(!Object.keys(env(c)).some((k) => k.startsWith("PULP_") && k !== "PULP_SETTINGS"), "no PULP_* variable dynaconf would read as a setting");
    const password = secretData(run, "pulp-admin").password;
    assert.ok(password.length >= 16);
    assert.ok(!JSON.stringify(c.command).includes(password), "the password is in no argument");
    // The pods' own entrypoints wait for PostgreSQL and the migrations too (pulp-oci-images assets).
    assert.deepEqual(main(deployment(run, "api")).command, ["/usr/bin/pulp-api"]);
    assert.deepEqual(main(deployment(run, "content")).command, ["/usr/bin/pulp-content"]);
    assert.deepEqual(main(deployment(run, "worker")).command, ["/usr/bin/pulp-worker"]);
  });

  it("probes the API by livez (alive) and status (ready), the content app by its root, a worker by its heartbeat", () => {
    const run = get();
    const api = main(deployment(run, "api"));
    assert.equal(api.livenessProbe.httpGet.path, "/pulp/api/v3/livez/");
    assert.equal(api.readinessProbe.httpGet.path, "/pulp/api/v3/status/");
    // Django refuses a Host it does not allow (the kubelet would send the pod's IP): the probes name the API.
    const allowed = settingsOf(run).ALLOWED_HOSTS;
    for (const p of [api.startupProbe, api.livenessProbe, api.readinessProbe]) {
      const host = p.httpGet.httpHeaders.find((h: any) => h.name === "Host").value;
      assert.ok(allowed.includes(host), `probe Host ${host} is allowed`);
    }
    // By its port: GET /pulp/content/ renders every distribution from the database.
    assert.deepEqual(main(deployment(run, "content")).readinessProbe.tcpSocket, { port: 24816 });
    assert.deepEqual(main(deployment(run, "content")).livenessProbe.tcpSocket, { port: 24816 });
    const worker = main(deployment(run, "worker"));
    assert.deepEqual(worker.livenessProbe.exec.command, ["/usr/local/bin/pulpcore-manager", "shell", "-c", WORKER_ALIVE]);
    assert.equal(podOf(deployment(run, "worker")).terminationGracePeriodSeconds, 3600, "a stopping worker finishes its task");
    // With one volume (Recreate), `pulp up` waits for the old pods to stop, a worker's task included.
    const recreate = deployment(run, "worker").spec.strategy?.type === "Recreate";
    for (const r of ROLES) {
      const t = run.get(DEPLOYMENT, `pulp-${r}`).customTimeouts;
      if (recreate) assert.deepEqual(t, { create: "70m", update: "70m", delete: "" }, r);
      else assert.ok(!t || t.update === "", `${r}: a rolling update does not wait for stopping pods`);
    }
  });

  it("routes one origin through the web server: its Service, its upstreams, the settings' CONTENT_ORIGIN and allowed hosts", () => {
    const run = get();
    const s = settingsOf(run);
    const conf = plain<any>(obj(run.get("kubernetes:core/v1:ConfigMap", "pulp-web")).data)["nginx.conf"];
    assert.match(conf, /upstream pulp-api \{ server pulp-api\.pulp\.svc\.cluster\.local:24817;/);
    assert.match(conf, /upstream pulp-content \{ server pulp-content\.pulp\.svc\.cluster\.local:24816;/);
    for (const [svc, port] of [["pulp-api", 24817], ["pulp-content", 24816], ["pulp-web", 8080]] as const) {
      assert.deepEqual(obj(run.get("kubernetes:core/v1:Service", svc)).spec.ports.map((p: any) => p.port), [port]);
    }
    const origin = new URL(s.CONTENT_ORIGIN);
    assert.ok(s.ALLOWED_HOSTS.includes(origin.hostname), "the origin's host is allowed");
    assert.ok(s.ALLOWED_HOSTS.includes("pulp-web.pulp.svc.cluster.local"), "in-cluster clients too");
    assert.equal(s.CACHE_ENABLED, true, "the content cache (on-demand content) is on");
    assert.equal(plain<any>(run.rawOutputs).pulp.contentOrigin, s.CONTENT_ORIGIN);
  });
}

const devRun = once(() => runStackFile("dev"));
const prodRun = once(() => runStackFile("prod"));

describe("Pulp", function () {
  this.timeout(120_000);

  describe("single: the dev stack", () => {
    let run: Run;
    before(async () => {
      run = await devRun();
    });
    commonChecks(() => run);

    it("reads PostgreSQL and Redis in the cluster over verified TLS, with the service's CA", () => {
      const s = settingsOf(run);
      const db = s.DATABASES.default;
      assert.equal(db.ENGINE, "django.db.backends.postgresql");
      assert.equal(db.HOST, "pulp-postgres.pulp-data.svc.cluster.local");
      assert.deepEqual([db.NAME, db.USER, db.PORT], ["pulp", "pulp", 5432]);
      assert.equal(db.PASSWORD, secretData(run, "pulp-postgres").password);
      assert.deepEqual(db.OPTIONS, { sslmode: "verify-full", sslrootcert: PULP_PATHS.databaseCa, sslcert: PULP_PATHS.databaseClientCert, sslkey: PULP_PATHS.databaseClientKey });
      // The client certificate: issued by the service's CA to the role Pulp logs in as (clientcert=verify-full).
      const client = secretData(run, "pulp-database-client");
      const issued = obj(run.get("tls:index/locallySignedCert:LocallySignedCert", "pulp-postgres-client-cert"));
      assert.equal(issued.caCertPem, run.get("tls:index/selfSignedCert:SelfSignedCert", "pulp-data-ca-cert").state.certPem);
      assert.ok(issued.allowedUses.includes("client_auth"));
      assert.equal(obj(run.get("tls:index/certRequest:CertRequest", "pulp-postgres-client-csr")).subject.commonName, "pulp", "named after the role");
      assert.equal(client["tls.crt"], run.get("tls:index/locallySignedCert:LocallySignedCert", "pulp-postgres-client-cert").state.certPem);
      assert.equal(client["tls.key"], run.get("tls:index/privateKey:PrivateKey", "pulp-postgres-client-key").state.privateKeyPemPkcs8, "its key");
      const hba = plain<any>(obj(run.get("kubernetes:core/v1:ConfigMap", "pulp-postgres-config")).data)["pg_hba.conf"];
      assert.match(hba, /hostssl\s+all\s+all\s+all\s+scram-sha-256\s+clientcert=verify-full/, "PostgreSQL requires the certificate");
      for (const r of ROLES) {
        const d = deployment(run, r);
        assert.equal(volumeOf(d, mountAt(main(d), PULP_PATHS.clientCertificates).name).secret.secretName, "pulp-database-client", `${r}: the client certificate`);
      }
      const ca = run.get("tls:index/selfSignedCert:SelfSignedCert", "pulp-data-ca-cert").state.certPem;
      const certs = plain<Record<string, string>>(obj(run.get("kubernetes:core/v1:ConfigMap", "pulp-certs")).data);
      assert.equal(certs["database-ca.crt"], ca);
      assert.equal(certs["cache-ca.crt"], ca);
      assert.deepEqual([s.REDIS_HOST, s.REDIS_PORT, s.REDIS_SSL, s.REDIS_SSL_CA_CERTS], ["pulp-redis.pulp-data.svc.cluster.local", 6379, true, PULP_PATHS.cacheCa]);
      assert.equal(s.REDIS_PASSWORD, secretData(run, "pulp-redis").password, "AUTH");
      const pg = obj(run.get("kubernetes:apps/v1:StatefulSet", "pulp-postgres")).spec.template.spec.containers[0];
      assert.ok(pg.args.includes("ssl=on"), "PostgreSQL serves TLS only");
    });

    it("keeps /var/lib/pulp on one ReadWriteOnce volume, every Pulp pod on its node, rolling by Recreate", () => {
      const s = settingsOf(run);
      assert.equal(s.MEDIA_ROOT, PULP_PATHS.media);
      assert.equal(s.STORAGES, undefined);
      const claim = obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "pulp-var-lib-pulp"));
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
      for (const r of ROLES) {
        const d = deployment(run, r);
        assert.equal(d.spec.replicas, 1);
        assert.equal(d.spec.strategy.type, "Recreate", `${r}: one pod holds the volume at a time`);
        assert.equal(volumeOf(d, mountAt(main(d), PULP_PATHS.varLib).name).persistentVolumeClaim.claimName, "pulp-var-lib-pulp");
        // The first-time layout, made idempotently before the role starts.
        assert.deepEqual(podOf(d).initContainers[0].command, ["mkdir", "-p", PULP_PATHS.media, PULP_PATHS.workingDirectory, `${PULP_PATHS.varLib}/assets`]);
      }
      // All three carry one label and require a node running a pod with it: the first anywhere, the rest (and
      // any replaced pod, the API's included) on the node that holds the volume.
      for (const r of ROLES) {
        const d = deployment(run, r);
        const term = podOf(d).affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
        assert.equal(term.topologyKey, "kubernetes.io/hostname");
        assert.deepEqual(term.labelSelector.matchLabels, { "trust-services.io/shares-volume": "pulp-var-lib-pulp" });
        assert.equal(d.spec.template.metadata.labels["trust-services.io/shares-volume"], "pulp-var-lib-pulp", `${r} matches the term itself`);
      }
      assert.equal(s.CONTENT_ORIGIN, "http://pulp-web.pulp.svc.cluster.local:8080");
    });
  });

  describe("external-db", () => {
    let run: Run;
    before(async () => {
      run = await runStack({ ...REGION, topology: "external-db", pulp: {} });
    });
    commonChecks(() => run);

    it("uses RDS (verify-full with the region's RDS CAs), ElastiCache (TLS, AUTH) and S3 through Pod Identity with a scratch volume", () => {
      const s = settingsOf(run);
      assert.match(s.DATABASES.default.HOST, /\.rds\.amazonaws\.com$/);
      assert.equal(s.DATABASES.default.OPTIONS.sslmode, "verify-full");
      assert.match(plain<Record<string, string>>(obj(run.get("kubernetes:core/v1:ConfigMap", "pulp-certs")).data)["database-ca.crt"], /BEGIN CERTIFICATE/);
      assert.equal(s.REDIS_SSL, true);
      assert.equal(s.REDIS_SSL_CA_CERTS, undefined, "ElastiCache's certificate is publicly trusted");
      assert.ok(s.REDIS_PASSWORD, "the AUTH token");
      assert.equal(s.MEDIA_ROOT, "");
      assert.equal(s.STORAGES.default.BACKEND, "storages.backends.s3.S3Storage");
      assert.match(s.STORAGES.default.OPTIONS.bucket_name, /^pulp-artifacts-/);
      assert.equal(s.STORAGES.default.OPTIONS.region_name, "eu-west-1");
      assert.equal(s.STORAGES.default.OPTIONS.access_key, undefined, "no static keys: boto3's chain takes Pod Identity's");
      for (const r of ROLES) {
        const d = deployment(run, r);
        assert.equal(podOf(d).serviceAccountName, "pulp-storage");
        const scratch = volumeOf(d, mountAt(main(d), PULP_PATHS.varLib).name);
        assert.equal(scratch.emptyDir.sizeLimit, "10Gi", `${r}: tasks work on a scratch volume of its own`);
        for (const e of main(d).env ?? []) assert.ok(!/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$/.test(e.name));
      }
      const policy = JSON.parse(String(obj(run.get("aws:iam/rolePolicy:RolePolicy", "pulp-storage-inline")).policy));
      assert.deepEqual(policy.Statement.find((x: any) => x.Sid === "Artifacts").Action, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]);
      assert.equal(obj(run.get("aws:s3/bucket:Bucket", "pulp-artifacts")).tags["trust-services/dedicated-to"], "pulp");
    });
  });

  describe("ha: the prod stack", () => {
    let run: Run;
    before(async () => {
      run = await prodRun();
    });
    commonChecks(() => run);

    it("runs API, content and web ×2 and workers ×4, spread hard over zones and nodes, with disruption budgets and rolling updates", () => {
      for (const [r, n] of [["api", 2], ["content", 2], ["web", 2], ["worker", 4]] as const) {
        const d = deployment(run, r);
        assert.equal(d.spec.replicas, n, r);
        assert.equal(d.spec.strategy.type, "RollingUpdate", r);
        const keys = podOf(d).topologySpreadConstraints.filter((t: any) => t.whenUnsatisfiable === "DoNotSchedule").map((t: any) => t.topologyKey);
        assert.deepEqual(keys.sort(), ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
        assert.equal(obj(run.get("kubernetes:policy/v1:PodDisruptionBudget", `pulp-${r}`)).spec.maxUnavailable, 1);
      }
      assert.equal(obj(run.get("aws:rds/instance:Instance", "pulp-db-db")).multiAz, true);
      assert.equal(obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "pulp-cache-redis")).automaticFailoverEnabled, true);
    });

    it("serves https://pulp.<domain> for anyone through the web server, and names it as CONTENT_ORIGIN", () => {
      const out = plain<any>(run.rawOutputs);
      assert.equal(out.endpoints.pulp, "https://pulp.trust.example.org");
      const ing = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "pulp"));
      assert.equal(ing.spec.rules[0].host, "pulp.trust.example.org");
      assert.equal(ing.spec.rules[0].http.paths[0].backend.service.name, "pulp-web");
      assert.equal(ing.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
      assert.ok(ing.metadata.annotations["trust-services.io/open-to-anyone"]);
      assert.equal(settingsOf(run).CONTENT_ORIGIN, "https://pulp.trust.example.org");
      assert.equal(settingsOf(run).TOKEN_SERVER, "https://pulp.trust.example.org/token/");
      assert.ok(run.get("kubernetes:core/v1:Secret", "pulp-keys").retainOnDelete, "the database-fields key outlives a destroy in production");
      assert.ok(run.get("random:index/randomBytes:RandomBytes", "pulp-db-fields-key").protect);
    });
  });

  describe("a database-fields key of your own, and image references with a registry port", () => {
    it("uses a given Fernet key instead of generating one, and labels the version from the tag", async () => {
      const key = crypto.randomBytes(32).toString("base64url") + "=";
      const run = await runStack({ ...REGION, pulp: { databaseFieldsKey: key, image: "registry.internal:5000/pulp/pulp-minimal:3.105.16" } });
      assert.equal(secretData(run, "pulp-keys")["database_fields.symmetric.key"], `${key}\n`);
      // The generated key stays in the state (protected in production: never deleted), unused.
      const generated = run.get("random:index/randomBytes:RandomBytes", "pulp-db-fields-key").state.base64 as string;
      assert.ok(!secretData(run, "pulp-keys")["database_fields.symmetric.key"].includes(generated.slice(0, 20).replace(/\+/g, "-").replace(/\//g, "_")));
      assert.equal(deployment(run, "api").metadata.labels["app.kubernetes.io/version"], "3.105.16");
      await valid(run);
    });
  });

  describe("a CA of your own for the in-cluster TLS", () => {
    it("issues the stores' certificates from the given CA, and Pulp trusts it", async () => {
      const dir = tempDir("ts-pulp-ca-");
      const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.pem"), "-subj", "/O=example/CN=pulp ca", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const ca = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
      const key = fs.readFileSync(path.join(dir, "ca.key"), "utf8");
      fs.rmSync(dir, { recursive: true, force: true });
      const run = await runStack({ ...REGION, pulp: { certificateAuthority: { certificate: ca, privateKey: key } } });
      assert.equal(run.ofType("tls:index/selfSignedCert:SelfSignedCert").filter((c) => c.name.startsWith("pulp-data-ca")).length, 0, "no CA generated");
      for (const store of ["pulp-postgres", "pulp-redis"]) {
        assert.equal(obj(run.get("tls:index/locallySignedCert:LocallySignedCert", `${store}-cert`)).caCertPem, ca, `${store}: issued by the given CA`);
      }
      assert.equal(plain<Record<string, string>>(obj(run.get("kubernetes:core/v1:ConfigMap", "pulp-certs")).data)["database-ca.crt"], ca);
      await valid(run);
    });
  });

  describe("settings.py and the scripts, by python3", () => {
    it("writes any password as a Python string literal (quotes, backslashes, newlines, non-ASCII)", () => {
      const nasty = `a"b'c\\d\ne$f{g}é🔑`;
      const s = runSettings(
        pulpSettingsPy({
          secretKey: nasty,
          contentOrigin: "https://pulp.example.org/",
          allowedHosts: ["pulp.example.org"],
          database: { host: "db", port: 5432, name: "pulp", user: "pulp", password: nasty, sslmode: "verify-full", caFile: "/ca" },
          cache: { host: "redis", port: 6379, password: nasty, tls: true },
        }),
      );
      assert.equal(s.SECRET_KEY, nasty);
      assert.equal(s.DATABASES.default.PASSWORD, nasty);
      assert.equal(s.REDIS_PASSWORD, nasty);
      assert.equal(s.CONTENT_ORIGIN, "https://pulp.example.org", "no trailing slash");
      assert.deepEqual(s.SECURE_PROXY_SSL_HEADER, ["HTTP_X_FORWARDED_PROTO", "https"], "links name the scheme the client used");
      assert.equal(pythonLiteral({ a: [true, null, 1] }), '{"a": [True, None, 1]}');
      assert.throws(() => pulpSettingsPy({ secretKey: "k", contentOrigin: "pulp.example.org", allowedHosts: [], database: { host: "db", port: 1, name: "n", user: "u", password: "p", sslmode: "disable" }, cache: { host: "r", port: 1, tls: false } }), /contentOrigin/);
    });

    it("compiles the worker's liveness check and the admin-password script", () => {
      for (const code of [WORKER_ALIVE, SET_ADMIN_PASSWORD]) {
        const r = spawnSync(PYTHON, ["-c", "import sys; compile(sys.stdin.read(), 'probe', 'exec')"], { input: code, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
      }
    });
  });

  describe("the web server, run by nginx against loopback stand-ins of the API and the content app", () => {
    let nginx: NginxServer;
    let dir: string;
    let base: string;
    const hits: Array<{ who: string; url: string; proto?: string; host?: string }> = [];
    const servers: http.Server[] = [];
    before(async () => {
      const start = async (who: string) => {
        const s = http.createServer((req, res) => {
          hits.push({ who, url: req.url ?? "", proto: req.headers["x-forwarded-proto"] as string, host: req.headers.host });
          req.resume();
          req.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(who));
        });
        const port = await freePort();
        await new Promise<void>((r) => s.listen(port, "127.0.0.1", () => r()));
        servers.push(s);
        return port;
      };
      const apiPort = await start("api");
      const contentPort = await start("content");
      dir = tempDir("ts-pulp-web-");
      const port = await freePort();
      const conf = pulpNginxConf({ port, api: `127.0.0.1:${apiPort}`, content: `127.0.0.1:${contentPort}`, tmpDir: dir, accessLog: path.join(dir, "access.log"), maxBodySize: "10m" }).replace(`listen ${port};`, `listen 127.0.0.1:${port};`);
      nginx = await startNginx(conf, port, dir);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      for (const s of servers) await new Promise((r) => s.close(r));
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("sends the API's paths to the API and the content paths to the content app, with the client's host and scheme", async () => {
      const cases: Array<[string, string]> = [
        ["/pulp/api/v3/status/", "api"],
        ["/auth/login/", "api"],
        ["/token/", "api"],
        ["/v2/", "api"],
        ["/assets/rest_framework/css/bootstrap.min.css", "api"],
        ["/pulp/content/file/PULP_MANIFEST", "content"],
        ["/pulp/container/library/blobs/sha256:00", "content"],
      ];
      // http.request: fetch may not set Host.
      const get = (url: string) =>
        new Promise<string>((resolve, reject) => {
          const req = http.request(`${base}${url}`, { headers: { "x-forwarded-proto": "https", host: "pulp.example.org" } }, (res) => {
            let body = "";
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve(body));
          });
          req.on("error", reject);
          req.end();
        });
      for (const [url, who] of cases) {
        assert.equal(await get(url), who, url);
        const hit = hits[hits.length - 1];
        assert.equal(hit.url, url);
        assert.equal(hit.proto, "https");
        assert.equal(hit.host, "pulp.example.org");
      }
    });

    it("refuses API uploads over the limit but lets the registry take image layers of any size", async () => {
      assert.match(pulpNginxConf({ port: 8080, api: "a:1", content: "c:2" }), /^  client_max_body_size 2g;$/m, "the default: 2 GB");
      const big = Buffer.alloc(11 * 1024 * 1024, 1);
      assert.equal((await fetch(`${base}/pulp/api/v3/uploads/`, { method: "POST", body: big })).status, 413);
      assert.equal((await fetch(`${base}/v2/library/blobs/uploads/`, { method: "POST", body: big })).status, 200);
      assert.equal((await fetch(`${base}/health`)).status, 200);
    });
  });
});
