import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keepData, PolicyStatement, policyDocument } from "./common";
import { formerly } from "../types";

export interface EncryptionKeyArgs {
  description: string;
  accountId: pulumi.Input<string>;
  region: string;
  /** Kept on destroy, 30-day deletion window. @default false */
  production?: boolean;
  /** Let CloudWatch Logs in this account and region encrypt log groups with the key. @default false */
  allowCloudWatchLogs?: boolean;
  /**
   * Let EC2 Auto Scaling (its service-linked role) use the key, so node groups can
   * launch instances whose volumes are encrypted with it; without this statement
   * instance launches fail.
   * @default false
   */
  allowAutoScaling?: boolean;
  tags?: Record<string, string>;
}

/**
 * A customer-managed KMS key with rotation on and an alias. The key policy keeps
 * the account in control (AWS's default statement; `Resource: "*"` in a key
 * policy means this key) and, when asked, lets CloudWatch Logs use it for this
 * account's log groups only.
 */
export class EncryptionKey extends pulumi.ComponentResource {
  public readonly key: aws.kms.Key;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: EncryptionKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:EncryptionKey", name, {}, formerly("trust-services:aws:EncryptionKey", opts));
    const production = args.production ?? false;
    const statements: PolicyStatement[] = [
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:aws:iam::${args.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ];
    if (args.allowCloudWatchLogs) {
      statements.push({
        Sid: "CloudWatchLogsUse",
        Effect: "Allow",
        Principal: { Service: `logs.${args.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: { "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:aws:logs:${args.region}:${args.accountId}:log-group:*` },
        },
      });
    }
    if (args.allowAutoScaling) {
      const asg = pulumi.interpolate`arn:aws:iam::${args.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
      statements.push(
        {
          Sid: "AutoScalingUse",
          Effect: "Allow",
          Principal: { AWS: asg },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
        },
        {
          Sid: "AutoScalingGrants",
          Effect: "Allow",
          Principal: { AWS: asg },
          Action: "kms:CreateGrant",
          Resource: "*",
          Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        },
      );
    }
    this.key = new aws.kms.Key(
      name,
      {
        description: args.description,
        enableKeyRotation: true,
        deletionWindowInDays: production ? 30 : 7,
        policy: policyDocument(statements),
        tags: args.tags,
      },
      keepData(production, { parent: this }),
    );
    this.arn = this.key.arn;
    new aws.kms.Alias(name, { name: pulumi.interpolate`alias/trust-services/${name}-${this.key.keyId.apply((k) => k.slice(0, 8))}`, targetKeyId: this.key.keyId }, { parent: this });
    this.registerOutputs({ arn: this.arn });
  }
}
