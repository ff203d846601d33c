import * as assert from "assert";
import { ARCHIVER_SCRIPT, XRoadSecurityServer } from "../components/services/xroad";
import { RULES } from "./policies";
import { isSecretValue, mockKubeconfig, plain, Recorded, recordedSoFar, Run, runStack, runStackFile, runWith } from "./harness";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const SECRET_ENV = ["XROAD_TOKEN_PIN", "XROAD_ADMIN_PASSWORD", "XROAD_DB_PWD"];

function deployment(run: Run, name: string) {
  return obj(run.get("kubernetes:apps/v1:Deployment", name));
}
function container(d: Record<string, any>, name = "xroad") {
  return d.spec.template.spec.containers.find((c: any) => c.name === name);
}
function service(run: Run, name: string) {
  return obj(run.get("kubernetes:core/v1:Service", name));
}
function policy(run: Run, name: string) {
  return obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", name));
}
function selects(selector: Record<string, string>, labels: Record<string, string>) {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
function mount(c: any, path: string) {
  return c.volumeMounts.find((m: any) => m.mountPath === path);
}
function volume(d: Record<string, any>, name: string) {
  return d.spec.template.spec.volumes.find((v: any) => v.name === name);
}
function ports(rule: any): number[] {
  return rule.ports.map((p: any) => p.port).sort((a: number, b: number) => a - b);
}

/** Checks that apply to every topology's X-Road container. */
function commonContainerChecks(run: Run, d: Record<string, any>) {
  const c = container(d);
  for (const e of c.env ?? []) assert.ok(!SECRET_ENV.includes(e.name), `${e.name} must come from a Secret, not a plain env value`);
  const refs = c.envFrom.map((f: any) => f.secretRef.name);
  assert.ok(refs.includes("xroad-credentials"));
  const creds = run.get("kubernetes:core/v1:Secret", "xroad-credentials");
  assert.ok(isSecretValue(creds.inputs.stringData) || isSecretValue((creds.inputs.stringData as any).XROAD_ADMIN_PASSWORD));
  assert.deepEqual(Object.keys(obj(creds).stringData).sort(), ["XROAD_ADMIN_PASSWORD", "XROAD_ADMIN_USER", "XROAD_TOKEN_PIN"]);
  assert.equal(c.readinessProbe.httpGet.port, 5588);
  assert.equal(c.readinessProbe.httpGet.path, "/");
  assert.equal(c.livenessProbe.httpGet.port, 8080);
  assert.equal(c.startupProbe.httpGet.port, 8080);
  assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 600, "startup covers a 10-minute first start");
  assert.ok(c.resources.requests.cpu && c.resources.limits.memory);
  assert.deepEqual(c.securityContext.capabilities.drop, ["NET_RAW"]);
  const names = c.ports.map((p: any) => p.containerPort).sort((a: number, b: number) => a - b);
  for (const p of [4000, 5500, 5577, 5588, 8080, 8443]) assert.ok(names.includes(p), `port ${p}`);
  assert.equal(d.spec.template.metadata.labels["app.kubernetes.io/name"], "xroad-security-server");
  assert.equal(d.spec.template.metadata.labels["trust-services/service"], "xroad");
}

describe("X-Road Security Server", () => {
  describe("single (seed §2.1): one pod, PostgreSQL inside", () => {
    let run: Run;
    let d: Record<string, any>;
    before(async () => {
      run = await runStackFile("dev");
      d = deployment(run, "xroad-server");
    });

    it("runs one pod of the standalone slim image, pinned, with a Recreate rollout", () => {
      assert.equal(container(d).image, "niis/xroad-security-server-sidecar:7.8.2-slim");
      assert.equal(d.spec.replicas, 1);
      assert.equal(d.spec.strategy.type, "Recreate");
      commonContainerChecks(run, d);
    });

    it("persists /etc/xroad, /var/lib/xroad and PostgreSQL's parent directory (no lost+found in 16/main)", () => {
      const c = container(d);
      const claims: Record<string, string> = {};
      for (const path of ["/etc/xroad", "/var/lib/xroad", "/var/lib/postgresql"]) {
        const m = mount(c, path);
        assert.ok(m, `mount ${path}`);
        claims[path] = volume(d, m.name).persistentVolumeClaim.claimName;
      }
      const pvcs = run.ofType("kubernetes:core/v1:PersistentVolumeClaim").map(obj);
      for (const claim of Object.values(claims)) {
        const pvc = pvcs.find((p) => p.metadata.name === claim);
        assert.ok(pvc, `claim ${claim} exists`);
        assert.deepEqual(pvc!.spec.accessModes, ["ReadWriteOnce"]);
        assert.equal(pvc!.spec.storageClassName, "gp3");
        assert.equal(pvc!.metadata.labels["trust-services.io/backup"], "daily");
      }
      assert.ok(!c.volumeMounts.some((m: any) => m.mountPath === "/var/lib/postgresql/16/main"));
    });

    it("has no database env: the entrypoint's default is the local PostgreSQL", () => {
      const env = (container(d).env ?? []).map((e: any) => e.name);
      assert.ok(!env.includes("XROAD_DB_HOST"));
      assert.equal(run.find("kubernetes:core/v1:Secret", "xroad-database"), undefined);
      assert.equal(run.ofType("aws:rds/instance:Instance").length, 0);
    });

    it("exposes 5500/5577 through an internet-facing NLB of the load balancer controller and 8080/8443/4000 on ClusterIP only", () => {
      const lb = service(run, "xroad-messaging");
      assert.equal(lb.spec.type, "LoadBalancer");
      // The controller owns it explicitly (its default scheme is internal; the in-tree controller would ignore the scheme).
      assert.equal(lb.spec.loadBalancerClass, "service.k8s.aws/nlb");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], "internet-facing");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"], "preserve_client_ip.enabled=true", "peers' addresses reach the pod");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-healthcheck-port"], "5588", "targets are healthy when X-Road can process messages");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], undefined, "no in-tree NLB");
      assert.equal(lb.spec.externalTrafficPolicy, undefined, "ip targets bypass kube-proxy");
      const svc = run.get("kubernetes:core/v1:Service", "xroad-messaging");
      assert.ok(svc.replaceOnChanges?.includes("spec.loadBalancerClass") && svc.deleteBeforeReplace, "a Service moving to the controller is replaced (the class is immutable)");
      assert.deepEqual(lb.spec.ports.map((p: any) => [p.port, p.protocol]), [[5500, "TCP"], [5577, "TCP"]]);
      assert.ok(selects(lb.spec.selector, d.spec.template.metadata.labels), "NLB selects the pod");
      const consumers = service(run, "xroad-consumers");
      assert.equal(consumers.spec.type, "ClusterIP");
      assert.deepEqual(consumers.spec.ports.map((p: any) => p.port), [8080, 8443]);
      const admin = service(run, "xroad-admin");
      assert.equal(admin.spec.type, "ClusterIP");
      assert.equal(admin.spec.publishNotReadyAddresses, true, "the admin UI is reachable before registration");
      assert.ok(selects(admin.spec.selector, d.spec.template.metadata.labels));
    });

    it("uses a baseline namespace with the reason, default deny, and the §4.3 allow rules", () => {
      const ns = obj(run.get("kubernetes:core/v1:Namespace", "xroad-ns"));
      assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
      assert.match(ns.metadata.annotations["trust-services.io/pod-security-reason"], /supervisord as root/);
      assert.deepEqual(policy(run, "xroad-ns-default-deny").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      const ingress = policy(run, "xroad-server-ingress");
      assert.ok(selects(ingress.spec.podSelector.matchLabels, d.spec.template.metadata.labels), "the policy selects the server");
      assert.deepEqual(ingress.spec.policyTypes, ["Ingress"]);
      const [messaging, consumers, admin] = ingress.spec.ingress;
      assert.deepEqual(ports(messaging), [5500, 5577, 5588]);
      assert.deepEqual(messaging.from, [{ ipBlock: { cidr: "0.0.0.0/0" } }], "peers from anywhere (no source ranges set)");
      assert.deepEqual(ports(consumers), [8080, 8443]);
      assert.deepEqual(consumers.from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "consumers" } } }]);
      assert.deepEqual(ports(admin), [4000]);
      assert.deepEqual(admin.from, consumers.from);
      const egress = policy(run, "xroad-server-egress").spec.egress;
      assert.deepEqual(ports(egress[0]), [80, 443, 4001, 5500, 5577]);
      assert.ok(!JSON.stringify(run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map(obj)).includes('"port":22'), "no SSH outside ha");
    });

    it("ships /var/lib/xroad to the archive bucket with SSE-KMS, credentials from Pod Identity limited to the prefix and key", () => {
      const a = container(d, "archiver");
      assert.ok(a, "archiver container beside X-Road");
      assert.match(a.image, /^amazon\/aws-cli:\d+\.\d+\.\d+$/);
      assert.deepEqual(mount(a, "/var/lib/xroad"), { name: "data", mountPath: "/var/lib/xroad", readOnly: true });
      assert.ok(a.command.join(" ").includes("--sse aws:kms --sse-kms-key-id"));
      const env = Object.fromEntries(a.env.map((e: any) => [e.name, e.value]));
      const bucket = run.get("aws:s3/bucket:Bucket", "xroad-archive");
      const key = run.get("aws:kms/key:Key", "xroad-archive-key");
      assert.equal(env.BUCKET, bucket.state.bucket);
      assert.equal(env.KMS_KEY_ARN, key.state.arn);
      assert.equal(env.PREFIX, "xroad");
      assert.equal(env.INTERVAL_SECONDS, "21600");
      assert.ok(!a.env.some((e: any) => /AWS_(ACCESS|SECRET)/.test(e.name)), "no static keys");
      assert.equal(a.securityContext.runAsNonRoot, true);
      assert.equal(a.securityContext.readOnlyRootFilesystem, true);
      assert.equal(d.spec.template.spec.serviceAccountName, "xroad-archiver");
      const assoc = obj(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "xroad-archiver"));
      assert.deepEqual([assoc.namespace, assoc.serviceAccount], ["xroad", "xroad-archiver"]);
      const role = run.get("aws:iam/role:Role", "xroad-archiver");
      assert.equal(assoc.roleArn, role.state.arn);
      const doc = JSON.parse(obj(run.get("aws:iam/rolePolicy:RolePolicy", "xroad-archiver-inline")).policy);
      const objects = doc.Statement.find((s: any) => s.Sid === "ObjectsUnderPrefix");
      assert.equal(objects.Resource, `${bucket.state.arn}/xroad/*`);
      assert.equal(doc.Statement.find((s: any) => s.Sid === "BucketKey").Resource, key.state.arn);
      const egress = policy(run, "xroad-server-egress").spec.egress;
      assert.ok(egress.some((e: any) => e.to[0].ipBlock?.cidr === "169.254.170.23/32" && e.ports[0].port === 80), "the Pod Identity agent is reachable");
    });

    it("does not wait for readiness until the server is registered", () => {
      assert.equal(obj(run.get("kubernetes:apps/v1:Deployment", "xroad-server")).metadata.annotations["pulumi.com/skipAwait"], "true");
    });

    it("the archiver script syncs the archives and backups only", () => {
      assert.ok(ARCHIVER_SCRIPT.includes('--include "mlog-*" --include "backup/*"'));
      assert.ok(ARCHIVER_SCRIPT.includes('--exclude "*"'));
    });
  });

  describe("external-db (seed §2.2): one pod, managed PostgreSQL 16", () => {
    let run: Run;
    let d: Record<string, any>;
    before(async () => {
      run = await runStackFile("dev", (c) => ({ ...c, "trust-services:topology": "external-db" }));
      d = deployment(run, "xroad-server");
    });

    it("points XROAD_DB_* at the RDS instance and delivers its password through a Secret", () => {
      const c = container(d);
      commonContainerChecks(run, d);
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      const rds = run.get("aws:rds/instance:Instance", "xroad-db-db");
      assert.equal(env.XROAD_DB_HOST, rds.state.address);
      assert.equal(env.XROAD_DB_PORT, "5432");
      assert.equal(env.XROAD_DATABASE_NAME, "xroad");
      assert.ok(c.envFrom.some((f: any) => f.secretRef.name === "xroad-database"));
      const secret = run.get("kubernetes:core/v1:Secret", "xroad-database");
      assert.equal(obj(secret).stringData.XROAD_DB_PWD, plain(rds.inputs.password), "the pod gets the master password RDS was created with");
      assert.equal(obj(rds).engineVersion, "16");
    });

    it("keeps /etc/xroad and /var/lib/xroad, and no local database volume", () => {
      const c = container(d);
      assert.ok(mount(c, "/etc/xroad") && mount(c, "/var/lib/xroad"));
      assert.equal(mount(c, "/var/lib/postgresql"), undefined);
    });

    it("may reach the database port inside the VPC", () => {
      const egress = policy(run, "xroad-server-egress").spec.egress;
      const db = egress.find((e: any) => e.ports[0].port === 5432);
      assert.deepEqual(db.to, [{ ipBlock: { cidr: "10.20.0.0/16" } }]);
    });

    it("a given database: host and port from settings; another superuser via /etc/xroad.properties", async () => {
      const r = await runStack({
        "aws:region": "eu-west-1",
        topology: "external-db",
        xroad: { database: { given: { host: "pg.internal.example", port: 6432, user: "xroad_admin", password: "given-password-123" } } },
      });
      const dep = deployment(r, "xroad-server");
      const env = Object.fromEntries(container(dep).env.map((e: any) => [e.name, e.value]));
      assert.deepEqual([env.XROAD_DB_HOST, env.XROAD_DB_PORT], ["pg.internal.example", "6432"]);
      assert.equal(r.ofType("aws:rds/instance:Instance").length, 0);
      assert.deepEqual(mount(container(dep), "/etc/xroad.properties"), { name: "xroad-properties", mountPath: "/etc/xroad.properties", subPath: "xroad.properties", readOnly: true });
      assert.match(obj(r.get("kubernetes:core/v1:Secret", "xroad-database")).stringData["xroad.properties"], /postgres.connection.user = xroad_admin/);
    });
  });

  describe("ha (seed §2.3, §4.2.6): primary, secondaries behind an NLB", () => {
    let run: Run;
    let primary: Record<string, any>;
    let secondary: Record<string, any>;
    before(async () => {
      run = await runStackFile("prod");
      primary = deployment(run, "xroad-primary");
      secondary = deployment(run, "xroad-secondary");
    });

    it("the primary: -primary image, exactly one replica, Recreate, sshd, config on EFS and data on EBS", () => {
      assert.equal(container(primary).image, "niis/xroad-security-server-sidecar:7.8.2-primary");
      assert.equal(primary.spec.replicas, 1);
      assert.equal(primary.spec.strategy.type, "Recreate");
      assert.match(primary.metadata.annotations["trust-services.io/single-replica-reason"], /exactly one primary/);
      commonContainerChecks(run, primary);
      const c = container(primary);
      assert.ok(c.ports.some((p: any) => p.containerPort === 22));
      const pvcs = Object.fromEntries(run.ofType("kubernetes:core/v1:PersistentVolumeClaim").map((r) => [obj(r).metadata.name, obj(r)]));
      const config = pvcs[volume(primary, mount(c, "/etc/xroad").name).persistentVolumeClaim.claimName];
      assert.deepEqual([config.spec.accessModes[0], config.spec.storageClassName], ["ReadWriteMany", "efs"]);
      const data = pvcs[volume(primary, mount(c, "/var/lib/xroad").name).persistentVolumeClaim.claimName];
      assert.deepEqual([data.spec.accessModes[0], data.spec.storageClassName], ["ReadWriteOnce", "gp3"]);
    });

    it("the primary gets only the public key, at /etc/.ssh/id_rsa.pub", () => {
      const ssh = volume(primary, mount(container(primary), "/etc/.ssh").name);
      assert.deepEqual(ssh.secret.items, [{ key: "public-key", path: "id_rsa.pub", mode: 0o644 }]);
      const secret = run.get("kubernetes:core/v1:Secret", "xroad-ssh");
      assert.deepEqual(Object.keys(obj(secret).stringData).sort(), ["private-key", "public-key"]);
      const key = run.get("tls:index/privateKey:PrivateKey", "xroad-sync-key");
      assert.equal(obj(secret).stringData["private-key"], key.state.privateKeyOpenssh);
    });

    it("a headless Service publishes the primary while it is not ready, and the secondaries sync from it", () => {
      const headless = service(run, "xroad-primary");
      assert.equal(headless.spec.clusterIP, "None");
      assert.equal(headless.spec.publishNotReadyAddresses, true);
      assert.ok(selects(headless.spec.selector, primary.spec.template.metadata.labels));
      assert.ok(!selects(headless.spec.selector, secondary.spec.template.metadata.labels));
      const env = Object.fromEntries(container(secondary).env.map((e: any) => [e.name, e.value]));
      assert.equal(env.XROAD_PRIMARY_DNS, "xroad-primary.xroad.svc.cluster.local");
    });

    it("the secondaries: -secondary image, N replicas, the key pair at /etc/.ssh readable by the sync user, long startup", () => {
      const c = container(secondary);
      assert.equal(c.image, "niis/xroad-security-server-sidecar:7.8.2-secondary");
      assert.equal(secondary.spec.replicas, 3);
      commonContainerChecks(run, secondary);
      const ssh = volume(secondary, mount(c, "/etc/.ssh").name);
      assert.deepEqual(ssh.secret.items, [
        { key: "private-key", path: "id_rsa", mode: 0o644 },
        { key: "public-key", path: "id_rsa.pub", mode: 0o644 },
      ]);
      assert.ok(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold >= 1800, "waits for the first sync");
      assert.ok(!c.envFrom.some((f: any) => f.secretRef.name === "xroad-database"), "secondaries never see the DB master password");
      assert.equal(mount(c, "/etc/xroad"), undefined, "config is synced, not persisted");
    });

    it("the NLB fronts the secondaries only, on 5500 and 5577 over TCP", () => {
      const lb = service(run, "xroad-messaging");
      assert.equal(lb.spec.type, "LoadBalancer");
      assert.ok(selects(lb.spec.selector, secondary.spec.template.metadata.labels));
      assert.ok(!selects(lb.spec.selector, primary.spec.template.metadata.labels));
      assert.deepEqual(lb.spec.ports.map((p: any) => [p.port, p.targetPort, p.protocol]), [[5500, 5500, "TCP"], [5577, 5577, "TCP"]]);
      assert.equal(service(run, "xroad-admin").spec.selector["app.kubernetes.io/component"], "primary", "admin UI on the primary");
    });

    it("rolls secondaries one at a time after the primary, spread over zones and nodes, with a PDB", () => {
      assert.deepEqual(secondary.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      const spread = secondary.spec.template.spec.topologySpreadConstraints;
      assert.deepEqual(spread.map((t: any) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
      for (const t of spread) assert.ok(selects(t.labelSelector.matchLabels, secondary.spec.template.metadata.labels));
      const pdb = obj(run.get("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary"));
      assert.equal(pdb.spec.maxUnavailable, 1);
      assert.ok(selects(pdb.spec.selector.matchLabels, secondary.spec.template.metadata.labels));
      const sec = run.get("kubernetes:apps/v1:Deployment", "xroad-secondary");
      assert.ok(sec.dependencies.includes(run.get("kubernetes:apps/v1:Deployment", "xroad-primary").urn), "the primary is updated first");
    });

    it("SSH (22) only from the secondaries to the primary", () => {
      const into = policy(run, "xroad-primary-ingress").spec;
      assert.ok(selects(into.podSelector.matchLabels, primary.spec.template.metadata.labels));
      const sync = into.ingress.find((r: any) => r.ports[0].port === 22);
      assert.deepEqual(ports(sync), [22]);
      assert.ok(selects(sync.from[0].podSelector.matchLabels, secondary.spec.template.metadata.labels));
      assert.ok(!selects(sync.from[0].podSelector.matchLabels, primary.spec.template.metadata.labels));
      const out = policy(run, "xroad-secondary-egress").spec;
      assert.ok(selects(out.podSelector.matchLabels, secondary.spec.template.metadata.labels));
      const toPrimary = out.egress.find((r: any) => r.ports[0].port === 22);
      assert.ok(selects(toPrimary.to[0].podSelector.matchLabels, primary.spec.template.metadata.labels));
      // Nothing else may reach the primary's sshd, and the secondaries take no SSH.
      assert.ok(!policy(run, "xroad-secondary-ingress").spec.ingress.some((r: any) => r.ports.some((p: any) => p.port === 22)));
      assert.ok(!policy(run, "xroad-primary-egress").spec.egress.some((r: any) => r.ports.some((p: any) => p.port === 22)));
    });

    it("all nodes use the same Multi-AZ PostgreSQL 16; only the primary (and not secondaries) gets DB env", () => {
      const rds = obj(run.get("aws:rds/instance:Instance", "xroad-db-db"));
      assert.deepEqual([rds.engineVersion, rds.multiAz, rds.instanceClass], ["16", true, "db.m6g.large"]);
      const penv = container(primary).env.map((e: any) => e.name);
      assert.ok(penv.includes("XROAD_DB_HOST"));
      const senv = container(secondary).env.map((e: any) => e.name);
      assert.ok(!senv.includes("XROAD_DB_HOST"), "secondaries get db.properties from the primary");
    });

    it("the archiver runs beside the primary only", () => {
      assert.ok(container(primary, "archiver"));
      assert.equal(container(secondary, "archiver"), undefined);
    });

    it("outputs the NLB hostname, the internal admin URL and the Secret names", () => {
      const x = run.outputs.xroad as Record<string, any>;
      assert.match(x.loadBalancerHostname, /elb\.eu-west-1\.amazonaws\.com$/);
      assert.equal(x.adminUrl, "https://xroad-admin.xroad.svc.cluster.local:4000");
      assert.deepEqual(x.secretNames, { credentials: "xroad-credentials", database: "xroad-database", ssh: "xroad-ssh" });
    });

    it("once registered, Pulumi waits for readiness (no skipAwait)", async () => {
      const r = await runStackFile("prod", (c) => ({ ...c, "trust-services:xroad": { ...(c["trust-services:xroad"] as object), registered: true } }));
      for (const name of ["xroad-primary", "xroad-secondary"]) {
        assert.equal(deployment(r, name).metadata.annotations?.["pulumi.com/skipAwait"], undefined, name);
      }
    });
  });

  describe("settings that shape the workloads", () => {
    it("country variants and full images map to the tags NIIS publishes", async () => {
      const r = await runStack({ "aws:region": "eu-west-1", topology: "ha", xroad: { variant: "slim", country: "fi" } });
      assert.equal(container(deployment(r, "xroad-primary")).image, "niis/xroad-security-server-sidecar:7.8.2-slim-primary-fi");
      assert.equal(container(deployment(r, "xroad-secondary")).image, "niis/xroad-security-server-sidecar:7.8.2-slim-secondary-fi");
      const full = await runStack({ "aws:region": "eu-west-1", xroad: { variant: "full", country: "ee" } });
      const d = deployment(full, "xroad-server");
      assert.equal(container(d).image, "niis/xroad-security-server-sidecar:7.8.2-ee");
      assert.equal(container(d).resources.requests.memory, "4Gi", "full needs 4 GiB");
    });

    it("an internal NLB, source ranges and the controller's ip targets", async () => {
      const r = await runStack({
        "aws:region": "eu-west-1",
        xroad: { exposure: { loadBalancer: { scheme: "internal", sourceRanges: ["198.51.100.0/24"] }, internalLoadBalancer: true, allowedCidrs: ["10.9.0.0/16"] } },
      });
      const lb = service(r, "xroad-messaging");
      assert.equal(lb.spec.loadBalancerClass, "service.k8s.aws/nlb");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], "internal");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
      assert.deepEqual(lb.spec.loadBalancerSourceRanges, ["198.51.100.0/24"]);
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"], "preserve_client_ip.enabled=true", "peer addresses are not rewritten");
      assert.deepEqual(
        policy(r, "xroad-server-ingress").spec.ingress[0].from,
        [{ ipBlock: { cidr: "198.51.100.0/24" } }, { ipBlock: { cidr: "10.0.0.0/16" } }],
        "the peers, and the NLB's health checks from the VPC",
      );
      const admin = service(r, "xroad-admin");
      assert.equal(admin.spec.type, "LoadBalancer");
      assert.equal(admin.spec.loadBalancerClass, "service.k8s.aws/nlb");
      assert.equal(admin.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], "internal");
      assert.deepEqual(admin.spec.loadBalancerSourceRanges, ["10.9.0.0/16"]);
    });

    it("on an existing cluster the NLB stays in-tree: instance targets (the default) or the cluster's own controller with ip", async () => {
      const existing = { cluster: { existing: { kubeconfig: mockKubeconfig("other") } }, xroad: { archive: { enabled: false } } };
      const r = await runStack({ ...existing, xroad: { ...existing.xroad, exposure: { loadBalancer: { scheme: "internal" } } } });
      const lb = service(r, "xroad-messaging");
      assert.equal(lb.spec.loadBalancerClass, undefined, "no controller is installed by the stack");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-internal"], "true", "the in-tree controller reads -internal, not -scheme");
      assert.equal(lb.spec.externalTrafficPolicy, "Local", "peer addresses are not rewritten");
      const ip = await runStack({ ...existing, xroad: { ...existing.xroad, exposure: { loadBalancer: { targetType: "ip" } } } });
      const lbIp = service(ip, "xroad-messaging");
      assert.equal(lbIp.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "external");
      assert.equal(lbIp.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"], "ip");
      assert.equal(ip.ofType("kubernetes:helm.sh/v3:Release").length, 0);
    });

    it("resources from settings override the defaults", async () => {
      const r = await runStack({ "aws:region": "eu-west-1", xroad: { resources: { requests: { cpu: "3", memory: "6Gi" }, limits: { cpu: "6", memory: "8Gi" } } } });
      assert.deepEqual(container(deployment(r, "xroad-server")).resources, { requests: { cpu: "3", memory: "6Gi" }, limits: { cpu: "6", memory: "8Gi" } });
    });

    it("a local single-node cluster uses hostPath under a privileged namespace that says why", async () => {
      const r = await runStack({
        cluster: { existing: { kubeconfig: mockKubeconfig("local"), local: true } },
        xroad: { storage: { hostPath: "/srv/xroad" }, exposure: { loadBalancer: { enabled: false } } },
      });
      const d = deployment(r, "xroad-server");
      assert.deepEqual(volume(d, "config").hostPath, { path: "/srv/xroad/config", type: "DirectoryOrCreate" });
      const ns = obj(r.get("kubernetes:core/v1:Namespace", "xroad-ns"));
      assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
      assert.ok(ns.metadata.annotations["trust-services.io/pod-security-reason"]);
      assert.equal(r.find("kubernetes:core/v1:Service", "xroad-messaging"), undefined);
    });

    it("given credentials are used instead of generated ones, and stay secret", async () => {
      const r = await runStack({ "aws:region": "eu-west-1", xroad: { tokenPin: { secure: "v1:pin" } } });
      assert.equal(r.find("random:index/randomPassword:RandomPassword", "xroad-token-pin"), undefined);
      assert.ok(r.find("random:index/randomPassword:RandomPassword", "xroad-admin-password"));
      const stringData = obj(r.get("kubernetes:core/v1:Secret", "xroad-credentials")).stringData;
      assert.match(stringData.XROAD_TOKEN_PIN, /^MOCKSECRET-config-/, "the given PIN is delivered");
      assert.deepEqual(RULES.find((x) => x.id === "no-plaintext-secrets")!.check(r), [], "and appears nowhere in plain text");
    });

    it("the component refuses contradictory args before creating anything", async () => {
      const attempts: Array<[Record<string, unknown>, RegExp]> = [
        [{ topology: "cluster" }, /topology "cluster" — single, external-db, ha/],
        [{ topology: "ha" }, /database undefined — an external PostgreSQL 16/],
        [{ topology: "ha", secondaries: 1, database: { host: "h", port: 5432, password: "p" } }, /secondaries 1 — at least 2/],
        [{ topology: "single", sharedConfig: true }, /sharedConfig true — only with topology ha/],
        [{ topology: "single", loadBalancerScheme: "public" }, /loadBalancerScheme "public"/],
      ];
      for (const [args, message] of attempts) {
        await assert.rejects(
          runWith(() => {
            new XRoadSecurityServer("x", args as any);
            return {};
          }),
          message,
        );
        assert.equal(recordedSoFar().length, 0, `nothing registered for ${JSON.stringify(args)}`);
      }
    });
  });
});
