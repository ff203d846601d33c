/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schema with the
 * `kubernetes-models` package (ESM-only, so it is loaded with a native import).
 */
const nativeImport = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Record<string, any>>;
const modules = new Map<string, Promise<Record<string, any>>>();

/** Returns the schema errors of one object (empty when valid). */
export async function schemaErrors(object: Record<string, any>): Promise<string[]> {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") return [`no apiVersion/kind: ${JSON.stringify(object).slice(0, 120)}`];
  const spec = `kubernetes-models/${apiVersion}`;
  if (!modules.has(spec)) modules.set(spec, nativeImport(spec));
  let mod: Record<string, any>;
  try {
    mod = await modules.get(spec)!;
  } catch {
    return [`unknown apiVersion ${apiVersion}`];
  }
  const Model = mod[kind];
  if (!Model) return [`unknown kind ${kind} in ${apiVersion}`];
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    return [String((e as Error).message)];
  }
}
