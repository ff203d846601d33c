/**
 * The checks components make of their Args before they register anything, and
 * the one shape of their errors: `<Component> <name>: <key> <value> — <allowed>`.
 */

/** Throws the component error that names the arg, the value given and what is allowed. */
export function argError(where: string, key: string, value: unknown, allowed: string): never {
  throw new Error(`${where}: ${key} ${JSON.stringify(value)} — ${allowed}`);
}

/**
 * A database or role name usable unquoted in PostgreSQL and MySQL alike
 * (MySQL user names stop at 32 characters).
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,31}$/;
export const SQL_IDENTIFIER_RULE = "a lowercase SQL identifier (a-z, 0-9, _) of at most 32 characters";

/**
 * An image reference pinned to a version: `[registry[:port]/]repository:tag`
 * (any tag but `latest`), or a digest (`…@sha256:<64 hex>`, with or without a tag).
 */
/** The tag of an image reference (`registry:5000/a/b:1.2@sha256:…` → `1.2`), if it has one. */
export function imageTag(ref: string): string | undefined {
  const last = ref.split("@")[0].split("/").pop() ?? "";
  return /:([\w][\w.-]{0,127})$/.exec(last)?.[1];
}

export function isPinnedImage(ref: string): boolean {
  if (/\s/.test(ref)) return false;
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const last = ref.split("/").pop() ?? "";
  const tag = /:([\w][\w.-]{0,127})$/.exec(last)?.[1];
  return tag !== undefined && tag !== "latest";
}
