/**
 * Settings → the platform: the cluster (created on EKS, or existing), its
 * Kubernetes provider, storage classes, and the data services each enabled
 * service asked for (databases, buckets). Independent slow pieces stay
 * independent: a database waits for the network and the key, never for EKS.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupPlan } from "../components/aws/backup";
import { EksCluster } from "../components/aws/cluster";
import { Database } from "../components/aws/database";
import { EncryptedBucket } from "../components/aws/bucket";
import { ContainerInsights } from "../components/aws/insights";
import { EncryptionKey } from "../components/aws/key";
import { Network } from "../components/aws/network";
import { ClusterStorage } from "../components/aws/storage";
import { Settings, topologyOf } from "./settings";

/** A PostgreSQL/MySQL endpoint a service connects to (created here or given). */
export interface DatabaseEndpoint {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  user: string;
  /** Secret. */
  password: pulumi.Output<string>;
  /** The created RDS component, when this stack created it. */
  created?: Database;
}

export interface Platform {
  provider: k8s.Provider;
  /** Kubeconfig of a created cluster (secret). */
  kubeconfig?: pulumi.Output<string>;
  cluster?: EksCluster;
  network?: { vpcId: pulumi.Input<string>; privateSubnetIds: pulumi.Input<string>[]; publicSubnetIds: pulumi.Input<string>[] };
  key?: EncryptionKey;
  storage?: ClusterStorage;
  backup?: BackupPlan;
  insights?: ContainerInsights;
  /** StorageClass names for ReadWriteOnce and ReadWriteMany volumes (undefined: the cluster default). */
  storageClasses: { block?: pulumi.Input<string>; shared?: pulumi.Input<string> };
  /** Databases by service name. */
  databases: Partial<Record<"xroad", DatabaseEndpoint>>;
  /** Buckets by purpose. */
  buckets: Partial<Record<"xroadArchive", EncryptedBucket>>;
  /** AWS account id (when the stack uses AWS). */
  accountId?: pulumi.Output<string>;
}

export function clusterNameOf(s: Settings): string {
  return s.cluster.create?.name ?? `trust-services-${s.stack}`;
}

export function buildPlatform(s: Settings): Platform {
  const production = s.production;
  const tags = { "trust-services/stack": s.stack, "trust-services/managed-by": "pulumi" };
  const platform: Platform = { provider: undefined as unknown as k8s.Provider, storageClasses: {}, databases: {}, buckets: {} };

  if (s.usesAws) {
    platform.accountId = aws.getCallerIdentityOutput().accountId;
    platform.key = new EncryptionKey("platform-key", {
      description: `trust-services ${s.stack}: EKS secrets, volumes, databases, logs, backups`,
      accountId: platform.accountId,
      region: s.region!,
      production,
      allowCloudWatchLogs: true,
      allowAutoScaling: s.cluster.create !== undefined,
      tags,
    });
  }

  // The network: created with the cluster, or given.
  const clusterName = clusterNameOf(s);
  if (s.network.existing) {
    platform.network = {
      vpcId: s.network.existing.vpcId,
      privateSubnetIds: s.network.existing.privateSubnetIds,
      publicSubnetIds: s.network.existing.publicSubnetIds,
    };
  } else if (s.cluster.create) {
    const net = new Network("network", {
      cidrBlock: s.network.cidr,
      availabilityZoneCount: s.network.availabilityZones,
      availabilityZoneNames: s.network.zoneNames,
      natGatewayPerZone: production,
      clusterName,
      tags,
    });
    platform.network = { vpcId: net.vpcId, privateSubnetIds: net.privateSubnetIds, publicSubnetIds: net.publicSubnetIds };
  }

  let clientSecurityGroupId: pulumi.Input<string> | undefined;
  if (s.cluster.create) {
    const c = s.cluster.create;
    const key = platform.key!;
    const cluster = new EksCluster("cluster", {
      clusterName,
      version: c.version,
      vpcId: platform.network!.vpcId,
      privateSubnetIds: platform.network!.privateSubnetIds,
      kmsKeyArn: key.arn,
      publicAccessCidrs: c.publicAccessCidrs,
      adminRoleArns: c.adminRoleArns,
      instanceTypes: c.nodes.instanceTypes,
      minNodes: c.nodes.min,
      desiredNodes: c.nodes.desired,
      maxNodes: c.nodes.max,
      nodeDiskSize: c.nodes.diskSize,
      capacityType: c.nodes.capacityType,
      logRetentionDays: c.logRetentionDays,
      addonVersions: c.addonVersions,
      deletionProtection: production,
      tags,
    });
    platform.cluster = cluster;
    platform.provider = cluster.provider;
    platform.kubeconfig = cluster.kubeconfig;
    clientSecurityGroupId = cluster.clusterSecurityGroupId;
    platform.storage = new ClusterStorage("storage", {
      kmsKeyArn: key.arn,
      vpcId: platform.network!.vpcId,
      privateSubnetIds: platform.network!.privateSubnetIds,
      clusterSecurityGroupId: cluster.clusterSecurityGroupId,
      provider: cluster.provider,
      production,
      tags,
    });
    platform.storageClasses = { block: platform.storage.blockClassName, shared: platform.storage.sharedClassName };
    platform.backup = new BackupPlan("backup", {
      kmsKeyArn: key.arn,
      retentionDays: s.backup.retentionDays,
      schedule: s.backup.schedule,
      production,
      tags,
    });
    if (s.monitoring.containerInsights) {
      platform.insights = new ContainerInsights("insights", {
        clusterName: cluster.clusterName,
        kmsKeyArn: key.arn,
        logRetentionDays: s.monitoring.logRetentionDays,
        addonVersion: c.addonVersions["amazon-cloudwatch-observability"],
        dependsOn: [cluster.nodeGroup],
        tags,
      });
    }
  } else {
    const e = s.cluster.existing!;
    const kubeconfig = e.kubeconfig ?? pulumi.secret(new pulumi.StackReference(e.stackReference!.name).requireOutput(e.stackReference!.output).apply(String));
    platform.provider = new k8s.Provider("cluster", { kubeconfig, enableServerSideApply: true });
    platform.storageClasses = { block: e.storageClasses.block, shared: e.storageClasses.shared };
    clientSecurityGroupId = e.nodeSecurityGroupId;
  }

  // Per-service data services.
  if (s.xroad) {
    const x = s.xroad;
    const topo = topologyOf(s, x);
    if (topo !== "single") {
      const db = x.database!;
      if (db.given) {
        platform.databases.xroad = { host: db.given.host, port: db.given.port, user: db.given.user, password: db.given.password };
      } else if (db.create) {
        const created = new Database("xroad-db", {
          engine: "postgres",
          engineVersion: db.create.engineVersion,
          instanceClass: db.create.instanceClass,
          allocatedStorage: db.create.allocatedStorage,
          maxAllocatedStorage: db.create.maxAllocatedStorage,
          backupRetentionDays: db.create.backupRetentionDays,
          multiAz: db.create.multiAz ?? (production || topo === "ha"),
          vpcId: platform.network!.vpcId,
          subnetIds: platform.network!.privateSubnetIds,
          clientSecurityGroupId: clientSecurityGroupId!,
          kmsKeyArn: platform.key!.arn,
          production,
          tags: { ...tags, "trust-services/service": "xroad" },
        });
        platform.databases.xroad = { host: created.address, port: created.port, user: created.username, password: created.password, created };
      }
    }
    if (x.archive.enabled ?? s.cluster.create !== undefined) {
      platform.buckets.xroadArchive = new EncryptedBucket("xroad-archive", {
        accountId: platform.accountId!,
        region: s.region!,
        production,
        tags: { ...tags, "trust-services/service": "xroad" },
      });
    }
  }

  return platform;
}
