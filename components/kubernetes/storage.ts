import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKUP_LABEL_KEY, BACKUP_TAG_VALUE } from "../aws/common";

export interface ClaimArgs {
  namespace: pulumi.Input<string>;
  /** Object name of the claim. */
  claimName: string;
  size: string;
  /** "ReadWriteOnce" or "ReadWriteMany". */
  accessMode: string;
  storageClassName?: pulumi.Input<string>;
  labels: Record<string, string>;
  /** Keep the claim (and so its volume) when the stack is destroyed. */
  production: boolean;
  /** Resource options (parent, aliases). */
  opts: pulumi.CustomResourceOptions;
}

/**
 * A PersistentVolumeClaim that holds data: labelled for AWS Backup, kept on
 * destroy in production, and not awaited (a `WaitForFirstConsumer` class binds
 * it only when its pod is scheduled).
 */
export function dataClaim(name: string, args: ClaimArgs): k8s.core.v1.PersistentVolumeClaim {
  return new k8s.core.v1.PersistentVolumeClaim(
    name,
    {
      metadata: {
        name: args.claimName,
        namespace: args.namespace,
        labels: { ...args.labels, [BACKUP_LABEL_KEY]: BACKUP_TAG_VALUE },
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: {
        accessModes: [args.accessMode],
        storageClassName: args.storageClassName,
        resources: { requests: { storage: args.size } },
      },
    },
    { ...args.opts, retainOnDelete: args.production, protect: false },
  );
}
