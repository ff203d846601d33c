import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { keepData, keyUseStatement, PolicyStatement, policyDocument } from "./common";
import { EncryptionKey } from "./key";
import { formerly } from "../types";

export interface EncryptedBucketArgs {
  accountId: pulumi.Input<string>;
  region: string;
  /** Keep the bucket and its key when the stack is destroyed. @default false */
  production?: boolean;
  /** Days noncurrent object versions are kept. @default 90 */
  noncurrentVersionDays?: number;
  /** The log bucket (LogBucket) its server access logs go to, under `s3/<name>/`. @default none */
  accessLogBucket?: pulumi.Input<string>;
  /**
   * The one service that writes the whole bucket (its objects at the root, no prefix:
   * RSTUF's worker): tagged `trust-services/dedicated-to`, so that service's
   * policies may name `<bucket>/*`. @default none (access by prefix)
   */
  dedicatedTo?: string;
  tags?: Record<string, string>;
}

/** The tag of a bucket one service writes whole (EncryptedBucketArgs.dedicatedTo). */
export const DEDICATED_BUCKET_TAG = "trust-services/dedicated-to";

/**
 * An S3 bucket encrypted with its own customer-managed KMS key (rotation on):
 * default SSE-KMS with a bucket key, all public access blocked, object
 * ownership enforced, versioning, TLS-only bucket policy, and a lifecycle for
 * noncurrent versions, and its server access logs in the stack's log bucket.
 * `accessPolicy(prefix)` yields the least-privilege IAM
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
    const tags = { ...(args.tags ?? {}), ...(args.dedicatedTo ? { [DEDICATED_BUCKET_TAG]: args.dedicatedTo } : {}) };

    const key = new EncryptionKey(`${name}-key`, { description: `S3 bucket ${name}`, production, accountId: args.accountId, region: args.region, tags }, { parent: this });
    this.keyArn = key.arn;
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: false, tags }, keepData(production, { parent: this }));
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;

    privateBucket(name, this.bucket, { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, this);
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
        policy: policyDocument([denyInsecureTransport(this.bucket.arn)]),
      },
      { parent: this },
    );
    if (args.accessLogBucket !== undefined) serverAccessLogs(name, this.bucket, args.accessLogBucket, this);
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

/** Default encryption, all public access blocked, objects owned by the bucket owner (ACLs off). */
function privateBucket(name: string, bucket: aws.s3.Bucket, sse: { sseAlgorithm: string; kmsMasterKeyId?: pulumi.Input<string> }, parent: pulumi.Resource): void {
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-sse`,
    // A bucket key cuts KMS requests; it has no meaning for S3-managed keys.
    { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: sse, bucketKeyEnabled: sse.kmsMasterKeyId !== undefined ? true : undefined }] },
    { parent },
  );
  new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    { parent },
  );
  new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, { parent });
}

/** The bucket policy statement that refuses requests without TLS. */
function denyInsecureTransport(bucketArn: pulumi.Output<string>): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Where each kind of access log goes in the log bucket. */
export const LOG_PREFIXES = { s3: "s3", alb: "alb" };

/** The bucket's server access logs, to the log bucket under `s3/<name>/`, with date-partitioned keys. */
function serverAccessLogs(name: string, bucket: aws.s3.Bucket, target: pulumi.Input<string>, parent: pulumi.Resource): aws.s3.BucketLogging {
  return new aws.s3.BucketLogging(
    `${name}-access-logs`,
    {
      bucket: bucket.id,
      targetBucket: target,
      targetPrefix: `${LOG_PREFIXES.s3}/${name}/`,
      targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: "EventTime" } },
    },
    { parent },
  );
}

/** Tag of a bucket that cannot use a customer-managed key, with the reason and the AWS reference. */
export const SSE_S3_EXCEPTION_TAG = "trust-services/sse-s3-reason";

/**
 * Why the log bucket is SSE-S3: AWS delivers ALB access logs only to buckets
 * encrypted with S3-managed keys, and S3 server access logs only to targets
 * without SSE-KMS default encryption.
 */
export const LOG_BUCKET_SSE_REASON =
  "ALB access logs support only SSE-S3 (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html); " +
  "S3 server access log targets cannot use SSE-KMS default encryption (docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-server-access-logging.html)";

export interface LogBucketArgs {
  accountId: pulumi.Input<string>;
  region: string;
  /** Keep the bucket (and its logs) when the stack is destroyed. @default false */
  production?: boolean;
  /** Days logs are kept. @default 90, or 365 when production */
  retentionDays?: number;
  tags?: Record<string, string>;
}

/**
 * The stack's log bucket: S3 server access logs of every bucket the stack
 * creates (`s3/<bucket>/`) and the ALBs' access logs (`alb/<group>/`).
 * Encrypted with S3-managed keys, the only encryption AWS log delivery
 * writes to (a documented exception to the customer-managed-key rule); all
 * public access blocked, objects owned by the bucket owner, TLS only, log
 * delivery allowed for this account's sources only, expired after the
 * retention, kept on destroy in production. It does not log its own access
 * (logs about logs).
 */
export class LogBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly bucketArn: pulumi.Output<string>;

  constructor(name: string, args: LogBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:LogBucket", name, {}, opts);
    const production = args.production ?? false;
    const retentionDays = args.retentionDays ?? (production ? 365 : 90);
    const child = { parent: this };
    // Outside production a destroy empties it: logs are not the data the stack keeps.
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: !production, tags: { ...(args.tags ?? {}), [SSE_S3_EXCEPTION_TAG]: "AWS log delivery (ALB, S3 server access logs)" } }, keepData(production, child));
    this.bucketArn = this.bucket.arn;
    privateBucket(name, this.bucket, { sseAlgorithm: "AES256" }, this);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: this.bucket.id,
        rules: [{ id: "expire-logs", status: "Enabled", filter: {}, expiration: { days: retentionDays }, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } }],
      },
      child,
    );
    const policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: this.bucket.id,
        policy: policyDocument([
          denyInsecureTransport(this.bucket.arn),
          {
            // S3 server access logs from this account's buckets (docs: enable-server-access-logging.html).
            Sid: "S3ServerAccessLogs",
            Effect: "Allow",
            Principal: { Service: "logging.s3.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${this.bucket.arn}/${LOG_PREFIXES.s3}/*`,
            Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
          },
          {
            // ALB access logs of this account's load balancers (docs: enable-access-logging.html, the log-delivery service principal).
            Sid: "AlbAccessLogs",
            Effect: "Allow",
            Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
            Action: "s3:PutObject",
            Resource: pulumi.interpolate`${this.bucket.arn}/${LOG_PREFIXES.alb}/*/AWSLogs/${args.accountId}/*`,
          },
        ]),
      },
      child,
    );
    // Log delivery checks its permission when logging is turned on: whoever names this bucket waits for the policy.
    this.bucketName = pulumi.all([this.bucket.bucket, policy.id]).apply(([bucket]) => bucket);
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
