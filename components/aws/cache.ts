import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keepData } from "./common";
import { formerly } from "../types";

/** Tag that records why a Redis runs without TLS. */
export const TLS_EXEMPT_TAG = "trust-services/tls-exempt-reason";

export interface CacheArgs {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  /** The security group admitted to the Redis port. */
  clientSecurityGroupId: pulumi.Input<string>;
  /** Customer-managed KMS key for data at rest. */
  kmsKeyArn: pulumi.Input<string>;
  /**
   * TLS between clients and Redis; some consumers cannot speak it (RSTUF), others can (Rekor).
   * @default true
   */
  transitEncryption?: boolean;
  /**
   * Why the consumer cannot use TLS (required when transitEncryption is false);
   * recorded as the tag `trust-services/tls-exempt-reason`.
   */
  plaintextReason?: string;
  /** Redis AUTH with a generated token (needs transitEncryption). @default same as transitEncryption */
  auth?: boolean;
  /** @default "cache.t4g.small" */
  nodeType?: string;
  /** @default "7.1" */
  engineVersion?: string;
  /** A replica in another zone, automatic failover and Multi-AZ. @default production */
  failover?: boolean;
  /** Days daily snapshots are kept. @default 7 when production, else 1 */
  snapshotRetentionDays?: number;
  /** Snapshots kept longer. @default false */
  production?: boolean;
  tags?: Record<string, string>;
}

/**
 * An ElastiCache Redis replication group (cluster mode disabled) for one
 * consumer: encrypted at rest with the customer key, TLS and AUTH as the
 * consumer allows, failover and Multi-AZ in production, reachable from the
 * cluster only.
 */
export class Cache extends pulumi.ComponentResource {
  public readonly replicationGroup: aws.elasticache.ReplicationGroup;
  public readonly address: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** AUTH token (secret), when auth is on. */
  public readonly authToken?: pulumi.Output<string>;
  public readonly tls: boolean;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:Cache", name, {}, formerly("trust-services:aws:Cache", opts));
    const transitEncryption = args.transitEncryption ?? true;
    const auth = args.auth ?? transitEncryption;
    const nodeType = args.nodeType ?? "cache.t4g.small";
    const engineVersion = args.engineVersion ?? "7.1";
    const production = args.production ?? false;
    const failover = args.failover ?? production;
    const snapshotRetentionDays = args.snapshotRetentionDays ?? (production ? 7 : 1);
    const tags = args.tags ?? {};
    if (auth && !transitEncryption) throw new Error(`Cache ${name}: auth true with transitEncryption false — AUTH needs transit encryption`);
    if (!transitEncryption && !args.plaintextReason) {
      throw new Error(`Cache ${name}: transitEncryption false without plaintextReason — say why the consumer cannot use TLS`);
    }
    this.tls = transitEncryption;

    const subnets = new aws.elasticache.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags }, { parent: this });
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: `Redis for ${name}, from the cluster only`, tags: { ...tags, Name: `${name}-redis` } },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-cluster`,
      { securityGroupId: sg.id, referencedSecurityGroupId: args.clientSecurityGroupId, ipProtocol: "tcp", fromPort: 6379, toPort: 6379, description: "Redis clients in the cluster" },
      { parent: this },
    );
    if (auth) {
      const token = new random.RandomPassword(`${name}-auth`, { length: 48, special: false }, { parent: this });
      this.authToken = pulumi.secret(token.result);
    }
    this.replicationGroup = new aws.elasticache.ReplicationGroup(
      `${name}-redis`,
      {
        description: `Redis for ${name}`,
        engine: "redis",
        engineVersion,
        nodeType,
        port: 6379,
        clusterMode: "disabled",
        numCacheClusters: failover ? 2 : 1,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        atRestEncryptionEnabled: true,
        kmsKeyId: args.kmsKeyArn,
        transitEncryptionEnabled: transitEncryption,
        authToken: this.authToken,
        subnetGroupName: subnets.name,
        securityGroupIds: [sg.id],
        snapshotRetentionLimit: snapshotRetentionDays,
        // A destroy in production leaves a snapshot behind, and the group itself.
        finalSnapshotIdentifier: production ? `${name}-final` : undefined,
        autoMinorVersionUpgrade: true,
        tags: transitEncryption ? tags : { ...tags, [TLS_EXEMPT_TAG]: args.plaintextReason! },
      },
      keepData(production, { parent: this }),
    );
    this.address = this.replicationGroup.primaryEndpointAddress;
    this.port = this.replicationGroup.port.apply((p) => p ?? 6379);
    this.registerOutputs({ address: this.address, port: this.port });
  }
}
