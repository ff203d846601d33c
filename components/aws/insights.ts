import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { managedPolicy, podIdentityRole } from "./common";
import { formerly } from "../types";

export interface ContainerInsightsArgs {
  clusterName: pulumi.Input<string>;
  /** Customer-managed KMS key whose policy lets CloudWatch Logs use it. */
  kmsKeyArn: pulumi.Input<string>;
  /** Retention of the Container Insights log groups. @default 30 */
  logRetentionDays?: number;
  /** Pinned add-on version. @default EKS's default for the cluster version */
  addonVersion?: string;
  /** Resources the add-on must wait for (the node group: its agent runs on nodes). */
  dependsOn?: pulumi.Resource[];
  tags?: Record<string, string>;
}

export const INSIGHTS_LOG_GROUPS = ["application", "dataplane", "host", "performance"];

/**
 * CloudWatch Container Insights (seed 004 §6): the `amazon-cloudwatch-observability`
 * add-on with its agent's credentials through EKS Pod Identity, and the log groups
 * it writes to, created first with a retention and KMS encryption.
 */
export class ContainerInsights extends pulumi.ComponentResource {
  public readonly addon: aws.eks.Addon;
  public readonly logGroupNames: pulumi.Output<string>[];

  constructor(name: string, args: ContainerInsightsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:ContainerInsights", name, {}, formerly("trust-services:aws:ContainerInsights", opts));
    const logRetentionDays = args.logRetentionDays ?? 30;
    const tags = args.tags ?? {};

    const groups = INSIGHTS_LOG_GROUPS.map(
      (g) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${g}`,
          { name: pulumi.interpolate`/aws/containerinsights/${args.clusterName}/${g}`, retentionInDays: logRetentionDays, kmsKeyId: args.kmsKeyArn, tags },
          { parent: this },
        ),
    );
    this.logGroupNames = groups.map((g) => g.name);
    const role = podIdentityRole(`${name}-agent`, { policyArns: [managedPolicy("CloudWatchAgentServerPolicy")], tags }, this);
    this.addon = new aws.eks.Addon(
      `${name}-addon`,
      {
        clusterName: args.clusterName,
        addonName: "amazon-cloudwatch-observability",
        addonVersion: args.addonVersion,
        podIdentityAssociations: [{ serviceAccount: "cloudwatch-agent", roleArn: role.arn }],
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
      },
      { parent: this, dependsOn: [...groups, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ logGroupNames: this.logGroupNames });
  }
}
