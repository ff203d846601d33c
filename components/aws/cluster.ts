import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { keyUseStatement, managedPolicy, podIdentityRole, policyDocument, serviceRole, trustPolicy } from "./common";
import { formerly } from "../types";

/** The EKS add-ons this component installs itself (Container Insights installs its own). */
export const CLUSTER_ADDONS = [
  "vpc-cni",
  "kube-proxy",
  "eks-pod-identity-agent",
  "coredns",
  "aws-ebs-csi-driver",
  "aws-efs-csi-driver",
] as const;

export const CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksClusterArgs {
  /** EKS cluster name (also names the control-plane log group). */
  clusterName: string;
  /** Kubernetes version, e.g. "1.33". */
  version: string;
  vpcId: pulumi.Input<string>;
  /** Private subnets: control-plane ENIs and nodes. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Customer-managed KMS key for secrets envelope encryption, the control-plane logs and node volumes. */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * CIDRs allowed to reach the public API endpoint. Empty: the public endpoint is off.
   * @default []
   */
  publicAccessCidrs?: string[];
  /** IAM roles granted AmazonEKSClusterAdminPolicy through access entries. @default [] */
  adminRoleArns?: string[];
  /** Node group instance types. @default ["m6i.xlarge"] */
  instanceTypes?: string[];
  /** @default 2 */
  minNodes?: number;
  /** @default 3 */
  desiredNodes?: number;
  /** @default 6 */
  maxNodes?: number;
  /** Node root volume size in GiB. @default 50 */
  nodeDiskSize?: number;
  /** @default "ON_DEMAND" */
  capacityType?: string;
  /** Retention of the control-plane log group. @default 90 */
  logRetentionDays?: number;
  /** Pinned add-on versions by name; others get EKS's default for the cluster version. @default {} */
  addonVersions?: Partial<Record<string, string>>;
  /** Deletion protection on the control plane. @default false */
  deletionProtection?: boolean;
  tags?: Record<string, string>;
}

/**
 * An EKS cluster from raw `aws.eks` resources (so every piece is visible to tests
 * and policies): API authentication mode with access entries, private endpoint,
 * public endpoint limited to given CIDRs, secrets encrypted with a customer key,
 * all control-plane logs, a managed node group in the private subnets, and the
 * core add-ons with their IAM through EKS Pod Identity. `kubernetesProvider(name, cluster)`
 * builds a Kubernetes provider for it (the platform makes two: one for the load
 * balancer controller, and one, waiting for the controller, for everything else).
 */
export class EksCluster extends pulumi.ComponentResource {
  public readonly cluster: aws.eks.Cluster;
  public readonly clusterName: pulumi.Output<string>;
  /** The security group EKS attaches to the control plane and managed nodes. */
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  /** Kubeconfig (secret) that authenticates with `aws eks get-token`. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly nodeGroup: aws.eks.NodeGroup;
  /** Add-ons by name. */
  public readonly addons: Record<string, aws.eks.Addon> = {};
  /** The role the EBS CSI controller runs with (granted use of the storage key). */
  public readonly ebsCsiRole: aws.iam.Role;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:EksCluster", name, {}, formerly("trust-services:aws:EksCluster", opts));
    const publicAccessCidrs = args.publicAccessCidrs ?? [];
    const adminRoleArns = args.adminRoleArns ?? [];
    const instanceTypes = args.instanceTypes ?? ["m6i.xlarge"];
    const minNodes = args.minNodes ?? 2;
    const desiredNodes = args.desiredNodes ?? 3;
    const maxNodes = args.maxNodes ?? 6;
    const nodeDiskSize = args.nodeDiskSize ?? 50;
    const capacityType = args.capacityType ?? "ON_DEMAND";
    const logRetentionDays = args.logRetentionDays ?? 90;
    const addonVersions = args.addonVersions ?? {};
    const tags = args.tags ?? {};
    if (!(minNodes <= desiredNodes && desiredNodes <= maxNodes)) {
      throw new Error(`EksCluster ${name}: nodes min ${minNodes}, desired ${desiredNodes}, max ${maxNodes} — min ≤ desired ≤ max`);
    }

    const { role: clusterRole, grants: clusterGrants } = serviceRole(
      `${name}-cluster`,
      trustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
      { policyArns: [managedPolicy("AmazonEKSClusterPolicy")], tags },
      this,
    );

    // Created before the cluster so EKS writes into an encrypted group with a retention.
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      { name: `/aws/eks/${args.clusterName}/cluster`, retentionInDays: logRetentionDays, kmsKeyId: args.kmsKeyArn, tags },
      { parent: this },
    );

    this.cluster = new aws.eks.Cluster(
      `${name}-eks`,
      {
        name: args.clusterName,
        version: args.version,
        roleArn: clusterRole.arn,
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
        bootstrapSelfManagedAddons: false,
        vpcConfig: {
          subnetIds: args.privateSubnetIds,
          endpointPrivateAccess: true,
          endpointPublicAccess: publicAccessCidrs.length > 0,
          publicAccessCidrs: publicAccessCidrs.length > 0 ? publicAccessCidrs : undefined,
        },
        encryptionConfig: { resources: ["secrets"], provider: { keyArn: args.kmsKeyArn } },
        enabledClusterLogTypes: CONTROL_PLANE_LOGS,
        deletionProtection: args.deletionProtection ?? false,
        upgradePolicy: { supportType: "STANDARD" },
        tags,
      },
      {
        parent: this,
        dependsOn: [...clusterGrants, logGroup],
        ignoreChanges: ["accessConfig.bootstrapClusterCreatorAdminPermissions", "bootstrapSelfManagedAddons"],
      },
    );
    this.clusterName = this.cluster.name;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;

    adminRoleArns.forEach((principalArn, i) => {
      const entry = new aws.eks.AccessEntry(
        `${name}-admin-${i}`,
        { clusterName: this.cluster.name, principalArn, type: "STANDARD" },
        { parent: this },
      );
      new aws.eks.AccessPolicyAssociation(
        `${name}-admin-${i}`,
        {
          clusterName: this.cluster.name,
          principalArn: entry.principalArn,
          policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
          accessScope: { type: "cluster" },
        },
        { parent: this },
      );
    });

    const addon = (addonName: string, extra: Partial<aws.eks.AddonArgs>, dependsOn: pulumi.Resource[] = []) => {
      const a = new aws.eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName: this.cluster.name,
          addonName,
          addonVersion: addonVersions[addonName],
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          tags,
          ...extra,
        },
        { parent: this, dependsOn },
      );
      this.addons[addonName] = a;
      return a;
    };

    // Networking add-ons go on before the nodes: with bootstrapSelfManagedAddons off,
    // nodes only become Ready once the VPC CNI runs.
    const cniRole = podIdentityRole(`${name}-vpc-cni`, { policyArns: [managedPolicy("AmazonEKS_CNI_Policy")], tags }, this);
    const podIdentityAgent = addon("eks-pod-identity-agent", {});
    // The agent and the CNI come up together on the first nodes; neither needs the other to be created.
    // The CNI's network policy agent enforces NetworkPolicies; it is off by default (EKS user guide,
    // eks-networking-add-ons.adoc: configuration value "enableNetworkPolicy": "true"), and without it
    // every NetworkPolicy the services declare would be accepted and ignored.
    const vpcCni = addon("vpc-cni", {
      podIdentityAssociations: [{ serviceAccount: "aws-node", roleArn: cniRole.arn }],
      configurationValues: JSON.stringify({ enableNetworkPolicy: "true" }),
    });
    const kubeProxy = addon("kube-proxy", {});

    const { role: nodeRole, grants: nodePolicies } = serviceRole(
      `${name}-node`,
      trustPolicy("ec2.amazonaws.com"),
      { policyArns: ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"].map(managedPolicy), tags },
      this,
    );
    // Node root volumes encrypted with the customer key; IMDSv2 only, one hop (pods cannot reach node credentials).
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-node`,
      {
        blockDeviceMappings: [
          {
            deviceName: "/dev/xvda",
            ebs: { volumeSize: nodeDiskSize, volumeType: "gp3", encrypted: "true", kmsKeyId: args.kmsKeyArn, deleteOnTermination: "true" },
          },
        ],
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1, httpEndpoint: "enabled" },
        tagSpecifications: [{ resourceType: "instance", tags: { ...tags, Name: `${args.clusterName}-node` } }],
        tags,
      },
      { parent: this },
    );
    this.nodeGroup = new aws.eks.NodeGroup(
      `${name}-nodes`,
      {
        clusterName: this.cluster.name,
        nodeRoleArn: nodeRole.arn,
        subnetIds: args.privateSubnetIds,
        instanceTypes,
        capacityType,
        amiType: "AL2023_x86_64_STANDARD",
        version: this.cluster.version,
        scalingConfig: { minSize: minNodes, desiredSize: desiredNodes, maxSize: maxNodes },
        updateConfig: { maxUnavailable: 1 },
        launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
        tags,
      },
      { parent: this, dependsOn: [...nodePolicies, vpcCni, kubeProxy, podIdentityAgent], ignoreChanges: ["scalingConfig.desiredSize"] },
    );

    // Add-ons whose controllers run as Deployments wait for nodes.
    addon("coredns", {}, [this.nodeGroup]);
    this.ebsCsiRole = podIdentityRole(
      `${name}-ebs-csi`,
      {
        policyArns: [managedPolicy("service-role/AmazonEBSCSIDriverPolicy")],
        // A customer-managed key needs grants for the volumes EBS attaches (AWS EBS CSI docs).
        inlinePolicy: policyDocument([
          {
            Effect: "Allow",
            Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            Resource: args.kmsKeyArn,
            Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
          },
          keyUseStatement(args.kmsKeyArn),
        ]),
        tags,
      },
      this,
    );
    addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ serviceAccount: "ebs-csi-controller-sa", roleArn: this.ebsCsiRole.arn }] }, [this.nodeGroup]);
    const efsRole = podIdentityRole(`${name}-efs-csi`, { policyArns: [managedPolicy("service-role/AmazonEFSCSIDriverPolicy")], tags }, this);
    addon(
      "aws-efs-csi-driver",
      {
        podIdentityAssociations: [
          { serviceAccount: "efs-csi-controller-sa", roleArn: efsRole.arn },
          { serviceAccount: "efs-csi-node-sa", roleArn: efsRole.arn },
        ],
      },
      [this.nodeGroup],
    );

    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority.data])
        .apply(([clusterName, endpoint, ca]) => kubeconfigFor(clusterName, endpoint, ca)),
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      kubeconfig: this.kubeconfig,
    });
  }
}

/** A kubeconfig that gets a token from `aws eks get-token` (no long-lived credential in it). */
export function kubeconfigFor(clusterName: string, endpoint: string, caData: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [
      {
        name: clusterName,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", clusterName, "--output", "json"],
          },
        },
      },
    ],
  });
}

/**
 * The Kubernetes provider of a created cluster (a child of it, `<name>-k8s`), with
 * server-side apply. Not a field of EksCluster: a provider cannot be an output of a
 * component served to other languages. `dependsOn`: what every resource that uses
 * the provider must wait for (the load balancer controller, whose webhooks admit
 * no Service or Ingress before its pods serve).
 */
export function kubernetesProvider(name: string, cluster: EksCluster, opts?: { dependsOn?: pulumi.Input<pulumi.Resource>[] }): k8s.Provider {
  return new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfig, enableServerSideApply: true }, { parent: cluster, dependsOn: opts?.dependsOn });
}
