/**
 * Public endpoints (trust-services:endpoints), in each cluster mode: a created
 * EKS cluster with a Route 53 zone, a created cluster with an existing ACM
 * certificate and DNS left to the user, an existing cluster with cert-manager,
 * and no endpoints block at all.
 */
import * as assert from "assert";
import { mockKubeconfig, plain, readStackFile, Recorded, Run, runStack } from "./harness";
import { valid } from "./checks";
import { DependencyGraph } from "./graph";

const obj = (r: Recorded) => plain<Record<string, any>>(r.inputs);
const INGRESS = "kubernetes:networking.k8s.io/v1:Ingress";
const RECORD = "aws:route53/record:Record";
const ZONE = "Z0123456789ABCDEFGHIJ";
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f";
/** eu-west-1's canonical zones of ALBs and NLBs (as the harness's invoke mock answers). */
const ALB_ZONE = "Z32O12XQLNTSW2";
const NLB_ZONE = "Z2IFOLAFXWLO4F";
const A = "alb.ingress.kubernetes.io";

function ingress(run: Run, name = "xroad-admin") {
  return obj(run.get(INGRESS, name));
}

function ingressPolicyOf(run: Run, workload: string) {
  return obj(run.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", `${workload}-ingress`)).spec.ingress as Array<Record<string, any>>;
}

describe("public endpoints", () => {
  describe("created EKS cluster with a Route 53 zone", () => {
    let run: Run;
    before(async () => {
      run = await runStack({
        "aws:region": "eu-west-1",
        endpoints: { domain: "trust.example.org", hostedZoneId: ZONE },
        xroad: { exposure: { allowedCidrs: ["10.8.0.0/16"] } },
      });
    });

    it("installs the pinned AWS Load Balancer Controller chart in kube-system, with the cluster's name, region and VPC", () => {
      const release = obj(run.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller"));
      assert.equal(release.chart, "aws-load-balancer-controller");
      assert.equal(release.version, "3.5.0");
      assert.equal(release.repositoryOpts.repo, "https://aws.github.io/eks-charts");
      assert.equal(release.namespace, "kube-system");
      assert.equal(release.skipAwait, false, "pulumi up waits for its pods: their webhooks refuse Services until then");
      const v = release.values;
      const cluster = run.get("aws:eks/cluster:Cluster", "cluster-eks");
      assert.equal(v.clusterName, cluster.state.name);
      assert.equal(v.region, "eu-west-1");
      assert.equal(v.vpcId, run.get("aws:ec2/vpc:Vpc", "network-vpc").id);
      assert.equal(v.defaultTargetType, "ip");
      assert.equal(v.enableServiceMutatorWebhook, false, "no webhook on every Service of the cluster (the add-ons' own would race it)");
      assert.equal(v.replicaCount, 2);
      assert.deepEqual(v.podDisruptionBudget, { maxUnavailable: 1 });
      // What the chart leaves out of `restricted`.
      assert.deepEqual(v.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(v.securityContext.seccompProfile.type, "RuntimeDefault");
      assert.ok(v.resources.requests.cpu && v.resources.requests.memory, "requests, so the node group can be sized for it");
    });

    it("gives the controller its upstream IAM policy through EKS Pod Identity", () => {
      const association = obj(run.get("aws:eks/podIdentityAssociation:PodIdentityAssociation", "load-balancer-controller-identity"));
      assert.equal(association.namespace, "kube-system");
      assert.equal(association.serviceAccount, "aws-load-balancer-controller");
      const role = run.get("aws:iam/role:Role", "load-balancer-controller-role");
      assert.equal(association.roleArn, role.state.arn);
      const trust = JSON.parse(obj(role).assumeRolePolicy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "pods.eks.amazonaws.com" });
      assert.deepEqual(trust.Statement[0].Action, ["sts:AssumeRole", "sts:TagSession"]);
      // The chart's service account is the association's (so the pods start with the role).
      assert.equal(obj(run.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller")).values.serviceAccount.name, "aws-load-balancer-controller");
      const doc = JSON.parse(obj(run.get("aws:iam/rolePolicy:RolePolicy", "load-balancer-controller-role-inline")).policy);
      assert.equal(doc.Statement.length, 16, "iam_policy.json v3.5.0 has 16 statements");
      const actions: string[] = doc.Statement.flatMap((st: any) => [st.Action].flat());
      for (const a of ["elasticloadbalancing:DescribeListenerAttributes", "ec2:GetSecurityGroupsForVpc", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer", "ec2:CreateSecurityGroup"]) {
        assert.ok(actions.includes(a), a);
      }
      // Deleting and changing load balancers is limited to the ones the controller tagged.
      const deletes = doc.Statement.find((st: any) => [st.Action].flat().includes("elasticloadbalancing:DeleteLoadBalancer"));
      assert.deepEqual(deletes.Condition, { Null: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } });
      assert.ok(JSON.stringify(doc).length < 10240, "fits an inline role policy");
    });

    it("serves the webhook with a certificate of the stack's own CA (all three chart values, so the chart generates none)", () => {
      const tlsValues = obj(run.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller")).values.webhookTLS;
      const ca = run.get("tls:index/selfSignedCert:SelfSignedCert", "load-balancer-controller-webhook-ca-cert");
      const cert = run.get("tls:index/locallySignedCert:LocallySignedCert", "load-balancer-controller-webhook-cert");
      const key = run.get("tls:index/privateKey:PrivateKey", "load-balancer-controller-webhook-key");
      assert.equal(tlsValues.caCert, ca.state.certPem);
      assert.equal(tlsValues.cert, cert.state.certPem);
      assert.equal(tlsValues.key, key.state.privateKeyPemPkcs8);
      const csr = obj(run.get("tls:index/certRequest:CertRequest", "load-balancer-controller-webhook-csr"));
      assert.ok(csr.dnsNames.includes("aws-load-balancer-webhook-service.kube-system.svc"), "the name the API server calls");
      // The key is a secret in the release's values.
      const raw = run.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller").inputs.values as Record<string, unknown>;
      assert.ok(JSON.stringify(raw).includes("4dabf18193072939515e22adb298388d"), "the values travel as a secret");
    });

    it("requests an ACM certificate for the hostnames, validated by records in the zone", () => {
      const cert = run.get("aws:acm/certificate:Certificate", "endpoints-certificate");
      assert.equal(obj(cert).domainName, "xroad-admin.trust.example.org");
      assert.equal(obj(cert).validationMethod, "DNS");
      const option = (cert.state.domainValidationOptions as any[]).find((o) => o.domainName === "xroad-admin.trust.example.org");
      const record = obj(run.get(RECORD, "endpoints-certificate-validation-xroad-admin.trust.example.org"));
      assert.equal(record.zoneId, ZONE);
      assert.equal(record.name, option.resourceRecordName);
      assert.equal(record.type, "CNAME");
      assert.deepEqual(record.records, [option.resourceRecordValue]);
      const validation = run.get("aws:acm/certificateValidation:CertificateValidation", "endpoints-certificate-validation");
      assert.equal(obj(validation).certificateArn, cert.state.arn);
      assert.deepEqual(obj(validation).validationRecordFqdns, [option.resourceRecordName.replace(/\.$/, "")]);
      // The endpoints use the validated certificate: they wait for issuance.
      assert.equal(ingress(run).metadata.annotations[`${A}/certificate-arn`], validation.state.certificateArn);
    });

    it("serves the X-Road admin UI on an internal ALB: HTTPS, HTTP redirected, TLS 1.2+, backend HTTPS, health check, allowed CIDRs, access logs", () => {
      const i = ingress(run);
      const a = i.metadata.annotations;
      assert.equal(i.spec.ingressClassName, "alb");
      assert.equal(a[`${A}/group.name`], "trust-services-test-internal", "one ALB per scheme, shared by the stack's endpoints");
      assert.equal(a[`${A}/scheme`], "internal");
      assert.equal(a[`${A}/target-type`], "ip");
      assert.deepEqual(JSON.parse(a[`${A}/listen-ports`]), [{ HTTP: 80 }, { HTTPS: 443 }]);
      assert.equal(a[`${A}/ssl-redirect`], "443");
      assert.equal(a[`${A}/ssl-policy`], "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
      assert.equal(a[`${A}/backend-protocol`], "HTTPS", "to the UI's own certificate");
      assert.equal(a[`${A}/healthcheck-protocol`], "HTTPS");
      assert.equal(a[`${A}/healthcheck-path`], "/");
      assert.deepEqual(JSON.parse(a[`${A}/conditions.xroad-admin`]), [{ field: "source-ip", sourceIpConfig: { values: ["10.8.0.0/16"] } }]);
      const logs = run.get("aws:s3/bucket:Bucket", "access-logs");
      assert.equal(
        a[`${A}/load-balancer-attributes`],
        `access_logs.s3.enabled=true,access_logs.s3.bucket=${logs.state.bucket},access_logs.s3.prefix=alb/trust-services-test-internal,routing.http.drop_invalid_header_fields.enabled=true`,
      );
      assert.equal(i.metadata.labels["trust-services.io/audience"], "admin");
      assert.deepEqual(i.spec.rules, [
        { host: "xroad-admin.trust.example.org", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "xroad-admin", port: { number: 4000 } } } }] } },
      ]);
      assert.equal(i.metadata.namespace, "xroad");
      // The admin Service stays ClusterIP: the ALB reaches the pod directly.
      assert.equal(obj(run.get("kubernetes:core/v1:Service", "xroad-admin")).spec.type, "ClusterIP");
    });

    it("puts the internal ALB in the private subnets, and admits it from their ranges to the admin port only", () => {
      const privateSubnets = run.ofType("aws:ec2/subnet:Subnet").filter((x) => x.name.startsWith("network-private-"));
      assert.equal(ingress(run).metadata.annotations[`${A}/subnets`], privateSubnets.map((x) => x.id).join(","));
      const cidrs = privateSubnets.map((x) => obj(x).cidrBlock);
      const rules = ingressPolicyOf(run, "xroad-server");
      const fromAlb = rules.filter((r) => JSON.stringify(r.from) === JSON.stringify(cidrs.map((cidr) => ({ ipBlock: { cidr } }))));
      assert.deepEqual(fromAlb.map((r) => r.ports.map((p: any) => p.port)), [[4000]]);
      assert.ok(!rules.some((r) => JSON.stringify(r.from).includes("10.0.0.0/16") && r.ports.some((p: any) => p.port === 4000)), "not the whole VPC");
    });

    it("puts the internet-facing messaging NLB in the public subnets", () => {
      const publicSubnets = run.ofType("aws:ec2/subnet:Subnet").filter((x) => x.name.startsWith("network-public-"));
      const lb = obj(run.get("kubernetes:core/v1:Service", "xroad-messaging"));
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-subnets"], publicSubnets.map((x) => x.id).join(","));
    });

    it("refuses to validate a certificate in a private zone, before the 75 minutes ACM would wait", async () => {
      await assert.rejects(
        runStack({ "aws:region": "eu-west-1", endpoints: { domain: "trust.example.org", hostedZoneId: "ZPRIVATE0123" }, xroad: { exposure: { allowedCidrs: ["10.8.0.0/16"] } } }),
        /hosted zone ZPRIVATE0123 \(trust.example.org.\) is private — ACM validates certificates through public DNS/,
      );
      // With an existing certificate, a private zone only gets the records.
      const r = await runStack({ "aws:region": "eu-west-1", endpoints: { domain: "trust.example.org", hostedZoneId: "ZPRIVATE0123", certificateArn: CERT }, xroad: { exposure: { allowedCidrs: ["10.8.0.0/16"] } } });
      assert.equal(r.ofType("aws:acm/certificate:Certificate").length, 0);
      assert.equal(obj(r.get(RECORD, "xroad-admin-dns")).zoneId, "ZPRIVATE0123");
    });

    it("writes alias records for the admin hostname (to its ALB) and for the messaging NLB", () => {
      const admin = obj(run.get(RECORD, "xroad-admin-dns"));
      assert.equal(admin.zoneId, ZONE);
      assert.equal(admin.name, "xroad-admin.trust.example.org");
      assert.equal(admin.type, "A");
      const albHost = run.get(INGRESS, "xroad-admin").state.status as any;
      assert.deepEqual(admin.aliases, [{ name: albHost.loadBalancer.ingress[0].hostname, zoneId: ALB_ZONE, evaluateTargetHealth: true }]);
      const messaging = obj(run.get(RECORD, "xroad-messaging-dns"));
      assert.equal(messaging.name, "xroad.trust.example.org");
      const nlb = run.get("kubernetes:core/v1:Service", "xroad-messaging").state.status as any;
      assert.deepEqual(messaging.aliases, [{ name: nlb.loadBalancer.ingress[0].hostname, zoneId: NLB_ZONE, evaluateTargetHealth: true }]);
    });

    it("reports the endpoint URLs and leaves no DNS to the user", () => {
      const out = plain<Record<string, any>>(run.outputs);
      assert.deepEqual(out.endpoints, { "xroad-admin": "https://xroad-admin.trust.example.org" });
      assert.deepEqual(out.dnsRecords, []);
      assert.deepEqual(out.portForward, {});
    });

    it("logs every bucket's access and the ALBs' to an SSE-S3 log bucket that is private, TLS-only and expires its logs", () => {
      const logs = run.get("aws:s3/bucket:Bucket", "access-logs");
      const sse = obj(run.get("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "access-logs-sse"));
      assert.deepEqual(sse.rules, [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
      const archiveLogging = obj(run.get("aws:s3/bucketLogging:BucketLogging", "xroad-archive-access-logs"));
      assert.equal(archiveLogging.targetBucket, logs.state.bucket);
      assert.equal(archiveLogging.targetPrefix, "s3/xroad-archive/");
      const policy = JSON.parse(obj(run.get("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy")).policy);
      const alb = policy.Statement.find((st: any) => st.Sid === "AlbAccessLogs");
      assert.deepEqual(alb.Principal, { Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
      assert.equal(alb.Resource, `${logs.state.arn}/alb/*/AWSLogs/123456789012/*`);
      const s3 = policy.Statement.find((st: any) => st.Sid === "S3ServerAccessLogs");
      assert.deepEqual(s3.Condition, { StringEquals: { "aws:SourceAccount": "123456789012" } });
      const lifecycle = obj(run.get("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "access-logs-lifecycle"));
      assert.equal(lifecycle.rules[0].expiration.days, 90);
      assert.equal(run.find("aws:s3/bucketLogging:BucketLogging", "access-logs-access-logs"), undefined, "the log bucket does not log itself");
    });

    it("is valid against the Kubernetes schema and passes every policy rule", () => valid(run));

    it("an X-Road without its NLB gets no messaging name, and the admin endpoint still", async () => {
      const r = await runStack({ "aws:region": "eu-west-1", endpoints: { domain: "trust.example.org", hostedZoneId: ZONE }, xroad: { exposure: { loadBalancer: { enabled: false }, allowedCidrs: ["10.8.0.0/16"] } } });
      assert.equal(r.find("kubernetes:core/v1:Service", "xroad-messaging"), undefined);
      assert.equal(r.find(RECORD, "xroad-messaging-dns"), undefined);
      assert.ok(r.find(RECORD, "xroad-admin-dns"));
    });
  });

  describe("order of a first deploy (prod)", () => {
    let run: Run;
    let g: DependencyGraph;
    before(async () => {
      run = await runStack(readStackFile("prod"), "prod");
      g = new DependencyGraph(run);
    });

    it("the controller waits for nodes; every Service, Ingress and workload waits for the controller", () => {
      const release = run.get("kubernetes:helm.sh/v3:Release", "load-balancer-controller");
      assert.ok(g.upstream(release).has(run.get("aws:eks/nodeGroup:NodeGroup", "cluster-nodes").urn), "its pods need nodes");
      assert.ok(g.upstream(release).has(run.get("aws:eks/addon:Addon", "cluster-coredns").urn), "and DNS");
      for (const { resource, object } of run.kubernetesObjects()) {
        if (["Service", "Ingress", "Deployment", "StatefulSet"].includes(object.kind)) assert.ok(g.upstream(resource).has(release.urn), `${object.kind} ${resource.name} waits for the controller's webhooks`);
      }
    });

    it("the ha secondaries wait for the primary's rollout, not for its endpoint's ALB and DNS record", () => {
      const secondary = run.get("kubernetes:apps/v1:Deployment", "xroad-secondary");
      const up = g.upstream(secondary);
      assert.ok(up.has(run.get("kubernetes:apps/v1:Deployment", "xroad-primary").urn));
      assert.ok(!up.has(run.get(INGRESS, "xroad-admin").urn));
      assert.ok(!up.has(run.get(RECORD, "xroad-admin-dns").urn));
    });

    it("the endpoint waits for its certificate's validation and for the log bucket's policy (log delivery checks it)", () => {
      const up = g.upstream(run.get(INGRESS, "xroad-admin"));
      assert.ok(up.has(run.get("aws:acm/certificateValidation:CertificateValidation", "endpoints-certificate-validation").urn));
      assert.ok(up.has(run.get("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy").urn));
      assert.ok(g.upstream(run.get("aws:s3/bucketLogging:BucketLogging", "xroad-archive-access-logs")).has(run.get("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy").urn));
    });
  });

  describe("created EKS cluster with an existing certificate and no zone", () => {
    let run: Run;
    before(async () => {
      run = await runStack({ "aws:region": "eu-west-1", endpoints: { domain: "trust.example.org", certificateArn: CERT }, xroad: { exposure: { allowedCidrs: ["10.8.0.0/16"] } } });
    });

    it("uses the given certificate and creates no certificate and no DNS record", () => {
      assert.equal(ingress(run).metadata.annotations[`${A}/certificate-arn`], CERT);
      assert.equal(run.ofType("aws:acm/certificate:Certificate").length, 0);
      assert.equal(run.ofType(RECORD).length, 0);
    });

    it("tells the user which records to create, pointing at the load balancers", () => {
      const out = plain<Record<string, any>>(run.outputs);
      const alb = (run.get(INGRESS, "xroad-admin").state.status as any).loadBalancer.ingress[0].hostname;
      const nlb = (run.get("kubernetes:core/v1:Service", "xroad-messaging").state.status as any).loadBalancer.ingress[0].hostname;
      assert.deepEqual(out.dnsRecords, [
        { name: "xroad-admin.trust.example.org", type: "CNAME", value: alb },
        { name: "xroad.trust.example.org", type: "CNAME", value: nlb },
      ]);
      assert.deepEqual(out.endpoints, { "xroad-admin": "https://xroad-admin.trust.example.org" });
    });

    it("is valid against the Kubernetes schema and passes every policy rule", () => valid(run));
  });

  describe("existing cluster with cert-manager", () => {
    let run: Run;
    before(async () => {
      run = await runStack({
        cluster: { existing: { kubeconfig: mockKubeconfig("other") } },
        endpoints: {
          domain: "trust.example.org",
          ingressClassName: "nginx",
          internalIngressClassName: "nginx-internal",
          clusterIssuer: "letsencrypt",
          ingressFrom: { namespace: "ingress-nginx" },
          internalIngressFrom: { namespace: "ingress-internal", podLabels: { "app.kubernetes.io/name": "ingress-nginx" } },
        },
        xroad: { archive: { enabled: false }, exposure: { allowedCidrs: ["10.8.0.0/16"], adminHostname: "admin.xroad.example.net" } },
      });
    });

    it("creates nothing in AWS, and no controller", () => {
      assert.deepEqual(run.resources.filter((r) => r.type.startsWith("aws:")).map((r) => r.type), []);
      assert.equal(run.ofType("kubernetes:helm.sh/v3:Release").length, 0);
    });

    it("serves the admin UI through the internal class, with a certificate from the ClusterIssuer", () => {
      const i = ingress(run);
      assert.equal(i.spec.ingressClassName, "nginx-internal", "an admin UI is never on the public class");
      assert.equal(i.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt");
      assert.deepEqual(i.spec.tls, [{ hosts: ["admin.xroad.example.net"], secretName: "xroad-admin-tls" }]);
      assert.equal(i.spec.rules[0].host, "admin.xroad.example.net", "a service's own hostname");
      assert.equal(i.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS");
      assert.equal(i.metadata.annotations["nginx.ingress.kubernetes.io/whitelist-source-range"], "10.8.0.0/16");
      assert.ok(!Object.keys(i.metadata.annotations).some((k) => k.startsWith(A)), "no ALB annotations");
    });

    it("admits the internal controller's pods to the admin port", () => {
      const rules = ingressPolicyOf(run, "xroad-server");
      const fromController = rules.filter((r) => JSON.stringify(r.from).includes("ingress-internal"));
      assert.deepEqual(fromController, [
        {
          from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx" } }, namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-internal" } } }],
          ports: [{ protocol: "TCP", port: 4000 }],
        },
      ]);
    });

    it("keeps the in-tree NLB for messaging and reports the records to create", () => {
      const lb = obj(run.get("kubernetes:core/v1:Service", "xroad-messaging"));
      assert.equal(lb.spec.loadBalancerClass, undefined);
      assert.equal(lb.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
      const out = plain<Record<string, any>>(run.outputs);
      assert.deepEqual(out.endpoints, { "xroad-admin": "https://admin.xroad.example.net" });
      assert.deepEqual(out.dnsRecords[0], { name: "admin.xroad.example.net", type: "A", value: "203.0.113.50" }, "the controller's address is an IP here");
      assert.equal(out.dnsRecords[1].name, "xroad.trust.example.org");
    });

    it("is valid against the Kubernetes schema and passes every policy rule", () => valid(run));
  });

  describe("no endpoints block", () => {
    let run: Run;
    before(async () => {
      run = await runStack({ "aws:region": "eu-west-1", xroad: {} });
    });

    it("makes no Ingress, certificate or record, and says how to reach the admin UI", () => {
      assert.equal(run.ofType(INGRESS).length, 0);
      assert.equal(run.ofType("aws:acm/certificate:Certificate").length, 0);
      assert.equal(run.ofType(RECORD).length, 0);
      const out = plain<Record<string, any>>(run.outputs);
      assert.deepEqual(out.endpoints, {});
      assert.match(out.portForward["xroad-admin"], /^kubectl -n xroad port-forward svc\/xroad-admin 4000:4000/);
      assert.equal(obj(run.get("kubernetes:core/v1:Service", "xroad-admin")).spec.type, "ClusterIP");
    });

    it("still runs the controller on a created cluster: the messaging NLB is its", () => {
      assert.ok(run.find("kubernetes:helm.sh/v3:Release", "load-balancer-controller"));
      assert.equal(obj(run.get("kubernetes:core/v1:Service", "xroad-messaging")).spec.loadBalancerClass, "service.k8s.aws/nlb");
    });

    it("is valid against the Kubernetes schema and passes every policy rule", () => valid(run));
  });
});
