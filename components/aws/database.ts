import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { keepData } from "./common";
import { formerly } from "../types";

export interface DatabaseArgs {
  /** "postgres" or "mysql". */
  engine: string;
  /** Engine version, e.g. "16" or "8.0". */
  engineVersion: string;
  vpcId: pulumi.Input<string>;
  /** Private subnets of the DB subnet group. */
  subnetIds: pulumi.Input<string>[];
  /** The security group admitted to the database port (the cluster's or its nodes'). */
  clientSecurityGroupId: pulumi.Input<string>;
  /** Customer-managed KMS key for storage and Performance Insights. */
  kmsKeyArn: pulumi.Input<string>;
  /** @default "db.t4g.medium" */
  instanceClass?: string;
  /** GiB. @default 20 */
  allocatedStorage?: number;
  /** Storage autoscaling ceiling in GiB. @default 100 */
  maxAllocatedStorage?: number;
  /** A database created with the instance. @default none (the engine's defaults only) */
  databaseName?: string;
  /** Master user name. @default "postgres" for PostgreSQL, "admin" for MySQL */
  username?: string;
  /** Days of automated backups (at least 7). @default 7 (35 when production) */
  backupRetentionDays?: number;
  /** Standby in another zone. @default production */
  multiAz?: boolean;
  /** Deletion protection, final snapshot, retained on destroy. @default false */
  production?: boolean;
  tags?: Record<string, string>;
}

const ENGINES: Record<string, { family: (v: string) => string; port: number; user: string; tls: { name: string; value: string } }> = {
  postgres: { family: (v) => `postgres${v.split(".")[0]}`, port: 5432, user: "postgres", tls: { name: "rds.force_ssl", value: "1" } },
  mysql: { family: (v) => `mysql${v.split(".").slice(0, 2).join(".")}`, port: 3306, user: "admin", tls: { name: "require_secure_transport", value: "1" } },
};

/**
 * An RDS instance for one service: private subnets, its own security group (the
 * rule admitting the cluster is a separate resource, so the instance never waits
 * for the cluster), storage and Performance Insights encrypted with the customer
 * key, TLS required by parameter group, generated master password; Multi-AZ,
 * deletion protection and a final snapshot in production.
 */
export class Database extends pulumi.ComponentResource {
  public readonly instance: aws.rds.Instance;
  public readonly address: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  public readonly username: string;
  /** Master password (secret). */
  public readonly password: pulumi.Output<string>;
  /** Credentials ready for a Kubernetes Secret's stringData (secret). */
  public readonly credentials: pulumi.Output<Record<string, string>>;
  public readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:Database", name, {}, formerly("trust-services:aws:Database", opts));
    const engine = ENGINES[args.engine];
    if (!engine) throw new Error(`Database ${name}: engine ${JSON.stringify(args.engine)} — postgres or mysql`);
    const production = args.production ?? false;
    const instanceClass = args.instanceClass ?? "db.t4g.medium";
    const allocatedStorage = args.allocatedStorage ?? 20;
    const maxAllocatedStorage = args.maxAllocatedStorage ?? 100;
    const backupRetentionDays = args.backupRetentionDays ?? (production ? 35 : 7);
    const multiAz = args.multiAz ?? production;
    const tags = args.tags ?? {};
    this.username = args.username ?? engine.user;
    if (backupRetentionDays < 7) throw new Error(`Database ${name}: backupRetentionDays ${backupRetentionDays} — at least 7`);

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.subnetIds, tags }, { parent: this });
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: `${args.engine} for ${name}, from the cluster only`, tags: { ...tags, Name: `${name}-db` } },
      { parent: this },
    );
    this.securityGroupId = sg.id;
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-cluster`,
      {
        securityGroupId: sg.id,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: engine.port,
        toPort: engine.port,
        description: "database clients in the cluster",
      },
      { parent: this },
    );
    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      { family: engine.family(args.engineVersion), parameters: [{ name: engine.tls.name, value: engine.tls.value, applyMethod: "pending-reboot" }], tags },
      { parent: this },
    );
    const password = new random.RandomPassword(`${name}-master`, { length: 32, special: true, overrideSpecial: "-_.~!#%^*" }, { parent: this });
    this.password = pulumi.secret(password.result);

    this.instance = new aws.rds.Instance(
      `${name}-db`,
      {
        engine: args.engine,
        engineVersion: args.engineVersion,
        dbName: args.databaseName,
        instanceClass,
        allocatedStorage,
        maxAllocatedStorage,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        username: this.username,
        password: this.password,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [sg.id],
        parameterGroupName: params.name,
        publiclyAccessible: false,
        multiAz,
        backupRetentionPeriod: backupRetentionDays,
        copyTagsToSnapshot: true,
        deletionProtection: production,
        skipFinalSnapshot: !production,
        finalSnapshotIdentifier: production ? `${name}-final` : undefined,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        applyImmediately: !production,
        tags,
      },
      keepData(production, { parent: this }),
    );
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.credentials = pulumi.secret(
      pulumi.all([this.address, this.port, this.password]).apply(([host, port, pwd]): Record<string, string> => ({
        host,
        port: String(port),
        username: this.username,
        password: pwd,
      })),
    );
    this.registerOutputs({ address: this.address, port: this.port });
  }
}
