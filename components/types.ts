/**
 * Type tokens. A component is registered as `trust-services:index:<Class>`, the
 * token Pulumi's component analyzer gives it in the schema other languages use.
 * Before the package was served to other languages the tokens named an area
 * (`trust-services:aws:Network`): `formerly` aliases the old token, so an update
 * of an earlier stack moves the component and its children without replacing them.
 */
import * as pulumi from "@pulumi/pulumi";

export function formerly(oldType: string, opts?: pulumi.ComponentResourceOptions): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: oldType }] };
}
