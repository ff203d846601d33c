/**
 * What several spec files check the same way: a run valid against the
 * Kubernetes schema and the whole policy suite; a scratch directory nginx's
 * and PostgreSQL's workers can use; a stack run once per process.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Run } from "./harness";
import { schemaErrors } from "./k8s-schema";
import { RULES } from "./policies";

/** Every Kubernetes object is valid against the API schema, and the run passes every policy rule. */
export async function valid(run: Run): Promise<void> {
  for (const { resource, object } of run.kubernetesObjects()) {
    assert.deepEqual(await schemaErrors(object), [], `${resource.type} ${resource.name} is valid against the Kubernetes schema`);
  }
  for (const rule of RULES) assert.deepEqual(rule.check(run), [], `rule ${rule.id}`);
}

/** A scratch directory anyone may write (nginx's workers run as nobody when the tests run as root). */
export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o777);
  return d;
}

/** `f` run once, its promise shared by every caller (a stack evaluated once per spec process). */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}
