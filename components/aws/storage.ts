import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_TAG_KEY, BACKUP_TAG_VALUE, keepData } from "./common";
import { formerly } from "../types";

export interface ClusterStorageArgs {
  /** Customer-managed KMS key for EBS volumes and EFS. */
  kmsKeyArn: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  /** Private subnets: one EFS mount target in each. */
  privateSubnetIds: pulumi.Input<string>[];
  /** The only security group admitted to NFS (the cluster's). */
  clusterSecurityGroupId: pulumi.Input<string>;
  /** Retain the EFS file system when the stack is destroyed; EFS replication protection. @default false */
  production?: boolean;
  /** Name of the ReadWriteOnce StorageClass. @default "gp3" */
  blockClassName?: string;
  /** Name of the ReadWriteMany StorageClass. @default "efs" */
  sharedClassName?: string;
  tags?: Record<string, string>;
}

/**
 * Storage for the cluster (give the cluster's Kubernetes provider in the options): an encrypted `gp3` StorageClass on the EBS CSI driver
 * (the default class; `Retain`, `WaitForFirstConsumer`, expandable, volumes tagged
 * for AWS Backup) and an encrypted EFS file system with an `efs-ap` StorageClass
 * for ReadWriteMany volumes, reachable over NFS from the cluster only.
 */
export class ClusterStorage extends pulumi.ComponentResource {
  public readonly blockClassName: pulumi.Output<string>;
  public readonly sharedClassName: pulumi.Output<string>;
  public readonly fileSystem: aws.efs.FileSystem;
  public readonly fileSystemArn: pulumi.Output<string>;

  constructor(name: string, args: ClusterStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:ClusterStorage", name, {}, formerly("trust-services:aws:ClusterStorage", opts));
    const production = args.production ?? false;
    const blockClassName = args.blockClassName ?? "gp3";
    const sharedClassName = args.sharedClassName ?? "efs";
    const tags = args.tags ?? {};
    // The StorageClasses use the component's Kubernetes provider (`providers: { kubernetes }` in its options).
    const k8sOpts = { parent: this };

    const gp3 = new k8s.storage.v1.StorageClass(
      `${name}-${blockClassName}`,
      {
        metadata: { name: blockClassName, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Retain",
        parameters: {
          type: "gp3",
          "csi.storage.k8s.io/fstype": "ext4",
          encrypted: "true",
          kmsKeyId: args.kmsKeyArn,
          tagSpecification_1: `${BACKUP_TAG_KEY}=${BACKUP_TAG_VALUE}`,
        },
      },
      k8sOpts,
    );
    this.blockClassName = gp3.metadata.name;

    const nfs = new aws.ec2.SecurityGroup(
      `${name}-efs`,
      { vpcId: args.vpcId, description: "NFS from the EKS cluster to EFS", tags: { ...tags, Name: `${name}-efs` } },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-efs-from-cluster`,
      {
        securityGroupId: nfs.id,
        referencedSecurityGroupId: args.clusterSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: 2049,
        toPort: 2049,
        description: "NFS from the cluster",
      },
      { parent: this },
    );
    this.fileSystem = new aws.efs.FileSystem(
      `${name}-efs`,
      {
        encrypted: true,
        kmsKeyId: args.kmsKeyArn,
        performanceMode: "generalPurpose",
        throughputMode: "elastic",
        lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }],
        tags: { ...tags, Name: `${name}-efs`, [BACKUP_TAG_KEY]: BACKUP_TAG_VALUE },
      },
      keepData(production, { parent: this }),
    );
    this.fileSystemArn = this.fileSystem.arn;
    new aws.efs.FileSystemPolicy(
      `${name}-efs-tls`,
      {
        fileSystemId: this.fileSystem.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: { AWS: "*" },
              Action: "*",
              Resource: this.fileSystem.arn,
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      { parent: this },
    );
    args.privateSubnetIds.forEach((subnetId, i) => {
      new aws.efs.MountTarget(`${name}-efs-${i}`, { fileSystemId: this.fileSystem.id, subnetId, securityGroups: [nfs.id] }, { parent: this });
    });

    const efs = new k8s.storage.v1.StorageClass(
      `${name}-${sharedClassName}`,
      {
        metadata: { name: sharedClassName },
        provisioner: "efs.csi.aws.com",
        reclaimPolicy: "Retain",
        volumeBindingMode: "Immediate",
        parameters: {
          provisioningMode: "efs-ap",
          fileSystemId: this.fileSystem.id,
          directoryPerms: "700",
          basePath: "/dynamic",
          subPathPattern: "${.PVC.namespace}/${.PVC.name}",
          ensureUniqueDirectory: "true",
        },
        mountOptions: ["tls"],
      },
      k8sOpts,
    );
    this.sharedClassName = efs.metadata.name;

    this.registerOutputs({ blockClassName: this.blockClassName, sharedClassName: this.sharedClassName, fileSystemId: this.fileSystem.id });
  }
}
