import * as assert from "assert";
import { RULES } from "./policies";
import { readStackFile, Recorded, Run, runStack } from "./harness";

describe("policy suite: each rule", () => {
  describe("each rule fires on a deliberately bad resource set", () => {
    let prod: Run;
    before(async () => {
      prod = await runStack(readStackFile("prod"), "prod");
    });

    /** A copy of the prod run with one thing broken. */
    function broken(mutate: (find: (type: string, name: string) => Recorded, resources: Recorded[]) => void, extra: Partial<{ rawOutputs: Record<string, unknown> }> = {}): Run {
      const resources = prod.resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs), state: structuredClone(r.state) }));
      const find = (type: string, name: string) => {
        const hit = resources.find((r) => r.type === type && (r.name === name || r.name.endsWith(`-${name}`)));
        if (!hit) throw new Error(`no ${type} ${name}`);
        return hit;
      };
      mutate(find, resources);
      return new Run(resources, prod.outputs, extra.rawOutputs ?? prod.rawOutputs, prod.settings);
    }
    const inp = (r: Recorded) => r.inputs as Record<string, any>;
    const podSpec = (r: Recorded) => inp(r).spec.template.spec;

    function fires(ruleId: string, run: Run, fragment: string) {
      const rule = RULES.find((r) => r.id === ruleId)!;
      assert.ok(rule, ruleId);
      assert.deepEqual(rule.check(prod), [], `${ruleId} passes on the real prod stack`);
      const findings = rule.check(run);
      assert.ok(
        findings.some((f) => `${f.resource}: ${f.message}`.includes(fragment)),
        `${ruleId} did not report "${fragment}"; it said:\n${findings.map((f) => `${f.resource}: ${f.message}`).join("\n")}`,
      );
    }

    it("encryption-at-rest", () => {
      fires("encryption-at-rest", broken((f) => (inp(f("aws:rds/instance:Instance", "xroad-db-db")).storageEncrypted = false)), "RDS storage not encrypted");
      fires("encryption-at-rest", broken((f) => (inp(f("kubernetes:storage.k8s.io/v1:StorageClass", "storage-gp3")).parameters.encrypted = "false")), "EBS volumes not encrypted");
      fires("encryption-at-rest", broken((f) => (inp(f("aws:kms/key:Key", "platform-key")).enableKeyRotation = false)), "key rotation is off");
      fires("encryption-at-rest", broken((f) => delete inp(f("aws:cloudwatch/logGroup:LogGroup", "insights-host")).kmsKeyId), "insights-host: log group not encrypted");
      fires(
        "encryption-at-rest",
        broken((f) => {
          const sse = inp(f("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "xroad-archive-sse"));
          sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId = "alias/aws/s3";
        }),
        "no default SSE-KMS with a customer-managed key",
      );
      fires("encryption-at-rest", broken((f) => (inp(f("aws:eks/cluster:Cluster", "cluster-eks")).encryptionConfig = undefined)), "secrets not envelope-encrypted");
    });

    it("nothing-public", () => {
      fires("nothing-public", broken((f) => (inp(f("aws:rds/instance:Instance", "xroad-db-db")).publiclyAccessible = true)), "publicly accessible");
      fires("nothing-public", broken((f) => inp(f("kubernetes:core/v1:Service", "xroad-messaging")).spec.ports.push({ name: "admin", port: 4000, targetPort: 4000 })), "exposes port 4000");
      fires("nothing-public", broken((f) => (inp(f("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "xroad-db-from-cluster")).cidrIpv4 = "0.0.0.0/0")), "admits 0.0.0.0/0");
      fires("nothing-public", broken((f) => (inp(f("aws:eks/cluster:Cluster", "cluster-eks")).vpcConfig.publicAccessCidrs = ["0.0.0.0/0"])), "whole internet");
      fires("nothing-public", broken((f) => (inp(f("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "xroad-archive-public-access")).restrictPublicBuckets = false)), "not fully blocked");
    });

    it("tls-required", () => {
      fires("tls-required", broken((f) => (inp(f("aws:rds/parameterGroup:ParameterGroup", "xroad-db-params")).parameters = [])), "does not require TLS");
      fires("tls-required", broken((f, rs) => rs.splice(rs.indexOf(f("aws:s3/bucketPolicy:BucketPolicy", "xroad-archive-tls-only")), 1)), "does not deny non-TLS requests");
      fires(
        "tls-required",
        broken((_, rs) => rs.push({ ...rs[0], type: "aws:elasticache/replicationGroup:ReplicationGroup", name: "plain-redis", urn: "urn:x", inputs: { transitEncryptionEnabled: false, tags: {} } })),
        "Redis without transit encryption",
      );
    });

    it("no-plaintext-secrets", () => {
      const password = [...prod.secretStrings()].find((s) => s.includes("xroad-admin-password"))!;
      assert.ok(password);
      fires("no-plaintext-secrets", broken((f) => podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[0].env.push({ name: "XROAD_ADMIN_PASSWORD", value: password })), "xroad-primary: secret in plain text at spec.template.spec.containers[0].env");
      fires("no-plaintext-secrets", broken((f) => (inp(f("kubernetes:core/v1:Namespace", "xroad-ns")).metadata.labels.debug = password)), "metadata.labels.debug");
      fires("no-plaintext-secrets", broken(() => undefined, { rawOutputs: { ...prod.rawOutputs, leaked: `token=${password}` } }), "stack outputs: secret in plain text at leaked");
      // A private key is found even where it travels with a certificate.
      const key = [...prod.secretStrings()].find((x) => x.includes("PRIVATE KEY"))!;
      assert.ok(key, "the run holds a generated private key");
      fires("no-plaintext-secrets", broken(() => undefined, { rawOutputs: { ...prod.rawOutputs, bundle: `-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n${key}` } }), "secret in plain text at bundle");
    });

    it("images-pinned", () => {
      fires("images-pinned", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).containers[0].image = "niis/xroad-security-server-sidecar:latest")), "is not pinned");
      fires("images-pinned", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[1].image = "amazon/aws-cli")), "container archiver image");
    });

    it("resources-and-probes", () => {
      fires("resources-and-probes", broken((f) => delete podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).containers[0].resources.limits), "has no cpu limit");
      fires("resources-and-probes", broken((f) => delete podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[1].livenessProbe), "container archiver has no liveness probe");
      fires("resources-and-probes", broken((f) => delete podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[0].readinessProbe), "no readiness probe");
    });

    it("pod-security", () => {
      fires("pod-security", broken((f) => delete inp(f("kubernetes:core/v1:Namespace", "xroad-ns")).metadata.labels["pod-security.kubernetes.io/enforce"]), "no pod-security.kubernetes.io/enforce label");
      fires("pod-security", broken((f) => (inp(f("kubernetes:core/v1:Namespace", "xroad-ns")).metadata.annotations = {})), "enforces baseline without a documented reason");
      fires("pod-security", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[0].securityContext.privileged = true)), "is privileged");
      fires("pod-security", broken((f) => podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).volumes.push({ name: "h", hostPath: { path: "/" } })), "uses a hostPath volume");
      fires(
        "pod-security",
        broken((f) => (inp(f("kubernetes:core/v1:Namespace", "xroad-ns")).metadata.labels["pod-security.kubernetes.io/enforce"] = "restricted")),
        "container xroad may run as root",
      );
    });

    it("network-policies", () => {
      fires("network-policies", broken((f) => delete inp(f("aws:eks/addon:Addon", "cluster-vpc-cni")).configurationValues), "the VPC CNI does not enforce NetworkPolicies");
      fires("network-policies", broken((f, rs) => rs.splice(rs.indexOf(f("kubernetes:networking.k8s.io/v1:NetworkPolicy", "xroad-ns-default-deny")), 1)), "no default-deny NetworkPolicy");
      fires("network-policies", broken((f) => delete inp(f("kubernetes:networking.k8s.io/v1:NetworkPolicy", "xroad-primary-ingress")).spec.ingress[0].ports), "an ingress rule allows every port");
    });

    it("ha-serving", () => {
      fires("ha-serving", broken((f) => (inp(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).spec.replicas = 1)), "runs 1 replica without a documented reason");
      fires("ha-serving", broken((f) => delete inp(f("kubernetes:apps/v1:Deployment", "xroad-primary")).metadata.annotations["trust-services.io/single-replica-reason"]), "xroad-primary: runs 1 replica");
      fires("ha-serving", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).topologySpreadConstraints = [])), "not spread over zones");
      fires("ha-serving", broken((f, rs) => rs.splice(rs.indexOf(f("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary")), 1)), "no PodDisruptionBudget");
      fires("ha-serving", broken((f) => (inp(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).spec.strategy = { type: "Recreate" })), "Recreate rollout");
      // Strength, not presence.
      const spread = (f: (t: string, n: string) => Recorded) => podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).topologySpreadConstraints;
      fires("ha-serving", broken((f) => (spread(f)[0].whenUnsatisfiable = "ScheduleAnyway")), "zone spread is only a preference");
      fires("ha-serving", broken((f) => (spread(f)[1].whenUnsatisfiable = "ScheduleAnyway")), "node spread is only a preference");
      fires("ha-serving", broken((f) => (spread(f)[0].labelSelector = { matchLabels: { "app.kubernetes.io/name": "something-else" } })), "zone spread is only a preference (or not over its own pods)");
      fires("ha-serving", broken((f) => (inp(f("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary")).spec = { maxUnavailable: 0, selector: inp(f("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary")).spec.selector })), "blocks every eviction");
      fires("ha-serving", broken((f) => {
        const pdb = inp(f("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary"));
        pdb.spec = { minAvailable: "100%", selector: pdb.spec.selector };
      }), "blocks every eviction");
      fires("ha-serving", broken((f) => (inp(f("kubernetes:policy/v1:PodDisruptionBudget", "xroad-secondary")).spec.maxUnavailable = 3)), "lets a drain evict every replica");
      fires("ha-serving", broken((f) => (inp(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } })), "rollout may take every replica down");
    });

    it("schedulable: allocatable follows the EKS AMI's reservations", () => {
      const { allocatable, INSTANCE_TYPES, place } = require("./policies/capacity");
      // kube-reserved CPU 70m on 2 vCPUs, 80m on 4, 110m on 16; memory 11 Mi × maxPods + 255 Mi, 100 Mi eviction.
      assert.equal(allocatable(INSTANCE_TYPES["m5.large"]).cpu, 1930);
      assert.equal(allocatable(INSTANCE_TYPES["m6i.xlarge"]).cpu, 3920);
      assert.equal(allocatable(INSTANCE_TYPES["m6i.4xlarge"]).cpu, 15890);
      assert.equal(Math.round(allocatable(INSTANCE_TYPES["m6i.xlarge"]).memory), 14162);
      assert.equal(allocatable(INSTANCE_TYPES["m6i.4xlarge"]).pods, 110, "a managed node group caps pods at 110 below 30 vCPUs");
      // A workload that must spread over nodes does not double up to fit.
      const room = { cpu: 4000, memory: 8000, pods: 50 };
      const three = Array.from({ length: 3 }, () => ({ workload: "w", requests: { cpu: 100, memory: 100, pods: 1 }, perNodeCap: 1 }));
      assert.equal(place(three, 2, room).unplaced.length, 1);
      assert.equal(place(three, 3, room).unplaced.length, 0);
    });

    it("schedulable", () => {
      const group = (f: (t: string, n: string) => Recorded) => inp(f("aws:eks/nodeGroup:NodeGroup", "cluster-nodes"));
      fires("schedulable", broken((f) => (group(f).scalingConfig.minSize = 2)), "do not fit on 1 node(s) of m6i.2xlarge (the group's minimum, one lost)");
      fires("schedulable", broken((f) => (group(f).instanceTypes = ["m6i.xlarge"])), "do not fit on 4 node(s) of m6i.xlarge");
      fires("schedulable", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).containers[0].resources.requests.cpu = "12")), "a pod requests 12000m CPU");
      fires("schedulable", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).containers[0].resources.requests.memory = "40Gi")), "more than a m6i.2xlarge node gives");
      fires("schedulable", broken((f) => (group(f).instanceTypes = ["x9.huge"])), "no capacity data for instance type x9.huge");
    });

    it("api-access-least-privilege", () => {
      const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
      const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
      fires("api-access-least-privilege", broken((f) => (inp(f(ROLE, "sigstore-trillian-logsigner")).rules[0].verbs = ["*"])), "a wildcard in verbs");
      fires("api-access-least-privilege", broken((f) => inp(f(ROLE, "sigstore-createtree")).rules[0].resources.push("secrets")), "grants access to Secrets");
      fires("api-access-least-privilege", broken((f) => (inp(f(BINDING, "sigstore-createtree")).subjects = [{ kind: "User", name: "alice" }])), "binds User alice");
      fires("api-access-least-privilege", broken((f) => (inp(f(BINDING, "sigstore-createtree")).subjects[0].namespace = "default")), "only ServiceAccounts of its own namespace");
      fires("api-access-least-privilege", broken((f) => (inp(f(BINDING, "sigstore-createtree")).roleRef.name = "other")), "no RoleBinding binds it");
      fires("api-access-least-privilege", broken((f) => (inp(f(ROLE, "sigstore-createtree")).kind = "ClusterRole")), "a ClusterRole");
    });

    it("service-account-tokens", () => {
      fires("service-account-tokens", broken((f) => (podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).automountServiceAccountToken = true)), "mounts a token for ServiceAccount default");
      // The archiver's account: the pod says nothing, the account says nothing: Kubernetes mounts it.
      fires("service-account-tokens", broken((f) => {
        delete podSpec(f("kubernetes:apps/v1:Deployment", "xroad-primary")).automountServiceAccountToken;
        delete inp(f("kubernetes:core/v1:ServiceAccount", "xroad-archiver")).automountServiceAccountToken;
      }), "mounts a token for ServiceAccount xroad-archiver");
      // A binding that grants the account API access makes the token legitimate.
      const bound = broken((f, rs) => {
        podSpec(f("kubernetes:apps/v1:Deployment", "xroad-secondary")).automountServiceAccountToken = true;
        rs.push({ ...rs[0], type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", name: "b", urn: "urn:b", custom: true, inputs: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: { name: "b", namespace: "xroad" }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "leases" }, subjects: [{ kind: "ServiceAccount", name: "default", namespace: "xroad" }] } });
      });
      assert.deepEqual(RULES.find((r) => r.id === "service-account-tokens")!.check(bound), []);
    });

    it("production-keeps-data", () => {
      fires("production-keeps-data", broken((f) => (f("aws:rds/instance:Instance", "xroad-db-db").retainOnDelete = false)), "would be deleted by a destroy");
      fires("production-keeps-data", broken((f) => (f("kubernetes:core/v1:PersistentVolumeClaim", "xroad-primary-data").retainOnDelete = false)), "xroad-primary-data: would be deleted");
      fires("production-keeps-data", broken((f) => (f("kubernetes:core/v1:Namespace", "xroad-ns").retainOnDelete = false)), "holds claims but would be deleted");
      fires("production-keeps-data", broken((f) => (inp(f("aws:rds/instance:Instance", "xroad-db-db")).deletionProtection = false)), "no deletion protection");
      fires("production-keeps-data", broken((f) => (inp(f("aws:rds/instance:Instance", "xroad-db-db")).skipFinalSnapshot = true)), "no final snapshot");
      fires("production-keeps-data", broken((f) => (inp(f("kubernetes:storage.k8s.io/v1:StorageClass", "storage-gp3")).reclaimPolicy = "Delete")), "deletes volumes with their claims");
      fires("production-keeps-data", broken((f) => (inp(f("aws:backup/plan:Plan", "backup-plan")).rules[0].lifecycle.deleteAfter = 7)), "kept less than 35 days");
    });

    it("iam-least-privilege", () => {
      const wildcard = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] });
      fires("iam-least-privilege", broken((f) => (inp(f("aws:iam/rolePolicy:RolePolicy", "xroad-archiver-inline")).policy = wildcard)), "allows s3:* on *");
      fires(
        "iam-least-privilege",
        broken((f) => {
          const p = inp(f("aws:iam/rolePolicy:RolePolicy", "xroad-archiver-inline"));
          const doc = JSON.parse(p.policy);
          doc.Statement[1].Resource = doc.Statement[1].Resource.replace(/\/xroad\/prod\/\*$/, "/*");
          p.policy = JSON.stringify(doc);
        }),
        "S3 object access not limited to a prefix",
      );
      fires(
        "iam-least-privilege",
        broken((f) => {
          const p = inp(f("aws:iam/rolePolicy:RolePolicy", "xroad-archiver-inline"));
          const doc = JSON.parse(p.policy);
          doc.Statement[2].Resource = "*";
          p.policy = JSON.stringify(doc);
        }),
        "KMS access not limited to named keys",
      );
    });

    const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
    const ann = (r: Recorded) => inp(r).metadata.annotations as Record<string, string>;

    it("access-logging", () => {
      const LOGGING = "aws:s3/bucketLogging:BucketLogging";
      fires("access-logging", broken((f, rs) => rs.splice(rs.indexOf(f(LOGGING, "xroad-archive-access-logs")), 1)), "xroad-archive: no server access logging");
      fires("access-logging", broken((f) => (inp(f(LOGGING, "xroad-archive-access-logs")).targetBucket = "someone-elses-bucket")), "logs to someone-elses-bucket, not a log bucket of the stack");
      fires(
        "access-logging",
        broken((f) => (ann(f(INGRESS, "xroad-admin"))["alb.ingress.kubernetes.io/load-balancer-attributes"] = "routing.http.drop_invalid_header_fields.enabled=true")),
        "its ALB writes no access logs",
      );
      fires("access-logging", broken((f) => (inp(f("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "access-logs-lifecycle")).rules = [])), "keeps its logs forever");
      fires(
        "access-logging",
        broken((f, rs) => {
          const log = f("aws:s3/bucket:Bucket", "access-logs");
          rs.push({ ...f(LOGGING, "xroad-archive-access-logs"), name: "self", urn: "urn:self", inputs: { bucket: log.id, targetBucket: log.state.bucket, targetPrefix: "s3/self/" } });
        }),
        "logs its own access",
      );
    });

    it("encryption-at-rest: the log bucket is the one SSE-S3 exception, and only while it is a log target", () => {
      // A data bucket that wears the exception's tag is still a data bucket.
      fires(
        "encryption-at-rest",
        broken((f) => {
          inp(f("aws:s3/bucket:Bucket", "xroad-archive")).tags["trust-services/sse-s3-reason"] = "claimed";
          inp(f("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "xroad-archive-sse")).rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" };
        }),
        "xroad-archive: no default SSE-KMS with a customer-managed key",
      );
      fires(
        "encryption-at-rest",
        broken((f) => (inp(f("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "access-logs-sse")).rules = [])),
        "log bucket without default encryption",
      );
    });

    it("endpoints-https", () => {
      const admin = (f: (t: string, n: string) => Recorded) => ann(f(INGRESS, "xroad-admin"));
      fires("endpoints-https", broken((f) => delete admin(f)["alb.ingress.kubernetes.io/certificate-arn"]), "xroad-admin: no ACM certificate");
      fires("endpoints-https", broken((f) => delete admin(f)["alb.ingress.kubernetes.io/ssl-redirect"]), "HTTP is served, not redirected to HTTPS");
      fires("endpoints-https", broken((f) => (admin(f)["alb.ingress.kubernetes.io/listen-ports"] = '[{"HTTP":80}]')), "no HTTPS listener");
      fires("endpoints-https", broken((f) => (admin(f)["alb.ingress.kubernetes.io/ssl-policy"] = "ELBSecurityPolicy-2016-08")), "is not TLS 1.2 or newer");
      fires("endpoints-https", broken((f) => delete admin(f)["alb.ingress.kubernetes.io/ssl-policy"]), "the controller's default");
      // Another controller's Ingress: a TLS section for the host and an issuer.
      fires(
        "endpoints-https",
        broken((f) => {
          const i = inp(f(INGRESS, "xroad-admin"));
          i.metadata.annotations = { "cert-manager.io/cluster-issuer": "letsencrypt" };
          i.spec.ingressClassName = "nginx";
          i.spec.tls = [];
        }),
        "has no TLS certificate",
      );
    });

    it("endpoints-audience", () => {
      fires("endpoints-audience", broken((f) => (ann(f(INGRESS, "xroad-admin"))["alb.ingress.kubernetes.io/scheme"] = "internet-facing")), "xroad-admin: an admin UI or admin API on an internet-facing endpoint");
      // Not marked admin, but its backend port is the admin port.
      fires(
        "endpoints-audience",
        broken((f) => {
          const i = inp(f(INGRESS, "xroad-admin"));
          delete i.metadata.labels["trust-services.io/audience"];
          i.metadata.annotations["alb.ingress.kubernetes.io/scheme"] = "internet-facing";
        }),
        "an admin UI or admin API on an internet-facing endpoint",
      );
      fires(
        "endpoints-audience",
        broken((f) => {
          const a = ann(f(INGRESS, "xroad-admin"));
          a["alb.ingress.kubernetes.io/scheme"] = "internet-facing";
          a["alb.ingress.kubernetes.io/conditions.xroad-admin"] = JSON.stringify([{ field: "source-ip", sourceIpConfig: { values: ["0.0.0.0/0"] } }]);
        }),
        "internet-facing without source ranges",
      );
    });

    it("schedulable counts the pods of the charts the stack installs", () => {
      const values = (f: (t: string, n: string) => Recorded) => {
        const v = inp(f("kubernetes:helm.sh/v3:Release", "load-balancer-controller")).values;
        return (v.value ?? v) as Record<string, any>;
      };
      fires("schedulable", broken((f) => delete values(f).resources), "sets no CPU and memory requests for its pods");
      fires("schedulable", broken((f) => (values(f).resources.requests.cpu = "7")), "do not fit on 4 node(s) of m6i.2xlarge");
    });

    it("nothing-public: the controller's NLB is internal unless its scheme says internet-facing", () => {
      const svc = (f: (t: string, n: string) => Recorded) => inp(f("kubernetes:core/v1:Service", "xroad-messaging"));
      fires(
        "nothing-public",
        broken((f) => {
          svc(f).spec.ports.push({ name: "admin", port: 4000, targetPort: 4000 });
        }),
        "exposes port 4000",
      );
      const internal = broken((f) => {
        delete svc(f).metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"];
        svc(f).spec.ports.push({ name: "admin", port: 4000, targetPort: 4000 });
      });
      assert.deepEqual(RULES.find((r) => r.id === "nothing-public")!.check(internal), [], "no scheme: the controller makes it internal");
    });

    it("the suite covers every rule it defines", () => {
      const tested = ["encryption-at-rest", "nothing-public", "tls-required", "no-plaintext-secrets", "images-pinned", "resources-and-probes", "pod-security", "network-policies", "ha-serving", "service-account-tokens", "api-access-least-privilege", "schedulable", "production-keeps-data", "iam-least-privilege", "access-logging", "endpoints-https", "endpoints-audience"];
      assert.deepEqual(RULES.map((r) => r.id).sort(), tested.sort());
    });
  });
});
