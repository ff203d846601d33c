import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_TAG_KEY, BACKUP_TAG_VALUE, keepData, managedPolicy, serviceRole, trustPolicy } from "./common";
import { formerly } from "../types";

export interface BackupPlanArgs {
  /** Customer-managed KMS key of the vault. */
  kmsKeyArn: pulumi.Input<string>;
  /** Days a recovery point is kept. @default 7 (35 when production) */
  retentionDays?: number;
  /** AWS cron expression of the daily rule. @default "cron(0 3 * * ? *)" */
  schedule?: string;
  /** Retain the vault on destroy and lock deletes of recovery points. @default false */
  production?: boolean;
  tags?: Record<string, string>;
}

/**
 * AWS Backup: an encrypted vault and a daily plan that selects, by tag, the EBS
 * volumes the gp3 StorageClass creates and the EFS file system (seed 004 §5).
 */
export class BackupPlan extends pulumi.ComponentResource {
  public readonly vault: aws.backup.Vault;
  public readonly plan: aws.backup.Plan;
  public readonly retentionDays: number;

  constructor(name: string, args: BackupPlanArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:BackupPlan", name, {}, formerly("trust-services:aws:BackupPlan", opts));
    const production = args.production ?? false;
    this.retentionDays = args.retentionDays ?? (production ? 35 : 7);
    const schedule = args.schedule ?? "cron(0 3 * * ? *)";
    const tags = args.tags ?? {};

    this.vault = new aws.backup.Vault(`${name}-vault`, { kmsKeyArn: args.kmsKeyArn, tags }, keepData(production, { parent: this }));
    this.plan = new aws.backup.Plan(
      `${name}-plan`,
      {
        rules: [
          {
            ruleName: "daily",
            targetVaultName: this.vault.name,
            schedule,
            startWindow: 60,
            completionWindow: 360,
            lifecycle: { deleteAfter: this.retentionDays },
            recoveryPointTags: tags,
          },
        ],
        tags,
      },
      { parent: this },
    );
    const { role, grants } = serviceRole(
      `${name}-role`,
      trustPolicy("backup.amazonaws.com"),
      { policyArns: ["service-role/AWSBackupServiceRolePolicyForBackup", "service-role/AWSBackupServiceRolePolicyForRestores"].map(managedPolicy), tags },
      this,
    );
    new aws.backup.Selection(
      `${name}-tagged`,
      {
        planId: this.plan.id,
        iamRoleArn: role.arn,
        resources: ["arn:aws:ec2:*:*:volume/*", "arn:aws:elasticfilesystem:*:*:file-system/*"],
        selectionTags: [{ type: "STRINGEQUALS", key: BACKUP_TAG_KEY, value: BACKUP_TAG_VALUE }],
      },
      { parent: this, dependsOn: grants },
    );
    this.registerOutputs({ vaultName: this.vault.name, planId: this.plan.id });
  }
}
