/**
 * The policy suite over every cluster mode and endpoints mode × topology
 * (split from policies-stacks.spec.ts so the two run in parallel).
 */
import * as assert from "assert";
import { evaluatePolicies, RULES } from "./policies";
import { runStack } from "./harness";
import { nodesFor, TOPOLOGIES } from "./stack-variants";

describe("policy suite: cluster and endpoints modes", () => {
  it("every valid topology × cluster mode combination runs and passes", async () => {
    const modes: Record<string, Record<string, unknown>> = {
      create: { "aws:region": "eu-west-1", cluster: { create: {} } },
      "create, nodes sized for the topology": { "aws:region": "eu-west-1" },
      "existing+kubeconfig": {
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, storageClasses: { block: "gp3", shared: "efs" } } },
      },
      "existing+stackReference": {
        cluster: { existing: { stackReference: { name: "acme/platform/prod" }, storageClasses: { block: "gp3", shared: "efs" } } },
      },
      "existing+network (RDS created)": {
        "aws:region": "eu-west-1",
        network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] } },
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, nodeSecurityGroupId: "sg-0123456789abcdef0" } },
      },
    };
    for (const [mode, base] of Object.entries(modes)) {
      for (const topology of TOPOLOGIES) {
        const existing = mode.startsWith("existing");
        const needsGiven = existing && !mode.includes("network") && topology !== "single";
        const xroad = {
          ...(needsGiven ? { database: { given: { host: "pg.internal", password: { secure: "v1:pw" } } } } : {}),
          ...(existing ? { archive: { enabled: false } } : {}),
        };
        const sized = mode.startsWith("create, nodes") ? { cluster: { create: { nodes: nodesFor(topology) } } } : {};
        const run = await runStack({ ...base, ...sized, topology, xroad }, "combo");
        // The default node group (two m6i.xlarge) holds single and external-db; ha needs the ha example's, checked in the line above it.
        // The default node group holds each topology: in ha it is the ha example's size.
        const findings = evaluatePolicies(run, RULES);
        assert.deepEqual(findings, [], `${mode} × ${topology}:\n${findings.map((f) => `[${f.rule}] ${f.resource}: ${f.message}`).join("\n")}`);
        assert.equal((run.outputs.topologies as any).xroad, topology);
      }
    }
  });

  it("every endpoints mode × X-Road exposure × topology runs and passes", async () => {
    const zone = { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" };
    const modes: Record<string, Record<string, unknown>> = {
      "created, zone": { "aws:region": "eu-west-1", endpoints: zone },
      "created, certificate, internal scheme with source ranges": {
        "aws:region": "eu-west-1",
        endpoints: { domain: "trust.example.org", certificateArn: "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f", scheme: "internal", sourceRanges: ["10.0.0.0/8"] },
      },
      "created in an existing VPC, zone": {
        "aws:region": "eu-west-1",
        network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], publicSubnetIds: ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"] } },
        endpoints: zone,
      },
      "existing, cert-manager": {
        cluster: { existing: { kubeconfig: { secure: "v1:kc" }, storageClasses: { block: "gp3", shared: "efs" } } },
        endpoints: { domain: "trust.example.org", ingressClassName: "nginx", internalIngressClassName: "nginx-internal", clusterIssuer: "le", ingressFrom: { namespace: "ingress-nginx" } },
      },
    };
    const exposures: Record<string, Record<string, unknown>> = {
      default: { allowedCidrs: ["10.9.0.0/16"] },
      "no NLB": { loadBalancer: { enabled: false }, allowedCidrs: ["10.9.0.0/16"] },
      "internal NLBs, admin CIDRs": { loadBalancer: { scheme: "internal", sourceRanges: ["198.51.100.0/24"] }, internalLoadBalancer: true, allowedCidrs: ["10.9.0.0/16"] },
    };
    for (const [mode, base] of Object.entries(modes)) {
      const existing = mode.startsWith("existing");
      for (const [exposureName, exposure] of Object.entries(exposures)) {
        for (const topology of ["single", "ha"]) {
          const xroad = {
            exposure,
            ...(existing ? { archive: { enabled: false }, ...(topology === "ha" ? { database: { given: { host: "pg.internal", password: { secure: "v1:pw" } } } } : {}) } : {}),
          };
          const run = await runStack({ ...base, topology, xroad }, "endpoints");
          const findings = evaluatePolicies(run, RULES);
          assert.deepEqual(findings, [], `${mode} × ${exposureName} × ${topology}:\n${findings.map((f) => `[${f.rule}] ${f.resource}: ${f.message}`).join("\n")}`);
          assert.ok(run.ofType("kubernetes:networking.k8s.io/v1:Ingress").length === 1, `${mode} × ${exposureName} × ${topology}: the admin endpoint`);
        }
      }
    }
  });
});
