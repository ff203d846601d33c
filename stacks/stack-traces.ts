import * as fs from "fs";
import * as path from "path";

/**
 * Pulumi's Node language host registers `source-map-support` before it loads a
 * program (`@pulumi/pulumi/cmd/run`), and the SDK captures a stack trace for
 * every resource and for nearly every promise it creates. Under the hook each
 * capture maps every frame through source maps: the SDK's own, since this
 * program is compiled without any. That made evaluating the prod stack about
 * 50 % slower and bought nothing but TypeScript positions for frames inside the
 * SDK. When the program runs from dist/ and dist/ holds no source maps, V8's own
 * formatting comes back (frames then name the .js files, as they would anyway).
 * TRUST_SERVICES_SOURCE_MAPS=1 keeps the hook, e.g. after building with source maps.
 *
 * Returns whether it changed anything.
 */
export function useNativeStackTraces(entryDir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.TRUST_SERVICES_SOURCE_MAPS === "1" || Error.prepareStackTrace === undefined) return false;
  if (path.basename(entryDir) !== "dist" || fs.existsSync(path.join(entryDir, "main.js.map"))) return false;
  (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  return true;
}
