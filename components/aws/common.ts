/**
 * Small shared pieces of the AWS components: IAM policy documents, KMS keys,
 * Pod Identity roles and the options that keep data through a destroy.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The tag AWS Backup selects on (EBS volumes through the StorageClass, EFS directly). */
export const BACKUP_TAG_KEY = "trust-services/backup";
export const BACKUP_TAG_VALUE = "daily";
/** The same mark as a Kubernetes label on the claims (label keys take a DNS-style prefix). */
export const BACKUP_LABEL_KEY = "trust-services.io/backup";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  Resource?: pulumi.Input<string> | pulumi.Input<string>[];
  Condition?: Record<string, Record<string, pulumi.Input<string | string[]>>>;
}

/** A policy document as a JSON string Output (no invoke, no round trip to AWS). */
export function policyDocument(statements: PolicyStatement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy that lets an AWS service principal assume a role. */
export function trustPolicy(service: string, actions: string[] = ["sts:AssumeRole"]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }] });
}

/** Trust policy for EKS Pod Identity. */
export const POD_IDENTITY_TRUST = trustPolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);

export function managedPolicy(name: string): string {
  return `arn:aws:iam::aws:policy/${name}`;
}

/**
 * Resource options for something that holds data: in production it stays in the
 * cloud when the stack is destroyed or the resource is replaced by mistake.
 */
export function keepData(production: boolean, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
  return production ? { ...opts, retainOnDelete: true } : opts;
}

export interface ServiceRoleArgs {
  /** Managed policies to attach (full ARNs). */
  policyArns?: string[];
  /** An inline least-privilege policy (JSON). */
  inlinePolicy?: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/**
 * An IAM role that an AWS service assumes (`trust`: a trust policy JSON), with
 * managed policies attached and an optional inline policy. Returns the role and
 * the attachments (for a resource that must wait until the role may act).
 */
export function serviceRole(
  name: string,
  trust: string,
  args: ServiceRoleArgs,
  parent: pulumi.Resource,
): { role: aws.iam.Role; grants: pulumi.Resource[] } {
  const role = new aws.iam.Role(name, { assumeRolePolicy: trust, tags: args.tags }, { parent });
  const grants: pulumi.Resource[] = (args.policyArns ?? []).map(
    (arn, i) => new aws.iam.RolePolicyAttachment(`${name}-${i}`, { role: role.name, policyArn: arn }, { parent }),
  );
  if (args.inlinePolicy !== undefined) {
    grants.push(new aws.iam.RolePolicy(`${name}-inline`, { role: role.id, policy: args.inlinePolicy }, { parent }));
  }
  return { role, grants };
}

/** An IAM role that EKS Pod Identity can hand to a service account. */
export function podIdentityRole(name: string, args: ServiceRoleArgs, parent: pulumi.Resource): aws.iam.Role {
  return serviceRole(name, POD_IDENTITY_TRUST, args, parent).role;
}

/** The statement that lets a role use a KMS key for data (S3 objects, EBS volumes). */
export function keyUseStatement(keyArn: pulumi.Input<string>): PolicyStatement {
  return {
    Effect: "Allow",
    Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    Resource: keyArn,
  };
}

/** Tag of an IAM user: why the workload takes static access keys instead of a role (with the upstream reference). */
export const STATIC_CREDENTIALS_TAG = "trust-services/static-credentials-reason";
