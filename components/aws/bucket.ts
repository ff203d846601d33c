import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keepData, keyUseStatement, policyDocument } from "./common";
import { EncryptionKey } from "./key";
import { formerly } from "../types";

export interface EncryptedBucketArgs {
  accountId: pulumi.Input<string>;
  region: string;
  /** Keep the bucket and its key when the stack is destroyed. @default false */
  production?: boolean;
  /** Days noncurrent object versions are kept. @default 90 */
  noncurrentVersionDays?: number;
  tags?: Record<string, string>;
}

/**
 * An S3 bucket encrypted with its own customer-managed KMS key (rotation on):
 * default SSE-KMS with a bucket key, all public access blocked, object
 * ownership enforced, versioning, TLS-only bucket policy, and a lifecycle for
 * noncurrent versions. `accessPolicy(prefix)` yields the least-privilege IAM
 * policy for a workload that writes under one prefix.
 */
export class EncryptedBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;
  /** ARN of the bucket's own KMS key. */
  public readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: EncryptedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:EncryptedBucket", name, {}, formerly("trust-services:aws:EncryptedBucket", opts));
    const production = args.production ?? false;
    const noncurrentVersionDays = args.noncurrentVersionDays ?? 90;
    const tags = args.tags ?? {};

    const key = new EncryptionKey(`${name}-key`, { description: `S3 bucket ${name}`, production, accountId: args.accountId, region: args.region, tags }, { parent: this });
    this.keyArn = key.arn;
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: false, tags }, keepData(production, { parent: this }));
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;

    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket: this.bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
      },
      { parent: this },
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent: this });
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: this.bucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: [
          {
            id: "noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: this.bucket.id,
        policy: policyDocument([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]),
      },
      { parent: this },
    );
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, keyArn: this.keyArn });
  }

  /**
   * A least-privilege IAM policy for a workload that reads and writes objects
   * under `prefix/` only, encrypted with this bucket's key.
   */
  accessPolicy(prefix: string): pulumi.Output<string> {
    const clean = prefix.replace(/^\/+|\/+$/g, "");
    return policyDocument([
      {
        Sid: "ListPrefix",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: this.bucket.arn,
        Condition: { StringLike: { "s3:prefix": [`${clean}/*`, clean] } },
      },
      {
        Sid: "ObjectsUnderPrefix",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: pulumi.interpolate`${this.bucket.arn}/${clean}/*`,
      },
      { Sid: "BucketKey", ...keyUseStatement(this.keyArn) },
    ]);
  }
}
