/**
 * Sigstore in its three topologies: Trillian (headless log servers, Lease
 * election with its RBAC, the schema and tree Jobs and the tree-id flow into
 * Rekor and the CT log), the keys and certificates in the formats the servers
 * read (checked by openssl), the trusted root at this deployment's URLs
 * (checked by @sigstore/verify), storage, Redis and MySQL over TLS, endpoints,
 * the HA properties; and the TUF mirror run for real: nginx on the program's
 * configuration, serving the program's files, read by tuf-js from the root
 * the stack outputs.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toTrustMaterial } from "@sigstore/verify";
import { Updater } from "tuf-js";
import * as YAML from "yaml";
import { ELECTION, TRILLIAN_FLAGS_FILE, TRILLIAN_MYSQL_FLAGS } from "../components/services/sigstore/trillian";
import { TREE_ID_PLACEHOLDER } from "../components/services/sigstore/ctlog";
import { tufVersion } from "../components/services/sigstore/tuf-mirror";
import { logId } from "../components/services/sigstore/trust-root";
import { RDS_CA_UNKNOWN_REGIONS } from "../components/aws/rds-ca";
import { DependencyGraph } from "./graph";
import { isSecretValue, plain, Recorded, Run, runStack, runStackFile } from "./harness";
import { once, tempDir, valid } from "./checks";
import { freePort, NginxServer, startNginx } from "./servers";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SECRET = "kubernetes:core/v1:Secret";
const CONFIGMAP = "kubernetes:core/v1:ConfigMap";
const REGION = { "aws:region": "eu-west-1" };
const GITHUB = { issuerUrl: "https://token.actions.githubusercontent.com", type: "github-workflow" };
const ROLES = ["trillian-logserver", "trillian-logsigner", "rekor", "fulcio", "ctlog", "tsa", "tuf"];

const deployment = (run: Run, name: string) => obj(run.get(DEPLOYMENT, `sigstore-${name}`));
const podOf = (d: Record<string, any>) => d.spec.template.spec;
const main = (d: Record<string, any>) => podOf(d).containers[0];
const env = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
const arg = (c: any, flag: string) => {
  const hit = (c.args as string[]).filter((a) => a.startsWith(`${flag}=`));
  assert.equal(hit.length, 1, `one ${flag} in ${JSON.stringify(c.args)}`);
  return hit[0].slice(flag.length + 1);
};
const secretData = (run: Run, name: string) => plain<Record<string, string>>(run.get(SECRET, name).inputs.stringData);
const jobsOf = (run: Run, component: string) =>
  run.ofType("kubernetes:batch/v1:Job").filter((j) => obj(j).spec.template.metadata.labels["app.kubernetes.io/component"] === component && obj(j).metadata.namespace === "sigstore");
const taskNamed = (run: Run, name: string) => run.resources.find((r) => r.type === "trust-services:index:Task" && r.name === name)!;

function openssl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const spki = (pem: string) => crypto.createPublicKey(pem).export({ type: "spki", format: "der" }) as Buffer;

/** The bytes of a text-proto `\xNN` string. */
function protoBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\\x([0-9a-f]{2})/g, "$1"), "hex");
}

/** What every topology shares: Trillian's wiring, the tree-id flow, key formats, the trusted root. */
function commonChecks(get: () => Run, urls: { rekor: RegExp; fulcio: RegExp; tsa: RegExp; ctlog: RegExp }) {
  it("is valid against the Kubernetes schema and passes the policy suite", async () => valid(get()));

  it("runs the log servers behind a headless Service on 8091 (gRPC) and 8090 (HTTP), listening on every address", () => {
    const run = get();
    const svc = obj(run.get("kubernetes:core/v1:Service", "sigstore-trillian-logserver"));
    assert.equal(svc.spec.clusterIP, "None", "headless: clients balance over every pod");
    assert.deepEqual(svc.spec.ports.map((p: any) => p.port).sort(), [8090, 8091]);
    // The DSN comes from a flag file Trillian expands from its environment (cmd/flags.go: os.ExpandEnv),
    // so the password is in no argument.
    const flags = plain<any>(obj(run.get(CONFIGMAP, "sigstore-trillian-flags")).data)[TRILLIAN_FLAGS_FILE];
    assert.equal(flags, TRILLIAN_MYSQL_FLAGS);
    for (const role of ["trillian-logserver", "trillian-logsigner"]) {
      const d = deployment(run, role);
      const c = main(d);
      assert.equal(arg(c, "--rpc_endpoint"), "0.0.0.0:8091");
      assert.equal(arg(c, "--http_endpoint"), "0.0.0.0:8090");
      assert.equal(arg(c, "--config"), `/etc/trillian/${TRILLIAN_FLAGS_FILE}`);
      assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/etc/trillian" && podOf(d).volumes.find((v: any) => v.name === m.name).configMap.name === "sigstore-trillian-flags"));
      assert.ok(!c.args.some((a: string) => a.includes("MYSQL_PASSWORD") || a.startsWith("--mysql_uri")), "no DSN in the arguments");
      assert.deepEqual(env(c).MYSQL_PASSWORD, { secretKeyRef: { name: "sigstore-trillian-database", key: "password" } });
      assert.equal(c.readinessProbe.httpGet.path, "/healthz", "ready only with its database");
      assert.deepEqual(c.livenessProbe.tcpSocket, { port: 8090 }, "alive without it: a database failover does not restart the servers");
    }
  });

  it("elects the signer with a Lease (its pod name as identity, its own ServiceAccount bound to a Role on leases), never --force_master", () => {
    const run = get();
    const d = deployment(run, "trillian-logsigner");
    const c = main(d);
    assert.equal(arg(c, "--election_system"), "k8s");
    assert.equal(arg(c, "--lock_holder_identity"), "$(POD_NAME)");
    assert.equal(arg(c, "--lock_namespace"), "$(POD_NAMESPACE)");
    assert.deepEqual(env(c).POD_NAME, { fieldRef: { fieldPath: "metadata.name" } });
    assert.equal(arg(c, "--master_hold_interval"), ELECTION.holdInterval);
    assert.equal(arg(c, "--master_hold_jitter"), ELECTION.holdJitter);
    assert.ok(!c.args.some((a: string) => a.startsWith("--force_master")), "no --force_master");
    const pod = podOf(d);
    assert.equal(pod.serviceAccountName, "sigstore-trillian-logsigner");
    assert.equal(pod.automountServiceAccountToken, true, "the election calls the API");
    const role = obj(run.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "sigstore-trillian-logsigner"));
    assert.equal(role.metadata.namespace, "sigstore");
    const leases = role.rules.find((r: any) => r.resources.includes("leases"));
    assert.deepEqual(leases.apiGroups, ["coordination.k8s.io"]);
    // Exactly what trillian's election calls (util/election2/k8s: Get, Create, Update, Watch).
    assert.deepEqual([...leases.verbs].sort(), ["create", "get", "update", "watch"]);
    const binding = obj(run.get("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "sigstore-trillian-logsigner"));
    assert.equal(binding.roleRef.name, "sigstore-trillian-logsigner");
    assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: "sigstore-trillian-logsigner", namespace: "sigstore" }]);
    // No other serving pod holds a token.
    for (const r of ["trillian-logserver", "rekor", "fulcio", "ctlog", "tsa", "tuf"]) assert.equal(podOf(deployment(run, r)).automountServiceAccountToken, false, r);
  });

  it("creates the schema with an idempotent Job before any Trillian server starts", () => {
    const run = get();
    const [schema] = jobsOf(run, "trillian-schema");
    assert.ok(schema, "the schema Job");
    const c = obj(schema).spec.template.spec.containers[0];
    assert.match(c.image, /scaffolding\/createdb:/, "scaffolding's createdb: it makes only what is missing");
    assert.equal(arg(c, "--mysql_uri"), "$(MYSQL_USER):$(MYSQL_PASSWORD)@tcp($(MYSQL_HOST):$(MYSQL_PORT))");
    const graph = new DependencyGraph(run);
    for (const r of ["trillian-logserver", "trillian-logsigner"]) {
      assert.ok(graph.upstream(run.get(DEPLOYMENT, `sigstore-${r}`)).has(schema.urn), `${r} waits for the schema`);
    }
  });

  it("records each tree's id in a ConfigMap createtree writes once, which Rekor and the CT log read (never a hard-coded id)", () => {
    const run = get();
    const graph = new DependencyGraph(run);
    for (const [tree, reader] of [["rekor", "rekor"], ["ctlog", "ctlog"]] as const) {
      const cm = run.get(CONFIGMAP, `sigstore-${tree}-tree`);
      assert.equal(obj(cm).data, undefined, "created without an id: createtree writes it");
      assert.deepEqual(cm.ignoreChanges, ["data"], "Pulumi leaves the id alone");
      const task = taskNamed(run, `sigstore-${tree}-createtree`);
      const [job] = run.ofType("kubernetes:batch/v1:Job").filter((j) => j.parent === task.urn);
      const c = obj(job).spec.template.spec.containers[0];
      assert.match(c.image, /scaffolding\/createtree:/, "createtree: a no-op when the ConfigMap holds an id");
      assert.equal(arg(c, "--configmap"), `sigstore-${tree}-tree`);
      assert.equal(arg(c, "--admin_server"), "dns:///sigstore-trillian-logserver.sigstore.svc.cluster.local:8091");
      assert.ok(!c.args.some((a: string) => a.startsWith("--force")), "never --force (a second tree)");
      assert.equal(obj(job).spec.template.spec.serviceAccountName, "sigstore-createtree");
      for (const r of ["trillian-logserver", "trillian-logsigner"]) assert.ok(graph.upstream(job).has(run.get(DEPLOYMENT, `sigstore-${r}`).urn), `createtree ${tree} runs once ${r} is up`);
      assert.ok(graph.upstream(run.get(DEPLOYMENT, `sigstore-${reader}`)).has(job.urn), `${reader} starts after its tree exists`);
    }
    const role = obj(run.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "sigstore-createtree"));
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "update"], resourceNames: ["sigstore-rekor-tree", "sigstore-ctlog-tree"] }]);
    // Rekor: the id from its ConfigMap, as a flag.
    const rekor = main(deployment(run, "rekor"));
    assert.deepEqual(env(rekor).REKOR_TREE_ID, { configMapKeyRef: { name: "sigstore-rekor-tree", key: "treeID" } });
    assert.equal(arg(rekor, "--trillian_log_server.tlog_id"), "$(REKOR_TREE_ID)");
  });

  it("puts the CT log's tree id into its configuration at start (the init container's own command, run here by sh)", () => {
    const run = get();
    const pod = podOf(deployment(run, "ctlog"));
    const init = pod.initContainers[0];
    assert.deepEqual(env(init).TREE_ID, { configMapKeyRef: { name: "sigstore-ctlog-tree", key: "treeID" } });
    const template = secretData(run, "sigstore-ctlog")["config.template"];
    assert.match(template, new RegExp(`log_id: ${TREE_ID_PLACEHOLDER}`));
    const dir = tempDir("ts-ctlog-");
    fs.mkdirSync(path.join(dir, "keys"));
    fs.mkdirSync(path.join(dir, "config"));
    fs.writeFileSync(path.join(dir, "keys", "config.template"), template);
    const script = init.command[2].replaceAll("/ctfe-keys", path.join(dir, "keys")).replaceAll("/ctfe-config", path.join(dir, "config"));
    const r = spawnSync("sh", ["-c", script], { env: { ...process.env, TREE_ID: "4713386713" }, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const config = fs.readFileSync(path.join(dir, "config", "config"), "utf8");
    assert.match(config, /^\s*log_id: 4713386713$/m);
    assert.equal((fs.statSync(path.join(dir, "config", "config")).mode & 0o077), 0, "the rendered file (it holds the key) is the owner's only");
    fs.rmSync(dir, { recursive: true, force: true });
    // The rendered file lives in memory; ct_server reads it there.
    assert.deepEqual(pod.volumes.find((v: any) => v.name === "config").emptyDir.medium, "Memory");
    assert.equal(arg(main(deployment(run, "ctlog")), "--log_config"), "/ctfe-config/config");
  });

  it("configures the CT log with its key inline (a P-256 key matching its public key), Fulcio's root, and the log servers over dns:///", () => {
    const run = get();
    const data = secretData(run, "sigstore-ctlog");
    const t = data["config.template"];
    assert.match(t, /backend_spec: "dns:\/\/\/sigstore-trillian-logserver\.sigstore\.svc\.cluster\.local:8091"/);
    assert.match(t, /roots_pem_file: "\/ctfe-keys\/fulcio-root\.pem"/);
    assert.match(t, /ext_key_usages: "CodeSigning"/);
    const der = protoBytes(/keyspb\.PrivateKey\] \{ der: "([^"]+)"/.exec(t)![1]);
    const key = crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const ctPublic = plain<any>(run.rawOutputs).sigstore.ctlogPublicKey;
    assert.ok(spki(ctPublic).equals(crypto.createPublicKey(key).export({ type: "spki", format: "der" }) as Buffer), "the inline key is the published one");
    assert.ok(protoBytes(/public_key \{ der: "([^"]+)"/.exec(t)![1]).equals(spki(ctPublic)));
    const fulcioCa = secretData(run, "sigstore-fulcio-ca")["cert.pem"];
    assert.equal(data["fulcio-root.pem"], fulcioCa, "Fulcio's root is the accepted root");
    assert.ok(isSecretValue(run.get(SECRET, "sigstore-ctlog").inputs.stringData) || isSecretValue((run.get(SECRET, "sigstore-ctlog").inputs.stringData as any)["config.template"]), "the configuration is secret");
    // Fulcio logs its certificates to it.
    assert.equal(arg(main(deployment(run, "fulcio")), "--ct-log-url"), "http://sigstore-ctlog.sigstore.svc.cluster.local:6962/sigstore");
  });

  it("gives Fulcio a CA openssl accepts: an encrypted key it decrypts with the Secret's password, matching a self-signed CA certificate", () => {
    const run = get();
    const ca = secretData(run, "sigstore-fulcio-ca");
    assert.match(ca["key.pem"], /^-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,/);
    const dir = tempDir("ts-fulcio-");
    fs.writeFileSync(path.join(dir, "key.pem"), ca["key.pem"]);
    fs.writeFileSync(path.join(dir, "cert.pem"), ca["cert.pem"]);
    const pub = openssl(["ec", "-in", path.join(dir, "key.pem"), "-passin", `pass:${ca.password}`, "-pubout"]);
    assert.equal(pub.status, 0, pub.stderr);
    assert.ok(openssl(["ec", "-in", path.join(dir, "key.pem"), "-passin", "pass:wrong", "-noout"]).status !== 0, "a wrong password fails");
    const cert = new crypto.X509Certificate(ca["cert.pem"]);
    assert.ok(spki(pub.stdout).equals(cert.publicKey.export({ type: "spki", format: "der" }) as Buffer), "the key is the certificate's");
    assert.ok(cert.ca, "a CA certificate");
    assert.equal(openssl(["verify", "-CAfile", path.join(dir, "cert.pem"), path.join(dir, "cert.pem")]).status, 0, "self-signed");
    assert.match(openssl(["x509", "-in", path.join(dir, "cert.pem"), "-noout", "-ext", "keyUsage"]).stdout, /Certificate Sign/);
    fs.rmSync(dir, { recursive: true, force: true });
    const c = main(deployment(run, "fulcio"));
    assert.deepEqual(env(c)["FULCIO_SERVE_FILECA-KEY-PASSWD"], { secretKeyRef: { name: "sigstore-fulcio-ca", key: "password" } });
    assert.equal(arg(c, "--ca"), "fileca");
    assert.equal(arg(c, "--fileca-key"), "/var/run/fulcio-secrets/key.pem");
    assert.equal(arg(c, "--host"), "0.0.0.0");
    assert.equal(arg(c, "--grpc-host"), "0.0.0.0");
    assert.ok(!c.args.some((a: string) => a.includes(ca.password)), "the password is in no argument");
  });

  it("gives the TSA a chain openssl verifies for time stamping: leaf first, its EKU critical, the key the leaf's", () => {
    const run = get();
    const data = secretData(run, "sigstore-tsa");
    const chain = data["chain.pem"].match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g)!;
    assert.equal(chain.length, 3);
    const dir = tempDir("ts-tsa-");
    const [leaf, intermediate, root] = chain.map((p, i) => {
      const f = path.join(dir, `${i}.pem`);
      fs.writeFileSync(f, p);
      return f;
    });
    const v = openssl(["verify", "-purpose", "timestampsign", "-CAfile", root, "-untrusted", intermediate, leaf]);
    assert.equal(v.status, 0, v.stderr + v.stdout);
    assert.match(openssl(["x509", "-in", leaf, "-noout", "-ext", "extendedKeyUsage"]).stdout, /Extended Key Usage: critical\s+Time Stamping\s*$/);
    assert.match(openssl(["x509", "-in", intermediate, "-noout", "-ext", "extendedKeyUsage"]).stdout, /Time Stamping/, "the intermediate carries the EKU (--enforce-intermediate-eku)");
    assert.ok(!new crypto.X509Certificate(chain[0]).ca, "the leaf is not a CA");
    assert.ok(spki(data["key.pem"]).equals(new crypto.X509Certificate(chain[0]).publicKey.export({ type: "spki", format: "der" }) as Buffer));
    fs.rmSync(dir, { recursive: true, force: true });
    const c = main(deployment(run, "tsa"));
    assert.equal(arg(c, "--timestamp-signer"), "file");
    assert.equal(arg(c, "--certificate-chain-path"), "/var/run/tsa/chain.pem");
    assert.equal(arg(c, "--host"), "0.0.0.0");
  });

  it("signs Rekor with one P-256 key from a Secret for every replica, under one checkpoint hostname", () => {
    const run = get();
    const key = crypto.createPrivateKey(secretData(run, "sigstore-rekor-signer")["private.pem"]);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const c = main(deployment(run, "rekor"));
    assert.equal(arg(c, "--rekor_server.signer"), "/var/run/rekor-signer/private.pem", "never the in-memory signer");
    assert.match(arg(c, "--rekor_server.hostname"), urls.rekor.source.startsWith("^https") ? /^rekor\./ : /^sigstore-rekor\.sigstore\.svc\.cluster\.local$/);
    assert.equal(arg(c, "--trillian_log_server.address"), "dns:///sigstore-trillian-logserver.sigstore.svc.cluster.local");
    assert.match(arg(c, "--trillian_log_server.grpc_default_service_config"), /round_robin/);
    assert.equal(arg(c, "--rekor_server.address"), "0.0.0.0");
    const published = plain<any>(run.rawOutputs).sigstore.rekorPublicKey;
    assert.ok(spki(published).equals(crypto.createPublicKey(key).export({ type: "spki", format: "der" }) as Buffer));
  });

  it("publishes a trusted root @sigstore/verify reads, naming this deployment's keys, chains and URLs", () => {
    const run = get();
    const out = plain<any>(run.rawOutputs).sigstore;
    const [content] = run.ofType(CONFIGMAP).filter((r) => r.name === "sigstore-tuf-content");
    const data = plain<Record<string, string>>(obj(content).data);
    const key = Object.keys(data).find((k) => /^targets\.[0-9a-f]{64}\.trusted_root\.json$/.test(k))!;
    const json = JSON.parse(data[key]);
    const root = TrustedRoot.fromJSON(json);
    const material = toTrustMaterial(root);
    assert.equal(material.tlogs.length, 1);
    assert.match(json.tlogs[0].baseUrl, urls.rekor);
    assert.equal(json.tlogs[0].baseUrl, out.rekorUrl);
    assert.match(json.ctlogs[0].baseUrl, urls.ctlog);
    assert.match(json.certificateAuthorities[0].uri, urls.fulcio);
    assert.match(json.timestampAuthorities[0].uri, urls.tsa);
    assert.ok(Buffer.from(json.tlogs[0].logId.keyId, "base64").equals(logId(out.rekorPublicKey)), "Rekor's log id is its key's");
    assert.ok(Buffer.from(json.ctlogs[0].logId.keyId, "base64").equals(logId(out.ctlogPublicKey)), "the CT log's id is its key's");
    const fulcioCert = secretData(run, "sigstore-fulcio-ca")["cert.pem"];
    assert.ok(Buffer.from(json.certificateAuthorities[0].certChain.certificates[0].rawBytes, "base64").equals(Buffer.from(new crypto.X509Certificate(fulcioCert).raw)));
    const tsaChain = secretData(run, "sigstore-tsa")["chain.pem"];
    assert.equal(json.timestampAuthorities[0].certChain.certificates.length, 3);
    assert.ok(Buffer.from(json.timestampAuthorities[0].certChain.certificates[0].rawBytes, "base64").equals(Buffer.from(new crypto.X509Certificate(tsaChain).raw)), "the TSA's leaf first");
  });
}

/** The example stacks, run once for every describe that reads them. */
const devRun = once(() => runStackFile("dev"));
const prodRun = once(() => runStackFile("prod"));

describe("Sigstore (Trusted Artifact Signer)", function () {
  this.timeout(120_000);

  describe("single: the dev stack", () => {
    let run: Run;
    before(async () => {
      run = await devRun();
    });
    commonChecks(() => run, {
      rekor: /^http:\/\/sigstore-rekor\.sigstore\.svc\.cluster\.local:3000$/,
      fulcio: /^http:\/\/sigstore-fulcio\.sigstore\.svc\.cluster\.local:5555$/,
      tsa: /^http:\/\/sigstore-tsa\.sigstore\.svc\.cluster\.local:3000$/,
      ctlog: /^http:\/\/sigstore-ctlog\.sigstore\.svc\.cluster\.local:6962\/sigstore$/,
    });

    it("runs one replica of each role, MySQL and Redis in the cluster over TLS with their CA, and attestations on a volume", () => {
      for (const r of ROLES) assert.equal(deployment(run, r).spec.replicas, 1, r);
      const mysql = obj(run.get("kubernetes:apps/v1:StatefulSet", "sigstore-mysql"));
      assert.ok(mysql.spec.template.spec.containers[0].args.includes("--require-secure-transport=ON"));
      const logserver = main(deployment(run, "trillian-logserver"));
      assert.equal(arg(logserver, "--mysql_tls_ca"), "/run/secrets/database/ca.crt");
      assert.equal(arg(logserver, "--mysql_server_name"), "sigstore-mysql.sigstore-data.svc.cluster.local");
      const [schema] = jobsOf(run, "trillian-schema");
      const createdb = obj(schema).spec.template.spec.containers[0];
      assert.equal(arg(createdb, "--db_name"), "trillian?tls=true");
      assert.equal(env(createdb).SSL_CERT_FILE, "/run/secrets/database/ca.crt");
      const ca = secretData(run, "sigstore-trillian-database")["ca.crt"];
      assert.match(ca, /BEGIN CERTIFICATE/);
      // Rekor: TLS and AUTH to the in-cluster Redis, trusting its CA through Go's SSL_CERT_DIR.
      const d = deployment(run, "rekor");
      const c = main(d);
      assert.equal(arg(c, "--redis_server.enable-tls"), "true");
      assert.equal(arg(c, "--redis_server.address"), "sigstore-redis.sigstore-data.svc.cluster.local");
      assert.deepEqual(env(c)["REDIS_SERVER.PASSWORD"], { secretKeyRef: { name: "sigstore-rekor-redis", key: "password" } });
      assert.equal(env(c).SSL_CERT_DIR, "/run/secrets/redis-ca");
      assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/run/secrets/redis-ca"));
      assert.equal(secretData(run, "sigstore-rekor-redis")["ca.crt"], plain<any>(run.get(SECRET, "sigstore-redis").inputs.stringData)["ca.crt"], "the Redis's own CA");
      assert.equal(arg(c, "--attestation_storage_bucket"), "file:///var/run/attestations?no_tmp_dir=true");
      assert.equal(d.spec.strategy.type, "Recreate", "one pod holds the ReadWriteOnce volume");
      const claim = obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "sigstore-rekor-attestations"));
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
    });

    it("stays inside the cluster without endpoints: in-cluster URLs, a port-forward hint, clients from the allowed namespaces only", () => {
      const out = plain<any>(run.rawOutputs);
      assert.equal(out.sigstore.tufUrl, "http://sigstore-tuf.sigstore.svc.cluster.local:8000");
      assert.match(out.portForward.sigstore, /port-forward svc\/sigstore-tuf 8000:8000/);
      assert.equal(run.ofType("kubernetes:networking.k8s.io/v1:Ingress").filter((i) => obj(i).metadata.namespace === "sigstore").length, 0);
      const ingress = obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "sigstore-rekor-ingress"));
      assert.deepEqual(ingress.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ci" } } }]);
    });

    it("outputs what cosign needs and when the trust expires", () => {
      const s = plain<any>(run.rawOutputs).sigstore;
      assert.match(s.cosignInitialize, /cosign initialize --mirror http:\/\/sigstore-tuf\.sigstore\.svc\.cluster\.local:8000 --root root\.json/);
      assert.equal(JSON.parse(s.tufRoot).signed._type, "root");
      for (const k of ["tufRoot", "tufTargets", "tufRenewAfter", "fulcioCertificate", "tsaCertificate"]) assert.match(s.expiries[k], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, k);
      assert.ok(s.expiries.tufRenewAfter < s.expiries.tufTargets, "renewal comes before expiry");
      assert.deepEqual(Object.values(s.oidcIssuers), ["https://token.actions.githubusercontent.com"]);
      assert.ok(!isSecretValue(run.rawOutputs.sigstore), "the outputs are public data");
    });

    it("configures Fulcio's OIDC issuers in the file it reads (fulcio config.yaml keys)", () => {
      const cfg = YAML.parse(plain<any>(obj(run.get(CONFIGMAP, "sigstore-fulcio-config")).data)["config.yaml"]);
      assert.deepEqual(cfg, { "oidc-issuers": { [GITHUB.issuerUrl]: { "issuer-url": GITHUB.issuerUrl, "client-id": "sigstore", type: "github-workflow" } } });
      assert.equal(arg(main(deployment(run, "fulcio")), "--config-path"), "/etc/fulcio-config/config.yaml");
    });
  });

  describe("external-db", () => {
    let run: Run;
    before(async () => {
      run = await runStack({ ...REGION, topology: "external-db", sigstore: { oidcIssuers: [GITHUB] } });
    });
    commonChecks(() => run, { rekor: /sigstore-rekor\.sigstore/, fulcio: /sigstore-fulcio\.sigstore/, tsa: /sigstore-tsa\.sigstore/, ctlog: /sigstore-ctlog\.sigstore/ });

    it("uses RDS MySQL 8 over verified TLS, ElastiCache with TLS and AUTH, and S3 attestations through Pod Identity (no static keys)", () => {
      const rds = obj(run.get("aws:rds/instance:Instance", "sigstore-db-db"));
      assert.equal(rds.engine, "mysql");
      assert.match(rds.engineVersion, /^8\.4/);
      const logserver = main(deployment(run, "trillian-logserver"));
      assert.equal(arg(logserver, "--mysql_tls_ca"), "/run/secrets/database/ca.crt");
      assert.match(arg(logserver, "--mysql_server_name"), /\.rds\.amazonaws\.com$/);
      assert.match(secretData(run, "sigstore-trillian-database")["ca.crt"], /BEGIN CERTIFICATE/, "the region's RDS CAs");
      const cache = obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "sigstore-cache-redis"));
      assert.equal(cache.transitEncryptionEnabled, true);
      assert.ok(cache.authToken !== undefined || run.get("aws:elasticache/replicationGroup:ReplicationGroup", "sigstore-cache-redis").inputs.authToken !== undefined, "AUTH");
      const c = main(deployment(run, "rekor"));
      assert.equal(arg(c, "--redis_server.enable-tls"), "true");
      assert.ok(env(c)["REDIS_SERVER.PASSWORD"], "the AUTH token from its Secret");
      assert.equal(env(c).SSL_CERT_DIR, undefined, "ElastiCache's certificate is publicly trusted");
      assert.match(arg(c, "--attestation_storage_bucket"), /^s3:\/\/sigstore-attestations-[0-9a-f]+\?region=eu-west-1$/);
      for (const e of c.env ?? []) assert.ok(!/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$/.test(e.name), "no static keys");
      const assoc = obj(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "sigstore-rekor"));
      assert.equal(assoc.serviceAccount, "sigstore-rekor");
      assert.equal(podOf(deployment(run, "rekor")).serviceAccountName, "sigstore-rekor");
      const policy = JSON.parse(String(obj(run.get("aws:iam/rolePolicy:RolePolicy", "sigstore-rekor-inline")).policy));
      const put = policy.Statement.find((s: any) => s.Sid === "Attestations");
      assert.deepEqual(put.Action, ["s3:GetObject", "s3:PutObject"]);
      assert.match(put.Resource, /sigstore-attestations-[0-9a-f]+\/\*$/);
      const bucket = run.get("aws:s3/bucket:Bucket", "sigstore-attestations");
      assert.equal(obj(bucket).tags["trust-services/dedicated-to"], "sigstore");
      assert.notEqual(deployment(run, "rekor").spec.strategy?.type, "Recreate", "no volume to hold: rolling updates");
    });
  });

  describe("ha: the prod stack", () => {
    let run: Run;
    before(async () => {
      run = await prodRun();
    });
    commonChecks(() => run, {
      rekor: /^https:\/\/rekor\.trust\.example\.org$/,
      fulcio: /^https:\/\/fulcio\.trust\.example\.org$/,
      tsa: /^https:\/\/tsa\.trust\.example\.org$/,
      ctlog: /^http:\/\/sigstore-ctlog\.sigstore\.svc\.cluster\.local:6962\/sigstore$/,
    });

    it("runs three replicas of every serving role and of the signer, spread hard over zones and nodes, with the seed's soft anti-affinity and a budget each", () => {
      for (const r of ROLES) {
        const d = deployment(run, r);
        assert.equal(d.spec.replicas, 3, r);
        const pod = podOf(d);
        const soft = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
        assert.equal(soft.weight, 100);
        assert.equal(soft.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
        assert.equal(soft.podAffinityTerm.labelSelector.matchLabels["app.kubernetes.io/name"], "sigstore");
        const keys = pod.topologySpreadConstraints.filter((t: any) => t.whenUnsatisfiable === "DoNotSchedule").map((t: any) => t.topologyKey);
        assert.deepEqual(keys.sort(), ["kubernetes.io/hostname", "topology.kubernetes.io/zone"], r);
        const pdb = obj(run.get("kubernetes:policy/v1:PodDisruptionBudget", `sigstore-${r}`));
        assert.equal(pdb.spec.maxUnavailable, 1);
      }
      assert.deepEqual(main(deployment(run, "rekor")).resources, { requests: { cpu: "500m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } }, "the seed's figures");
      assert.deepEqual(main(deployment(run, "trillian-logsigner")).resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "250m", memory: "256Mi" } });
    });

    it("uses RDS Multi-AZ and ElastiCache with failover, and the CT log stays internal by default", () => {
      assert.equal(obj(run.get("aws:rds/instance:Instance", "sigstore-db-db")).multiAz, true);
      assert.equal(obj(run.get("aws:elasticache/replicationGroup:ReplicationGroup", "sigstore-cache-redis")).automaticFailoverEnabled, true);
      const out = plain<any>(run.rawOutputs);
      assert.equal(out.endpoints.ctlog, undefined);
    });

    it("serves Rekor, Fulcio (HTTP and gRPC), the TSA and the TUF mirror at their hostnames, for anyone, with the reason recorded", () => {
      const out = plain<any>(run.rawOutputs);
      const want: Record<string, string> = { rekor: "rekor", fulcio: "fulcio", "fulcio-grpc": "fulcio-grpc", tsa: "tsa", tuf: "tuf" };
      for (const [endpoint, host] of Object.entries(want)) {
        assert.equal(out.endpoints[endpoint], `https://${host}.trust.example.org`);
        const ing = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", endpoint));
        assert.equal(ing.spec.rules[0].host, `${host}.trust.example.org`);
        assert.equal(ing.metadata.annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
        assert.ok(ing.metadata.annotations["trust-services.io/open-to-anyone"], "why it is open to anyone");
      }
      const grpc = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "fulcio-grpc"));
      assert.equal(grpc.metadata.annotations["alb.ingress.kubernetes.io/backend-protocol-version"], "GRPC");
      assert.equal(grpc.spec.rules[0].http.paths[0].backend.service.port.number, 5554);
      assert.equal(out.sigstore.tufUrl, "https://tuf.trust.example.org");
      assert.match(out.sigstore.cosignInitialize, /--mirror https:\/\/tuf\.trust\.example\.org/);
      // Rekor signs its checkpoints under the public hostname, whatever pod signs.
      assert.equal(arg(main(deployment(run, "rekor")), "--rekor_server.hostname"), "rekor.trust.example.org");
      const config = JSON.parse(Object.entries(plain<Record<string, string>>(obj(run.ofType(CONFIGMAP).find((r) => r.name === "sigstore-tuf-content")!).data)).find(([k]) => k.endsWith(".signing_config.v0.2.json"))![1]);
      assert.equal(config.caUrls[0].url, "https://fulcio.trust.example.org");
      assert.equal(config.rekorTlogUrls[0].url, "https://rekor.trust.example.org");
      assert.equal(config.tsaUrls[0].url, "https://tsa.trust.example.org/api/v1/timestamp");
      // The interactive login is the email issuer's, not GitHub Actions' (which gives tokens to jobs only).
      assert.deepEqual(config.oidcUrls.map((u: any) => u.url), ["https://sso.example.org/realms/engineering"]);
    });

    it("protects the keys, the epoch and the trees in production", () => {
      for (const [type, name] of [
        ["tls:index/privateKey:PrivateKey", "sigstore-rekor-signer"],
        ["tls:index/privateKey:PrivateKey", "sigstore-fulcio-ca"],
        ["tls:index/privateKey:PrivateKey", "sigstore-ctlog-key"],
        ["tls:index/privateKey:PrivateKey", "sigstore-tsa-signer"],
        ["tls:index/privateKey:PrivateKey", "sigstore-tuf-root"],
        ["tls:index/privateKey:PrivateKey", "sigstore-tuf-online"],
        ["time:index/static:Static", "sigstore-epoch"],
        [CONFIGMAP, "sigstore-rekor-tree"],
      ]) {
        assert.equal(run.get(type, name).protect, true, `${name} is protected`);
      }
    });
  });

  describe("recorded tree ids, and what the servers read only at start", () => {
    it("writes recorded tree ids itself and runs no createtree Job for them; the readers wait for the ConfigMap", async () => {
      const run = await runStack({ ...REGION, sigstore: { oidcIssuers: [GITHUB], trees: { rekor: "7264985125283614329" } } });
      // The ConfigMap is the same object with or without a recorded id (a data change would replace it, and
      // a protected one cannot be replaced): the id is written by a patch.
      const plainTree = (await devRun()).get(CONFIGMAP, "sigstore-rekor-tree");
      const rekorTree = run.get(CONFIGMAP, "sigstore-rekor-tree");
      assert.deepEqual(obj(rekorTree), obj(plainTree));
      assert.deepEqual(rekorTree.ignoreChanges, ["data"]);
      const patch = run.get("kubernetes:core/v1:ConfigMapPatch", "sigstore-rekor-tree");
      assert.deepEqual(obj(patch).data, { treeID: "7264985125283614329" });
      assert.equal(obj(patch).metadata.name, "sigstore-rekor-tree");
      assert.equal(run.resources.filter((r) => r.type === "trust-services:index:Task" && r.name === "sigstore-rekor-createtree").length, 0, "no Job for a recorded tree");
      assert.ok(taskNamed(run, "sigstore-ctlog-createtree"), "the CT log's tree is still made");
      const role = obj(run.get("kubernetes:rbac.authorization.k8s.io/v1:Role", "sigstore-createtree"));
      assert.deepEqual(role.rules[0].resourceNames, ["sigstore-ctlog-tree"], "createtree may write only the map it fills");
      assert.ok(new DependencyGraph(run).upstream(run.get(DEPLOYMENT, "sigstore-rekor")).has(patch.urn), "Rekor starts once the id is written");
      await valid(run);
      // Both recorded: no createtree account at all.
      const both = await runStack({ ...REGION, sigstore: { oidcIssuers: [GITHUB], trees: { rekor: "1", ctlog: "2" } } });
      assert.equal(both.ofType("kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) => r.name === "sigstore-createtree").length, 0);
      await valid(both);
    });

    it("rolls Fulcio when its issuers change, and each server when its key or chain changes (a digest of public data only)", async () => {
      const digest = (run: Run, role: string) => deployment(run, role).spec.template.metadata.annotations["trust-services.io/startup-digest"];
      const base = await devRun(); // GitHub Actions only, generated keys
      const more = await runStack({ ...REGION, sigstore: { oidcIssuers: [GITHUB, { issuerUrl: "https://sso.example.org/realms/eng", type: "email" }] } });
      const pem = String(crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }));
      const rekey = await runStack({ ...REGION, sigstore: { oidcIssuers: [GITHUB], keys: { rekor: { privateKey: pem }, ctlog: { privateKey: pem }, tsa: { privateKey: pem } } } });
      for (const role of ["rekor", "fulcio", "ctlog", "tsa"]) assert.match(digest(base, role), /^[0-9a-f]{16}$/, role);
      assert.notEqual(digest(more, "fulcio"), digest(base, "fulcio"), "new issuers roll Fulcio");
      assert.equal(digest(more, "rekor"), digest(base, "rekor"), "and nothing else");
      for (const role of ["rekor", "ctlog", "tsa"]) assert.notEqual(digest(rekey, role), digest(base, role), `a new key rolls ${role}`);
    });

    it("verifies a given MySQL with its CA, and refuses a given TLS MySQL without one (Trillian cannot verify without)", async () => {
      const dir = tempDir("ts-given-ca-");
      assert.equal(openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-subj", "/CN=db ca", "-days", "30"]).status, 0);
      const ca = fs.readFileSync(path.join(dir, "c.pem"), "utf8");
      fs.rmSync(dir, { recursive: true, force: true });
      const given = { host: "mysql.internal.example.org", password: { secure: "v1:x" }, caCertificate: ca };
      const run = await runStack({ ...REGION, topology: "external-db", sigstore: { oidcIssuers: [GITHUB], database: { given } } });
      assert.equal(secretData(run, "sigstore-trillian-database")["ca.crt"], ca);
      assert.equal(arg(main(deployment(run, "trillian-logserver")), "--mysql_server_name"), "mysql.internal.example.org");
      await assert.rejects(
        () => runStack({ ...REGION, topology: "external-db", sigstore: { oidcIssuers: [GITHUB], database: { given: { host: "mysql.internal.example.org", password: { secure: "v1:x" } } } } }),
        /sigstore\.database\.given\.caCertificate/,
      );
    });

    it("refuses RDS in a region whose RDS CAs the project does not know (Trillian would have no TLS), before any resource", async () => {
      const region = RDS_CA_UNKNOWN_REGIONS.find((r) => !r.startsWith("us-gov") && !r.startsWith("cn-"))!;
      await assert.rejects(() => runStack({ "aws:region": region, topology: "external-db", sigstore: { oidcIssuers: [GITHUB] } }), new RegExp(`trust-services:sigstore\\.database: RDS in ${region}`));
    });
  });

  describe("the TUF mirror's versions, Fulcio's CA at work, and scheduling", () => {
    it("versions the online roles by their signing time: 1 at first, higher at every later signing, renewed when the targets or lifetimes change", async () => {
      assert.equal(tufVersion("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"), 1);
      assert.equal(tufVersion("2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z"), 1, "a base a moment before the epoch (made in the same update)");
      assert.ok(tufVersion("2027-01-30T00:00:01Z", "2026-11-01T00:00:00Z") > tufVersion("2027-01-30T00:00:00Z", "2026-11-01T00:00:00Z"));
      assert.throws(() => tufVersion("soon", "2026-11-01T00:00:00Z"), /RFC 3339/);
      const run = await devRun();
      const rotating = obj(run.get("time:index/rotating:Rotating", "sigstore-tuf-online"));
      assert.equal(rotating.rotationDays, 90);
      assert.deepEqual(Object.keys(rotating.triggers).sort(), ["expiryDays", "renewAfterDays", "targets"]);
      assert.match(rotating.triggers.targets, /^[0-9a-f]{64}$/);
      const files = plain<Record<string, string>>(obj(run.ofType(CONFIGMAP).find((r) => r.name === "sigstore-tuf-content")!).data);
      assert.equal(JSON.parse(files["timestamp.json"]).signed.version, 1);
      assert.equal(JSON.parse(files["timestamp.json"]).signed.expires, "2027-04-30T00:00:00Z", "180 days after signing");
    });

    it("gives Fulcio a CA that issues code-signing certificates openssl verifies (its key decrypted with its password)", async () => {
      const run = await devRun();
      const ca = secretData(run, "sigstore-fulcio-ca");
      const dir = tempDir("ts-fulcio-issue-");
      const f = (n: string, t?: string) => {
        const p = path.join(dir, n);
        if (t !== undefined) fs.writeFileSync(p, t);
        return p;
      };
      f("ca.pem", ca["cert.pem"]);
      f("ca.key", ca["key.pem"]);
      f("ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n");
      assert.equal(openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("leaf.key"), "-out", f("leaf.csr"), "-subj", "/CN=signer"]).status, 0);
      const signed = openssl(["x509", "-req", "-in", f("leaf.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-passin", `pass:${ca.password}`, "-CAcreateserial", "-days", "1", "-extfile", f("ext"), "-out", f("leaf.pem")]);
      assert.equal(signed.status, 0, signed.stderr);
      const v = openssl(["verify", "-x509_strict", "-CAfile", f("ca.pem"), f("leaf.pem")]);
      assert.equal(v.status, 0, v.stderr + v.stdout);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("schedules every Sigstore pod and Job where sigstore.scheduling says (the seed's tolerations)", async () => {
      const toleration = { key: "dedicated", operator: "Equal", value: "trust", effect: "NoSchedule" };
      const run = await runStack({ ...REGION, sigstore: { oidcIssuers: [GITHUB], scheduling: { nodeSelector: { workload: "trust" }, tolerations: [toleration] } } });
      const pods = run
        .kubernetesObjects()
        .filter(({ object }) => ["Deployment", "StatefulSet", "Job"].includes(object.kind) && String(object.metadata?.namespace ?? "").startsWith("sigstore"))
        .map(({ resource, object }) => ({ name: resource.name, spec: plain<any>(object).spec.template.spec }));
      assert.ok(pods.length >= 12, `${pods.length} pods`);
      for (const p of pods) {
        assert.deepEqual(p.spec.tolerations, [toleration], p.name);
        assert.deepEqual(p.spec.nodeSelector, { workload: "trust" }, p.name);
      }
    });
  });

  describe("on an existing cluster (no AWS): given MySQL and Redis, cert-manager endpoints, attestations on ReadWriteMany", () => {
    it("runs ha with the given stores and the cluster's shared class, and passes the schema and the policy suite", async () => {
      const dir = tempDir("ts-existing-");
      assert.equal(openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-subj", "/CN=db ca", "-days", "30"]).status, 0);
      const ca = fs.readFileSync(path.join(dir, "c.pem"), "utf8");
      fs.rmSync(dir, { recursive: true, force: true });
      const run = await runStack({
        topology: "ha",
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, storageClasses: { block: "gp3", shared: "efs" } } },
        endpoints: { domain: "trust.example.org", ingressClassName: "nginx", clusterIssuer: "le", ingressFrom: { namespace: "ingress-nginx" } },
        sigstore: {
          oidcIssuers: [GITHUB],
          database: { given: { host: "mysql.internal.example.org", password: { secure: "v1:db" }, caCertificate: ca, cidrs: ["10.20.0.0/16"] } },
          cache: { given: { host: "redis.internal.example.org", password: { secure: "v1:redis" }, tls: true, cidrs: ["10.20.0.0/16"] } },
        },
      });
      const c = main(deployment(run, "rekor"));
      assert.equal(arg(c, "--attestation_storage_bucket"), "file:///var/run/attestations?no_tmp_dir=true");
      const claim = obj(run.get("kubernetes:core/v1:PersistentVolumeClaim", "sigstore-rekor-attestations"));
      assert.deepEqual(claim.spec.accessModes, ["ReadWriteMany"]);
      assert.equal(claim.spec.storageClassName, "efs");
      assert.equal(arg(c, "--redis_server.address"), "redis.internal.example.org");
      assert.equal(run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").length, 0, "nothing in AWS");
      const ing = obj(run.get("kubernetes:networking.k8s.io/v1:Ingress", "rekor"));
      assert.equal(ing.spec.ingressClassName, "nginx");
      assert.equal(ing.metadata.annotations["cert-manager.io/cluster-issuer"], "le");
      assert.equal(plain<any>(run.rawOutputs).sigstore.rekorUrl, "https://rekor.trust.example.org");
      await valid(run);
    });
  });

  describe("keys from AWS KMS", () => {
    it("signs Rekor, Fulcio and the TSA through KMS with Pod Identity roles scoped to each key, keeping no key of theirs in the cluster", async () => {
      const arn = (n: number) => `arn:aws:kms:eu-west-1:123456789012:key/0000000${n}-0000-4000-8000-000000000000`;
      const pub = String(crypto.createPublicKey(crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey).export({ type: "spki", format: "pem" }));
      // A chain made by openssl (req -x509), as an operator would bring it.
      const dir = tempDir("ts-kms-");
      assert.equal(openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-subj", "/O=example/CN=kms ca", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]).status, 0);
      const chain = fs.readFileSync(path.join(dir, "c.pem"), "utf8");
      fs.rmSync(dir, { recursive: true, force: true });
      const run = await runStack({
        ...REGION,
        sigstore: { oidcIssuers: [GITHUB], keys: { rekor: { awsKmsKeyArn: arn(1), publicKey: pub }, fulcio: { awsKmsKeyArn: arn(2), certificateChain: chain }, tsa: { awsKmsKeyArn: arn(3), certificateChain: chain } } },
      });
      const rekor = main(deployment(run, "rekor"));
      assert.equal(arg(rekor, "--rekor_server.signer"), `awskms:///${arn(1)}`);
      assert.equal(run.ofType(SECRET).filter((r) => r.name === "sigstore-rekor-signer").length, 0, "no key Secret");
      const fulcio = main(deployment(run, "fulcio"));
      assert.equal(arg(fulcio, "--ca"), "kmsca");
      assert.equal(arg(fulcio, "--kms-resource"), `awskms:///${arn(2)}`);
      assert.equal(secretData(run, "sigstore-fulcio-ca")["key.pem"], undefined);
      const tsa = main(deployment(run, "tsa"));
      assert.equal(arg(tsa, "--timestamp-signer"), "kms");
      assert.equal(arg(tsa, "--kms-key-resource"), `awskms:///${arn(3)}`);
      for (const [role, n] of [["rekor", 1], ["fulcio", 2], ["tsa", 3]] as const) {
        const policy = JSON.parse(String(obj(run.get("aws:iam/rolePolicy:RolePolicy", `sigstore-${role}-inline`)).policy));
        const sign = policy.Statement.find((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes("kms:Sign"));
        assert.equal(sign.Resource, arn(n), `${role} may sign with its own key only`);
        // sigstore's KMS signer loads the key with GetPublicKey and DescribeKey (its algorithm), then signs.
        assert.deepEqual([...sign.Action].sort(), ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]);
        assert.equal(podOf(deployment(run, role)).serviceAccountName, `sigstore-${role}`);
      }
      const out = plain<any>(run.rawOutputs).sigstore;
      assert.ok(spki(out.rekorPublicKey).equals(spki(pub)), "the trusted root names the KMS key");
      await valid(run);
    });
  });

  describe("the TUF mirror, served by nginx and read by tuf-js", () => {
    let run: Run;
    let nginx: NginxServer;
    let dir: string;
    let base: string;
    before(async () => {
      run = await prodRun();
      dir = tempDir("ts-tuf-mirror-");
      const content = path.join(dir, "content");
      fs.mkdirSync(content);
      // The ConfigMap's keys, as the pods mount them.
      const [cm] = run.ofType(CONFIGMAP).filter((r) => r.name === "sigstore-tuf-content");
      assert.equal(obj(cm).immutable, true, "immutable content");
      for (const [k, text] of Object.entries(plain<Record<string, string>>(obj(cm).data))) fs.writeFileSync(path.join(content, k), text);
      fs.chmodSync(content, 0o755);
      const port = await freePort();
      const conf = plain<any>(obj(run.get(CONFIGMAP, "sigstore-tuf-web")).data)["nginx.conf"]
        .replace(/ \/tmp\//g, ` ${dir}/`)
        .replace(/listen \d+;/, `listen 127.0.0.1:${port};`)
        .replaceAll("/srv/tuf", content)
        .replace("/var/log/nginx/access.log", path.join(dir, "access.log"));
      nginx = await startNginx(conf, port, dir);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("gives a client that starts from the stack's tufRoot the trusted root and signing config, which @sigstore/verify reads", async () => {
      const md = tempDir("ts-tuf-client-");
      const targets = tempDir("ts-tuf-targets-");
      fs.writeFileSync(path.join(md, "root.json"), plain<any>(run.rawOutputs).sigstore.tufRoot);
      const updater = new Updater({ metadataDir: md, metadataBaseUrl: base, targetDir: targets, targetBaseUrl: `${base}/targets` });
      await updater.refresh();
      const got: Record<string, string> = {};
      for (const name of ["trusted_root.json", "signing_config.v0.2.json"]) {
        const info = await updater.getTargetInfo(name);
        assert.ok(info, `${name} is a target`);
        got[name] = fs.readFileSync(await updater.downloadTarget(info!, path.join(targets, name)), "utf8");
      }
      const trusted = JSON.parse(got["trusted_root.json"]);
      const material = toTrustMaterial(TrustedRoot.fromJSON(trusted));
      assert.equal(material.certificateAuthorities.length, 1);
      assert.equal(material.timestampAuthorities.length, 1);
      assert.equal(trusted.tlogs[0].baseUrl, "https://rekor.trust.example.org");
      assert.equal(JSON.parse(got["signing_config.v0.2.json"]).mediaType, "application/vnd.dev.sigstore.signingconfig.v0.2+json");
      fs.rmSync(md, { recursive: true, force: true });
      fs.rmSync(targets, { recursive: true, force: true });
    });

    it("lets caches keep hashed targets and versioned metadata, never timestamp.json", async () => {
      const target = Object.keys(plain<Record<string, string>>(obj(run.ofType(CONFIGMAP).find((r) => r.name === "sigstore-tuf-content")!).data)).find((k) => k.startsWith("targets."))!;
      const t = await fetch(`${base}/targets/${target.slice("targets.".length)}`);
      assert.equal(t.status, 200);
      assert.match(t.headers.get("cache-control") ?? "", /immutable/);
      const ts = await fetch(`${base}/timestamp.json`);
      assert.equal(ts.status, 200);
      assert.equal(ts.headers.get("cache-control"), "no-cache");
      assert.equal((await fetch(`${base}/targets.${target.slice("targets.".length)}`)).status, 404, "only the TUF paths");
    });
  });
});
