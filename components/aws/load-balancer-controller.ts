/**
 * The AWS Load Balancer Controller on a created EKS cluster (upstream/endpoints.md §1):
 * the pinned eks-charts chart, the controller's upstream IAM policy through
 * EKS Pod Identity, and a webhook certificate kept in the stack's state, so
 * the chart's Secret does not change on every `pulumi up`.
 *
 * Its Ingress webhook refuses every Ingress until its pods serve (failurePolicy
 * Fail), so whatever creates one must wait for the release (the platform's
 * Kubernetes provider depends on it); that also makes a destroy delete the
 * Ingresses and LoadBalancer Services, and with them the load balancers,
 * before the controller. The chart's Service mutator is turned off: it would
 * refuse the creation of every Service in the cluster while the controller is
 * down, the EKS add-ons' own included (LBC#4140), and it only sets a class that
 * this project's LoadBalancer Services name themselves.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CertificateAuthority } from "../kubernetes/certificates";
import { podIdentityRole, PolicyStatement, policyDocument } from "./common";

export const LBC_CHART = { name: "aws-load-balancer-controller", repo: "https://aws.github.io/eks-charts", version: "3.5.0" };
/** Names the chart gives its objects (its _helpers.tpl: independent of the release name). */
export const LBC_NAMES = { serviceAccount: "aws-load-balancer-controller", webhookService: "aws-load-balancer-webhook-service", namespace: "kube-system" };
/** The IngressClass the chart creates, and the class of the NLBs it owns. */
export const LBC_INGRESS_CLASS = "alb";
export const LBC_NLB_CLASS = "service.k8s.aws/nlb";

export interface LoadBalancerControllerArgs {
  clusterName: pulumi.Input<string>;
  /** The cluster's region and VPC (the controller does not ask the instance metadata service). */
  region: string;
  vpcId: pulumi.Input<string>;
  /** Chart version (eks-charts `aws-load-balancer-controller`). @default "3.5.0" */
  chartVersion?: string;
  /** @default 2 */
  replicas?: number;
  tags?: Record<string, string>;
}

/** The controller's requests and limits (the chart sets none). */
export const LBC_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } };

const ELB = "elasticloadbalancing";

/**
 * The controller's IAM policy: kubernetes-sigs/aws-load-balancer-controller
 * docs/install/iam_policy.json at v3.5.0 (16 statements, unchanged since
 * 2025-03-27), with the partition of the region.
 */
export function controllerPolicy(partition: string): PolicyStatement[] {
  const arn = (rest: string) => `arn:${partition}:${rest}`;
  const clusterTagged = { Null: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } };
  const lbResources = [arn(`${ELB}:*:*:targetgroup/*/*`), arn(`${ELB}:*:*:loadbalancer/net/*/*`), arn(`${ELB}:*:*:loadbalancer/app/*/*`)];
  const elb = (...actions: string[]) => actions.map((a) => `${ELB}:${a}`);
  return [
    { Effect: "Allow", Action: "iam:CreateServiceLinkedRole", Resource: "*", Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } } },
    {
      Effect: "Allow",
      Action: [
        ...["DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeInternetGateways", "DescribeVpcs", "DescribeVpcPeeringConnections", "DescribeSubnets", "DescribeSecurityGroups", "DescribeInstances", "DescribeNetworkInterfaces", "DescribeTags", "GetCoipPoolUsage", "DescribeCoipPools", "GetSecurityGroupsForVpc", "DescribeIpamPools", "DescribeRouteTables"].map((a) => `ec2:${a}`),
        ...elb("DescribeLoadBalancers", "DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeListenerCertificates", "DescribeSSLPolicies", "DescribeRules", "DescribeTargetGroups", "DescribeTargetGroupAttributes", "DescribeTargetHealth", "DescribeTags", "DescribeTrustStores", "DescribeListenerAttributes", "DescribeCapacityReservation"),
      ],
      Resource: "*",
    },
    {
      Effect: "Allow",
      Action: [
        "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate",
        "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL",
        "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
        "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
      ],
      Resource: "*",
    },
    { Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], Resource: "*" },
    { Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: "*" },
    {
      Effect: "Allow",
      Action: "ec2:CreateTags",
      Resource: arn("ec2:*:*:security-group/*"),
      Condition: { StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" }, Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } },
    },
    {
      Effect: "Allow",
      Action: ["ec2:CreateTags", "ec2:DeleteTags"],
      Resource: arn("ec2:*:*:security-group/*"),
      Condition: { Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } },
    },
    { Effect: "Allow", Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"], Resource: "*", Condition: clusterTagged },
    { Effect: "Allow", Action: elb("CreateLoadBalancer", "CreateTargetGroup"), Resource: "*", Condition: { Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } } },
    { Effect: "Allow", Action: elb("CreateListener", "DeleteListener", "CreateRule", "DeleteRule"), Resource: "*" },
    {
      Effect: "Allow",
      Action: elb("AddTags", "RemoveTags"),
      Resource: lbResources,
      Condition: { Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "true", "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" } },
    },
    {
      Effect: "Allow",
      Action: elb("AddTags", "RemoveTags"),
      Resource: ["listener/net/*/*/*", "listener/app/*/*/*", "listener-rule/net/*/*/*", "listener-rule/app/*/*/*"].map((r) => arn(`${ELB}:*:*:${r}`)),
    },
    {
      Effect: "Allow",
      Action: elb("ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets", "DeleteLoadBalancer", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup", "ModifyListenerAttributes", "ModifyCapacityReservation", "ModifyIpPools"),
      Resource: "*",
      Condition: clusterTagged,
    },
    {
      Effect: "Allow",
      Action: `${ELB}:AddTags`,
      Resource: lbResources,
      Condition: { StringEquals: { [`${ELB}:CreateAction`]: ["CreateTargetGroup", "CreateLoadBalancer"] }, Null: { "aws:RequestTag/elbv2.k8s.aws/cluster": "false" } },
    },
    { Effect: "Allow", Action: elb("RegisterTargets", "DeregisterTargets"), Resource: arn(`${ELB}:*:*:targetgroup/*/*`) },
    { Effect: "Allow", Action: elb("SetWebAcl", "ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates", "ModifyRule", "SetRulePriorities"), Resource: "*" },
  ];
}

/** The AWS partition of a region. */
export function partitionOf(region: string): string {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

export class LoadBalancerController extends pulumi.ComponentResource {
  /** The Helm release: what Services and Ingresses must wait for. */
  public readonly release: k8s.helm.v3.Release;
  /** The IngressClass it serves ("alb"). */
  public readonly ingressClassName: string;

  constructor(name: string, args: LoadBalancerControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:LoadBalancerController", name, {}, opts);
    const child = { parent: this };
    const replicas = args.replicas ?? 2;
    const tags = args.tags ?? {};
    this.ingressClassName = LBC_INGRESS_CLASS;

    const role = podIdentityRole(`${name}-role`, { inlinePolicy: policyDocument(controllerPolicy(partitionOf(args.region))), tags }, this);
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-identity`,
      { clusterName: args.clusterName, namespace: LBC_NAMES.namespace, serviceAccount: LBC_NAMES.serviceAccount, roleArn: role.arn, tags },
      child,
    );

    // The webhook's serving certificate, for the name the API server calls (<service>.<namespace>.svc).
    const ca = new CertificateAuthority(`${name}-webhook-ca`, { commonName: "aws-load-balancer-controller webhook CA" }, child);
    const svc = `${LBC_NAMES.webhookService}.${LBC_NAMES.namespace}`;
    const serving = ca.issueServerCertificate(`${name}-webhook`, [`${svc}.svc`, svc, `${svc}.svc.cluster.local`]);

    this.release = new k8s.helm.v3.Release(
      name,
      {
        name: LBC_CHART.name,
        chart: LBC_CHART.name,
        version: args.chartVersion ?? LBC_CHART.version,
        repositoryOpts: { repo: LBC_CHART.repo },
        namespace: LBC_NAMES.namespace,
        values: {
          clusterName: args.clusterName,
          region: args.region,
          vpcId: args.vpcId,
          replicaCount: replicas,
          // The association names the service account, so the pods start with their role.
          serviceAccount: { create: true, name: association.serviceAccount },
          webhookTLS: { caCert: ca.certificate, cert: serving.certificate, key: serving.privateKey },
          resources: LBC_RESOURCES,
          // The chart leaves seccomp and the capability drop out; with them the pods meet `restricted`.
          securityContext: { capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" }, readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false },
          podDisruptionBudget: replicas > 1 ? { maxUnavailable: 1 } : undefined,
          topologySpreadConstraints:
            replicas > 1
              ? [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { "app.kubernetes.io/name": LBC_CHART.name } } }]
              : [],
          defaultTargetType: "ip",
          enableServiceMutatorWebhook: false,
          defaultTags: tags,
        },
        // Until the pods are ready their webhooks refuse every Service and Ingress: wait for them.
        skipAwait: false,
        timeout: 600,
        atomic: true,
        maxHistory: 5,
      },
      // What the component was told to wait for (nodes, the Pod Identity agent) is the release's to wait for.
      { ...child, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ ingressClassName: this.ingressClassName });
  }
}
