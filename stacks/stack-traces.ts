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

/**
 * Keeps stack traces to a few frames once the settings are read. The SDK
 * captures one for every promise it makes (runtime/debuggable.js, printed only
 * if a promise leaks), about four per output property of every resource: some
 * 20,000 for the prod stack, each formatting its frames. The SDK's own source
 * positions are unaffected (it lifts the limit while it takes them); errors the
 * program raises name the component and the key in their message.
 * TRUST_SERVICES_STACK_FRAMES sets another depth (e.g. 50 when debugging).
 *
 * Returns the depth set.
 */
export function useShortStackTraces(env: NodeJS.ProcessEnv = process.env): number {
  const asked = Number(env.TRUST_SERVICES_STACK_FRAMES ?? 1);
  Error.stackTraceLimit = Number.isInteger(asked) && asked >= 0 ? asked : 1;
  return Error.stackTraceLimit;
}
