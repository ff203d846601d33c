/**
 * The service kit's one-shot work (schema migrations, bootstraps, grants): a
 * Kubernetes Job whose pod follows the same house rules as a Workload's
 * (restricted security context, resources, no token, its own NetworkPolicies).
 * Pulumi waits for the Job to complete, so whatever reads `done` waits too.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PodArgs, renderPod, WorkloadOptions } from "./workload";

export interface TaskArgs extends PodArgs {
  /** Retries before the Job fails. @default 6 */
  backoffLimit?: number;
  /** Seconds the Job may run in all. @default 900 */
  activeDeadlineSeconds?: number;
}

/**
 * A Job with a generated name: a change to its pod replaces it (a Job's pod is
 * immutable), and the new one runs again, so what it does must be idempotent.
 */
export class Task extends pulumi.ComponentResource {
  /** Resolves once the Job has completed (Pulumi awaits it); carries the Job's object name. */
  public readonly done: pulumi.Output<string>;
  /** Labels that select the Task's pod. */
  public readonly selector: Record<string, string>;

  constructor(name: string, args: TaskArgs, opts?: WorkloadOptions) {
    const { adoptFrom, ...componentOpts } = opts ?? {};
    super("trust-services:index:Task", name, {}, componentOpts);
    const pod = renderPod(this, name, `Task ${name}`, args, { adoptFrom, longRunning: false, restartPolicy: "OnFailure" });
    this.selector = pod.selector;
    const job = new k8s.batch.v1.Job(
      name,
      {
        metadata: { namespace: args.namespace, labels: pod.labels },
        spec: {
          backoffLimit: args.backoffLimit ?? 6,
          activeDeadlineSeconds: args.activeDeadlineSeconds ?? 900,
          template: pod.template,
        },
      },
      // Pulumi waits for the Job: as long as its deadline allows, plus its retries' backoff.
      pod.childOpts({ dependsOn: componentOpts.dependsOn, customTimeouts: { create: `${Math.ceil((args.activeDeadlineSeconds ?? 900) / 60) + 10}m`, update: `${Math.ceil((args.activeDeadlineSeconds ?? 900) / 60) + 10}m` } }),
    );
    this.done = job.metadata.name;
    this.registerOutputs({ done: this.done });
  }
}
