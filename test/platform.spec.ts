import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import { Cache } from "../components/aws/cache";
import { CLUSTER_ADDONS, CONTROL_PLANE_LOGS, EksCluster, kubernetesProvider } from "../components/aws/cluster";
import { Database } from "../components/aws/database";
import { EncryptedBucket } from "../components/aws/bucket";
import { cidrSubnet, Network } from "../components/aws/network";
import { ClusterStorage } from "../components/aws/storage";
import { BackupPlan } from "../components/aws/backup";
import { ContainerInsights, INSIGHTS_LOG_GROUPS } from "../components/aws/insights";
import { DependencyGraph } from "./graph";
import { ACCOUNT, isSecretValue, mockKubeconfig, plain, Recorded, Run, runStack, runStackFile, runWith } from "./harness";

const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const i = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const policy = (r: Recorded) => JSON.parse(i(r).policy);

describe("platform components", () => {
  describe("Network", () => {
    it("cidrSubnet splits a block like Terraform's cidrsubnet", () => {
      assert.equal(cidrSubnet("10.0.0.0/16", 2, 1), "10.0.64.0/18");
      assert.equal(cidrSubnet("10.0.0.0/16", 5, 16), "10.0.128.0/21");
      assert.throws(() => cidrSubnet("10.0.0.0/16", 2, 4));
    });

    async function network(natGatewayPerZone: boolean) {
      return runWith(() => {
        const n = new Network("net", { cidrBlock: "10.1.0.0/16", availabilityZoneNames: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], natGatewayPerZone, clusterName: "c1" });
        return { vpcId: n.vpcId };
      });
    }

    it("spans the zones with tagged public and private subnets that do not overlap", async () => {
      const run = await network(false);
      const subnets = run.ofType("aws:ec2/subnet:Subnet").map(i);
      const pub = subnets.filter((s) => s.tags["kubernetes.io/role/elb"] === "1");
      const priv = subnets.filter((s) => s.tags["kubernetes.io/role/internal-elb"] === "1");
      assert.equal(pub.length, 3);
      assert.equal(priv.length, 3);
      assert.deepEqual(priv.map((s) => s.availabilityZone), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
      assert.equal(new Set(subnets.map((s) => s.cidrBlock)).size, 6, "distinct CIDRs");
      for (const s of subnets) assert.equal(s.tags["kubernetes.io/cluster/c1"], "shared");
      assert.ok(pub.every((s) => s.mapPublicIpOnLaunch === false));
    });

    it("one NAT gateway outside production, one per zone in production, each private zone routed through one", async () => {
      assert.equal((await network(false)).ofType("aws:ec2/natGateway:NatGateway").length, 1);
      const prod = await network(true);
      const nats = prod.ofType("aws:ec2/natGateway:NatGateway");
      assert.equal(nats.length, 3);
      const privateRoutes = prod.ofType("aws:ec2/routeTable:RouteTable").filter((r) => r.name.includes("private"));
      assert.deepEqual(
        privateRoutes.map((r) => i(r).routes[0].natGatewayId).sort(),
        nats.map((n) => n.id).sort(),
        "each zone egresses through its own NAT",
      );
    });

    it("asks the region for zones when none are named", async () => {
      const run = await runWith(() => ({ id: new Network("net", { availabilityZoneCount: 2 }).vpcId }));
      assert.deepEqual(run.ofType("aws:ec2/subnet:Subnet").map((s) => i(s).availabilityZone).slice(0, 2), ["eu-west-1a", "eu-west-1b"]);
    });
  });

  describe("EksCluster", () => {
    let run: Run;
    let cluster: Recorded;
    before(async () => {
      run = await runWith(() => {
        const c = new EksCluster("eks", {
          clusterName: "demo",
          version: "1.33",
          vpcId: "vpc-1",
          privateSubnetIds: ["subnet-a", "subnet-b"],
          kmsKeyArn: KEY,
          publicAccessCidrs: ["203.0.113.0/24"],
          adminRoleArns: [`arn:aws:iam::${ACCOUNT}:role/admins`],
          addonVersions: { "vpc-cni": "v1.20.0-eksbuild.1" },
        });
        kubernetesProvider("eks", c);
        return { kubeconfig: c.kubeconfig };
      });
      cluster = run.get("aws:eks/cluster:Cluster", "eks-eks");
    });

    it("uses API authentication with an access entry per admin role", () => {
      assert.equal(i(cluster).accessConfig.authenticationMode, "API");
      const entry = i(run.get("aws:eks/accessEntry:AccessEntry", "eks-admin-0"));
      assert.equal(entry.principalArn, `arn:aws:iam::${ACCOUNT}:role/admins`);
      assert.equal(i(run.get("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "eks-admin-0")).policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    });

    it("keeps the private endpoint on and limits the public one to the given CIDRs", () => {
      const v = i(cluster).vpcConfig;
      assert.equal(v.endpointPrivateAccess, true);
      assert.equal(v.endpointPublicAccess, true);
      assert.deepEqual(v.publicAccessCidrs, ["203.0.113.0/24"]);
      assert.deepEqual(v.subnetIds, ["subnet-a", "subnet-b"]);
    });

    it("envelope-encrypts secrets with the customer key and ships every control-plane log to an encrypted group", () => {
      assert.deepEqual(i(cluster).encryptionConfig, { resources: ["secrets"], provider: { keyArn: KEY } });
      assert.deepEqual(i(cluster).enabledClusterLogTypes, CONTROL_PLANE_LOGS);
      const logs = i(run.get("aws:cloudwatch/logGroup:LogGroup", "eks-control-plane"));
      assert.equal(logs.name, "/aws/eks/demo/cluster");
      assert.equal(logs.kmsKeyId, KEY);
      assert.ok(cluster.dependencies.includes(run.get("aws:cloudwatch/logGroup:LogGroup", "eks-control-plane").urn), "log group exists before the cluster");
    });

    it("installs every core add-on explicitly, their IAM through Pod Identity", () => {
      const addons = run.ofType("aws:eks/addon:Addon").map(i);
      assert.deepEqual(addons.map((a) => a.addonName).sort(), [...CLUSTER_ADDONS].sort());
      const byName = Object.fromEntries(addons.map((a) => [a.addonName, a]));
      assert.equal(byName["vpc-cni"].addonVersion, "v1.20.0-eksbuild.1", "pinned versions are used");
      assert.equal(byName["vpc-cni"].podIdentityAssociations[0].serviceAccount, "aws-node");
      assert.equal(byName["aws-ebs-csi-driver"].podIdentityAssociations[0].serviceAccount, "ebs-csi-controller-sa");
      assert.deepEqual(byName["aws-efs-csi-driver"].podIdentityAssociations.map((p: any) => p.serviceAccount), ["efs-csi-controller-sa", "efs-csi-node-sa"]);
      for (const role of run.ofType("aws:iam/role:Role").filter((r) => /vpc-cni|ebs-csi|efs-csi/.test(r.name))) {
        assert.equal(JSON.parse(i(role).assumeRolePolicy).Statement[0].Principal.Service, "pods.eks.amazonaws.com");
      }
      assert.equal(i(cluster).bootstrapSelfManagedAddons, false);
    });

    it("lets the EBS CSI driver use the customer key, with grants only for AWS resources", () => {
      const inline = policy(run.get("aws:iam/rolePolicy:RolePolicy", "eks-ebs-csi-inline"));
      const grant = inline.Statement.find((s: any) => s.Action.includes("kms:CreateGrant"));
      assert.equal(grant.Resource, KEY);
      assert.deepEqual(grant.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
    });

    it("runs a managed node group in the private subnets on encrypted, IMDSv2-only volumes", () => {
      const ng = i(run.get("aws:eks/nodeGroup:NodeGroup", "eks-nodes"));
      assert.deepEqual(ng.subnetIds, ["subnet-a", "subnet-b"]);
      assert.deepEqual(ng.scalingConfig, { minSize: 2, desiredSize: 3, maxSize: 6 });
      const lt = i(run.get("aws:ec2/launchTemplate:LaunchTemplate", "eks-node"));
      assert.equal(lt.blockDeviceMappings[0].ebs.kmsKeyId, KEY);
      assert.equal(lt.metadataOptions.httpTokens, "required");
    });

    it("nodes wait for the networking add-ons; controllers wait for nodes", () => {
      const g = new DependencyGraph(run);
      const ng = run.get("aws:eks/nodeGroup:NodeGroup", "eks-nodes");
      const addon = (n: string) => run.get("aws:eks/addon:Addon", `eks-${n}`);
      assert.ok(g.upstream(ng).has(addon("vpc-cni").urn));
      assert.ok(g.upstream(addon("coredns")).has(ng.urn));
      assert.ok(g.upstream(addon("aws-ebs-csi-driver")).has(ng.urn));
      assert.ok(!g.upstream(addon("vpc-cni")).has(ng.urn));
    });

    it("serves a secret kubeconfig that authenticates with aws eks get-token; the provider is the cluster's child", () => {
      const provider = run.get("pulumi:providers:kubernetes", "eks-k8s");
      assert.equal(provider.parent, run.resources.find((r) => r.type === "trust-services:index:EksCluster")!.urn);
      assert.ok(isSecretValue(provider.inputs.kubeconfig), "provider kubeconfig is secret");
      const kc = JSON.parse(plain<string>(provider.inputs.kubeconfig));
      assert.deepEqual(kc.users[0].user.exec.args.slice(0, 4), ["eks", "get-token", "--cluster-name", "demo"]);
      assert.ok(isSecretValue(run.rawOutputs.kubeconfig));
    });

    it("refuses node counts out of order", () => {
      assert.throws(() => new EksCluster("bad", { clusterName: "x", version: "1.33", vpcId: "v", privateSubnetIds: [], kmsKeyArn: KEY, minNodes: 5, desiredNodes: 2 }), /min ≤ desired ≤ max/);
    });
  });

  describe("ClusterStorage and BackupPlan", () => {
    let run: Run;
    before(async () => {
      run = await runWith(() => {
        const provider = new k8s.Provider("k", { kubeconfig: "{}" });
        const s = new ClusterStorage("st", { kmsKeyArn: KEY, vpcId: "vpc-1", privateSubnetIds: ["subnet-a", "subnet-b", "subnet-c"], clusterSecurityGroupId: "sg-cluster", production: true }, { providers: { kubernetes: provider } });
        new BackupPlan("bk", { kmsKeyArn: KEY, production: true });
        return { block: s.blockClassName };
      });
    });

    it("gp3 StorageClass: EBS CSI, customer key, WaitForFirstConsumer, expandable, Retain, tagged for backup", () => {
      const sc = i(run.get("kubernetes:storage.k8s.io/v1:StorageClass", "st-gp3"));
      assert.equal(sc.provisioner, "ebs.csi.aws.com");
      assert.equal(sc.parameters.type, "gp3");
      assert.equal(sc.parameters.encrypted, "true");
      assert.equal(sc.parameters.kmsKeyId, KEY);
      assert.equal(sc.volumeBindingMode, "WaitForFirstConsumer");
      assert.equal(sc.allowVolumeExpansion, true);
      assert.equal(sc.reclaimPolicy, "Retain");
      assert.equal(sc.parameters.tagSpecification_1, "trust-services/backup=daily");
    });

    it("EFS: encrypted, a mount target per private subnet, NFS only from the cluster, TLS only, efs-ap class", () => {
      const fsr = run.get("aws:efs/fileSystem:FileSystem", "st-efs");
      assert.equal(i(fsr).encrypted, true);
      assert.equal(i(fsr).kmsKeyId, KEY);
      assert.ok(fsr.retainOnDelete, "kept on destroy in production");
      assert.deepEqual(run.ofType("aws:efs/mountTarget:MountTarget").map((m) => i(m).subnetId), ["subnet-a", "subnet-b", "subnet-c"]);
      const rule = i(run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "st-efs-from-cluster"));
      assert.deepEqual([rule.fromPort, rule.toPort, rule.referencedSecurityGroupId, rule.cidrIpv4], [2049, 2049, "sg-cluster", undefined]);
      assert.equal(JSON.parse(i(run.get("aws:efs/fileSystemPolicy:FileSystemPolicy", "st-efs-tls")).policy).Statement[0].Condition.Bool["aws:SecureTransport"], "false");
      const sc = i(run.get("kubernetes:storage.k8s.io/v1:StorageClass", "st-efs"));
      assert.equal(sc.provisioner, "efs.csi.aws.com");
      assert.equal(sc.parameters.provisioningMode, "efs-ap");
      assert.equal(sc.parameters.fileSystemId, fsr.id);
    });

    it("AWS Backup: encrypted vault kept on destroy, daily rule kept 35 days in production, selection by the volume tag", () => {
      const vault = run.get("aws:backup/vault:Vault", "bk-vault");
      assert.equal(i(vault).kmsKeyArn, KEY);
      assert.ok(vault.retainOnDelete);
      const rule = i(run.get("aws:backup/plan:Plan", "bk-plan")).rules[0];
      assert.equal(rule.lifecycle.deleteAfter, 35);
      assert.equal(rule.schedule, "cron(0 3 * * ? *)");
      const sel = i(run.get("aws:backup/selection:Selection", "bk-tagged"));
      assert.deepEqual(sel.selectionTags, [{ type: "STRINGEQUALS", key: "trust-services/backup", value: "daily" }]);
      assert.ok(i(run.get("aws:efs/fileSystem:FileSystem", "st-efs")).tags["trust-services/backup"] === "daily", "EFS carries the tag");
    });

    it("backups are kept 7 days outside production", async () => {
      const r = await runWith(() => ({ p: new BackupPlan("b", { kmsKeyArn: KEY }).plan.id }));
      assert.equal(i(r.get("aws:backup/plan:Plan", "b-plan")).rules[0].lifecycle.deleteAfter, 7);
    });
  });

  describe("EncryptedBucket", () => {
    let run: Run;
    let bucket: EncryptedBucket;
    before(async () => {
      run = await runWith(() => {
        bucket = new EncryptedBucket("logs", { accountId: ACCOUNT, region: "eu-west-1", production: true });
        return { policy: bucket.accessPolicy("xroad/prod") };
      });
    });

    it("is encrypted by default with its own rotating key and a bucket key", () => {
      const key = run.get("aws:kms/key:Key", "logs-key");
      assert.equal(i(key).enableKeyRotation, true);
      const rule = i(run.get("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "logs-sse")).rules[0];
      assert.deepEqual(rule, { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.state.arn }, bucketKeyEnabled: true });
    });

    it("blocks public access, enforces ownership, versions objects, expires old versions", () => {
      const pab = i(run.get("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "logs-public-access"));
      assert.ok(pab.blockPublicAcls && pab.blockPublicPolicy && pab.ignorePublicAcls && pab.restrictPublicBuckets);
      assert.equal(i(run.get("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "logs-ownership")).rule.objectOwnership, "BucketOwnerEnforced");
      assert.equal(i(run.get("aws:s3/bucketVersioning:BucketVersioning", "logs-versioning")).versioningConfiguration.status, "Enabled");
      assert.equal(i(run.get("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "logs-lifecycle")).rules[0].noncurrentVersionExpiration.noncurrentDays, 90);
    });

    it("denies every request without TLS", () => {
      const st = policy(run.get("aws:s3/bucketPolicy:BucketPolicy", "logs-tls-only")).Statement[0];
      assert.equal(st.Effect, "Deny");
      assert.deepEqual(st.Condition, { Bool: { "aws:SecureTransport": "false" } });
    });

    it("is kept with its key when the stack is destroyed in production", () => {
      assert.ok(run.get("aws:s3/bucket:Bucket", "logs").retainOnDelete);
      assert.ok(run.get("aws:kms/key:Key", "logs-key").retainOnDelete);
      assert.equal(i(run.get("aws:s3/bucket:Bucket", "logs")).forceDestroy, false);
    });

    it("accessPolicy grants objects under one prefix and the bucket's key only", () => {
      const doc = JSON.parse(run.outputs.policy as string);
      const bucketArn = run.get("aws:s3/bucket:Bucket", "logs").state.arn;
      const objects = doc.Statement.find((s: any) => s.Sid === "ObjectsUnderPrefix");
      assert.equal(objects.Resource, `${bucketArn}/xroad/prod/*`);
      assert.ok(!objects.Action.includes("s3:DeleteObject"));
      assert.deepEqual(doc.Statement.find((s: any) => s.Sid === "ListPrefix").Condition, { StringLike: { "s3:prefix": ["xroad/prod/*", "xroad/prod"] } });
      assert.equal(doc.Statement.find((s: any) => s.Sid === "BucketKey").Resource, run.get("aws:kms/key:Key", "logs-key").state.arn);
    });
  });

  describe("ContainerInsights", () => {
    it("creates encrypted log groups with retention before the add-on, whose agent gets CloudWatchAgentServerPolicy through Pod Identity", async () => {
      const run = await runWith(() => ({ a: new ContainerInsights("ci", { clusterName: "demo", kmsKeyArn: KEY, logRetentionDays: 60 }).addon.id }));
      const groups = run.ofType("aws:cloudwatch/logGroup:LogGroup");
      assert.deepEqual(groups.map((g) => i(g).name).sort(), INSIGHTS_LOG_GROUPS.map((g) => `/aws/containerinsights/demo/${g}`).sort());
      for (const g of groups) assert.deepEqual([i(g).retentionInDays, i(g).kmsKeyId], [60, KEY]);
      const addon = run.get("aws:eks/addon:Addon", "ci-addon");
      assert.equal(i(addon).addonName, "amazon-cloudwatch-observability");
      assert.equal(i(addon).podIdentityAssociations[0].serviceAccount, "cloudwatch-agent");
      for (const g of groups) assert.ok(addon.dependencies.includes(g.urn));
      assert.equal(i(run.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "ci-agent-0")).policyArn, "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy");
    });

    it("the platform key lets CloudWatch Logs use it for this account's log groups only, and Auto Scaling launch nodes with it", async () => {
      const run = await runStackFile("dev");
      const key = policy(run.get("aws:kms/key:Key", "platform-key"));
      const asg = key.Statement.filter((s: any) => s.Principal?.AWS === `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`);
      assert.deepEqual(asg.map((s: any) => s.Sid), ["AutoScalingUse", "AutoScalingGrants"]);
      assert.deepEqual(asg[1].Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
      const logs = key.Statement.find((s: any) => s.Sid === "CloudWatchLogsUse");
      assert.equal(logs.Principal.Service, "logs.eu-west-1.amazonaws.com");
      assert.equal(logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:*`);
    });
  });

  describe("Database", () => {
    async function db(engine: string, production: boolean) {
      let d: Database;
      const run = await runWith(() => {
        d = new Database("db", { engine, engineVersion: engine === "postgres" ? "16" : "8.0", vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], clientSecurityGroupId: "sg-cluster", kmsKeyArn: KEY, production });
        return { credentials: d.credentials };
      });
      return { run, inst: run.get("aws:rds/instance:Instance", "db-db") };
    }

    it("PostgreSQL: private, encrypted, TLS forced, 7-day backups, generated secret password", async () => {
      const { run, inst } = await db("postgres", false);
      const x = i(inst);
      assert.deepEqual([x.engine, x.engineVersion, x.publiclyAccessible, x.storageEncrypted, x.kmsKeyId, x.performanceInsightsKmsKeyId], ["postgres", "16", false, true, KEY, KEY]);
      assert.equal(x.backupRetentionPeriod, 7);
      assert.equal(x.username, "postgres");
      assert.ok(isSecretValue(inst.inputs.password), "password is a secret input");
      const params = i(run.get("aws:rds/parameterGroup:ParameterGroup", "db-params"));
      assert.equal(params.family, "postgres16");
      assert.deepEqual(params.parameters.map((p: any) => [p.name, p.value]), [["rds.force_ssl", "1"]]);
      assert.ok(isSecretValue(run.rawOutputs.credentials), "credentials output is secret");
      assert.deepEqual(Object.keys(plain<Record<string, string>>(run.rawOutputs.credentials)).sort(), ["host", "password", "port", "username"]);
    });

    it("admits the cluster through a separate rule, so the instance never waits for the cluster", async () => {
      const { run, inst } = await db("postgres", false);
      const rule = run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-from-cluster");
      assert.deepEqual([i(rule).fromPort, i(rule).referencedSecurityGroupId], [5432, "sg-cluster"]);
      assert.ok(!inst.dependencies.includes(rule.urn));
      const sg = run.get("aws:ec2/securityGroup:SecurityGroup", "db-sg");
      assert.equal(i(sg).ingress, undefined, "no inline rules");
    });

    it("production: Multi-AZ, deletion protection, final snapshot, 35-day backups, kept on destroy", async () => {
      const { inst } = await db("postgres", true);
      const x = i(inst);
      assert.deepEqual([x.multiAz, x.deletionProtection, x.skipFinalSnapshot, x.finalSnapshotIdentifier, x.backupRetentionPeriod], [true, true, false, "db-final", 35]);
      assert.ok(inst.retainOnDelete);
    });

    it("MySQL 8: require_secure_transport and its own port", async () => {
      const { run } = await db("mysql", false);
      const params = i(run.get("aws:rds/parameterGroup:ParameterGroup", "db-params"));
      assert.equal(params.family, "mysql8.0");
      assert.equal(params.parameters[0].name, "require_secure_transport");
      assert.equal(i(run.get("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-from-cluster")).fromPort, 3306);
    });

    it("refuses an unknown engine and short backups", () => {
      assert.throws(() => new Database("x", { engine: "oracle", engineVersion: "19", vpcId: "v", subnetIds: [], clientSecurityGroupId: "s", kmsKeyArn: KEY }), /postgres or mysql/);
      assert.throws(() => new Database("y", { engine: "postgres", engineVersion: "16", vpcId: "v", subnetIds: [], clientSecurityGroupId: "s", kmsKeyArn: KEY, backupRetentionDays: 3 }), /at least 7/);
    });
  });

  describe("Cache", () => {
    async function cache(args: { transitEncryption?: boolean; production?: boolean; plaintextReason?: string }) {
      const run = await runWith(() => ({ a: new Cache("c", { vpcId: "v", subnetIds: ["subnet-a"], clientSecurityGroupId: "sg-cluster", kmsKeyArn: KEY, ...args }).address }));
      return { run, rg: run.get("aws:elasticache/replicationGroup:ReplicationGroup", "c-redis") };
    }

    it("for a consumer that speaks TLS (Rekor): transit encryption with a generated AUTH token", async () => {
      const { rg } = await cache({ transitEncryption: true });
      const x = i(rg);
      assert.deepEqual([x.clusterMode, x.atRestEncryptionEnabled, x.kmsKeyId, x.transitEncryptionEnabled], ["disabled", true, KEY, true]);
      assert.ok(isSecretValue(rg.inputs.authToken));
    });

    it("for a consumer that cannot (RSTUF): no TLS, no AUTH, and a documented reason", async () => {
      const { rg } = await cache({ transitEncryption: false, plaintextReason: "RSTUF's Redis client has no TLS option" });
      assert.equal(i(rg).transitEncryptionEnabled, false);
      assert.equal(i(rg).authToken, undefined);
      assert.equal(i(rg).tags["trust-services/tls-exempt-reason"], "RSTUF's Redis client has no TLS option");
      assert.throws(() => new Cache("no-reason", { vpcId: "v", subnetIds: [], clientSecurityGroupId: "s", kmsKeyArn: KEY, transitEncryption: false }), /plaintextReason/);
    });

    it("production: a replica with automatic failover over zones", async () => {
      const { rg } = await cache({ production: true });
      assert.deepEqual([i(rg).numCacheClusters, i(rg).automaticFailoverEnabled, i(rg).multiAzEnabled], [2, true, true]);
    });
  });

  describe("existing cluster", () => {
    it("creates no AWS cluster pieces and builds the provider from the kubeconfig secret", async () => {
      const run = await runStack({
        cluster: { existing: { kubeconfig: mockKubeconfig("existing"), storageClasses: { block: "standard" } } },
        xroad: { exposure: { loadBalancer: { enabled: false } } },
      });
      assert.equal(run.resources.filter((r) => r.type.startsWith("aws:")).length, 0);
      const provider = run.ofType("pulumi:providers:kubernetes");
      assert.equal(provider.length, 1);
      assert.ok(isSecretValue(provider[0].inputs.kubeconfig));
      const pvc = run.ofType("kubernetes:core/v1:PersistentVolumeClaim").map(i);
      assert.ok(pvc.length > 0 && pvc.every((p) => p.spec.storageClassName === "standard"), "storage class from settings");
    });

    it("reads the kubeconfig from another stack through a StackReference", async () => {
      const run = await runStack({ cluster: { existing: { stackReference: { name: "acme/platform/prod", output: "kubeconfig" } } } });
      const ref = run.ofType("pulumi:pulumi:StackReference");
      assert.equal(ref.length, 1);
      assert.equal(i(ref[0]).name, "acme/platform/prod");
      assert.ok(isSecretValue(run.ofType("pulumi:providers:kubernetes")[0].inputs.kubeconfig));
    });
  });
});

describe("prod stack: encryption, privacy, retention, backup and parallelism", () => {
  let run: Run;
  let graph: DependencyGraph;
  before(async () => {
    run = await runStackFile("prod");
    graph = new DependencyGraph(run);
  });

  it("every stateful resource is kept on destroy", () => {
    for (const t of ["aws:rds/instance:Instance", "aws:efs/fileSystem:FileSystem", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:backup/vault:Vault", "kubernetes:core/v1:PersistentVolumeClaim"]) {
      const rs = run.ofType(t);
      assert.ok(rs.length > 0, `prod has ${t}`);
      for (const r of rs) assert.ok(r.retainOnDelete || r.protect, `${t} ${r.name} kept`);
    }
    const inst = i(run.ofType("aws:rds/instance:Instance")[0]);
    assert.deepEqual([inst.deletionProtection, inst.skipFinalSnapshot, inst.multiAz, inst.backupRetentionPeriod], [true, false, true, 35]);
    assert.equal(i(run.ofType("aws:eks/cluster:Cluster")[0]).deletionProtection, true);
  });

  it("every data store is encrypted with a key the stack owns", () => {
    const keys = new Set(run.ofType("aws:kms/key:Key").map((k) => k.state.arn));
    assert.ok(keys.has(i(run.ofType("aws:rds/instance:Instance")[0]).kmsKeyId));
    assert.ok(keys.has(i(run.ofType("aws:efs/fileSystem:FileSystem")[0]).kmsKeyId));
    assert.ok(keys.has(i(run.ofType("aws:eks/cluster:Cluster")[0]).encryptionConfig.provider.keyArn));
    assert.ok(keys.has(i(run.ofType("aws:backup/vault:Vault")[0]).kmsKeyArn));
    for (const g of run.ofType("aws:cloudwatch/logGroup:LogGroup")) assert.ok(keys.has(i(g).kmsKeyId), g.name);
  });

  it("nothing that holds data is public", () => {
    assert.equal(i(run.ofType("aws:rds/instance:Instance")[0]).publiclyAccessible, false);
    assert.ok(run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").every((r) => i(r).cidrIpv4 === undefined));
  });

  it("a 35-day backup plan selects the tagged volumes", () => {
    assert.equal(i(run.ofType("aws:backup/plan:Plan")[0]).rules[0].lifecycle.deleteAfter, 35);
    assert.equal(run.ofType("aws:backup/selection:Selection").length, 1);
  });

  it("slow pieces that do not need the cluster do not wait for it", () => {
    const eks = "aws:eks/cluster:Cluster";
    for (const t of ["aws:rds/instance:Instance", "aws:efs/fileSystem:FileSystem", "aws:s3/bucket:Bucket", "aws:backup/vault:Vault", "aws:ec2/natGateway:NatGateway"]) {
      for (const r of run.ofType(t)) assert.ok(!graph.waitsFor(r, eks), `${t} ${r.name} waits for the EKS control plane`);
    }
    assert.ok(!graph.waitsFor(run.ofType(eks)[0], "aws:ec2/natGateway:NatGateway"), "the control plane does not wait for NAT");
    assert.ok(!graph.waitsFor(run.ofType(eks)[0], "aws:rds/instance:Instance"));
  });
});
