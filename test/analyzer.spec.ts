/**
 * Components every Pulumi language can use: `pulumi package add` serves this
 * package through Pulumi's component provider (`@pulumi/pulumi/provider/experimental`),
 * which infers a schema with its `Analyzer`. This runs that same code over the
 * package, as the plugin host would (package.json, tsconfig, the package entry),
 * and fails naming every exported component it cannot serve.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { plain, ROOT, runWith } from "./harness";

// Deep imports: the SDK has no exports map, and this is where the plugin host loads them from.
const { Analyzer } = require("@pulumi/pulumi/provider/experimental/analyzer");
const { ComponentProvider, getPulumiComponents } = require("@pulumi/pulumi/provider/experimental/provider");

interface Schema {
  name: string;
  resources: Record<string, { isComponent?: boolean; inputProperties?: Record<string, unknown>; properties?: Record<string, unknown>; requiredInputs?: string[] }>;
  types?: Record<string, unknown>;
}

/** Every `$ref` in a schema fragment. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((e) => refs(e, out));
  else if (v && typeof v === "object") {
    for (const [k, e] of Object.entries(v)) {
      if (k === "$ref" && typeof e === "string") out.push(e);
      else refs(e, out);
    }
  }
  return out;
}

describe("components every Pulumi language can use (the component analyzer)", function () {
  this.timeout(180_000);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  // What the plugin host loads: the package's main (compiled).
  const components: Array<{ name: string }> = getPulumiComponents(require(path.join(ROOT, pkg.main)));
  let schema: Schema;
  // One provider, as the plugin host keeps one: its schema is inferred once.
  const provider = new ComponentProvider({ name: pkg.name, dirname: ROOT, components });

  before(async () => {
    try {
      schema = JSON.parse(await provider.getSchema());
    } catch {
      // One component at a time, to name each that fails (the analyzer stops at the first).
      const failures: string[] = [];
      for (const c of components) {
        try {
          new Analyzer(ROOT, pkg.name, pkg, new Set([c.name])).analyze();
        } catch (e) {
          failures.push(`${c.name}: ${String((e as Error).message).split("\n")[0]}`);
        }
      }
      assert.fail(`the analyzer cannot serve:\n  ${failures.join("\n  ")}`);
    }
  });

  it("PulumiPlugin.yaml declares the Node.js runtime, and the package entry is the library", () => {
    const plugin = YAML.parse(fs.readFileSync(path.join(ROOT, "PulumiPlugin.yaml"), "utf8"));
    assert.equal(plugin.runtime?.name ?? plugin.runtime, "nodejs");
    assert.ok(components.length >= 15, `components found: ${components.map((c) => c.name).join(", ")}`);
  });

  it("serves every exported component, under the token its instances register", () => {
    const names = components.map((c) => c.name).sort();
    const served = Object.keys(schema.resources).filter((t) => schema.resources[t].isComponent).map((t) => t.split(":")[2]).sort();
    assert.deepEqual(served, names);
    // The plugin host constructs by schema token; the URN the instance registers has the same type.
    const sources = fs.readFileSync(path.join(ROOT, "dist", "index.js"), "utf8") + components.map((c) => String(c)).join("\n");
    for (const name of names) assert.ok(sources.includes(`"trust-services:index:${name}"`), `${name} registers as trust-services:index:${name}`);
  });

  it("every reference in the schema resolves: named types of this package, or resources (never providers) of others", () => {
    const problems: string[] = [];
    for (const [token, r] of Object.entries(schema.resources)) {
      for (const ref of refs(r)) {
        const local = /^#\/types\/(.+)$/.exec(ref);
        if (local) {
          if (!schema.types?.[local[1]]) problems.push(`${token}: ${ref} is not defined`);
          continue;
        }
        if (ref.startsWith("pulumi.json#/")) continue;
        const external = /^\/[\w-]+\/v[\w.-]+\/schema\.json#\/(resources|types)\/(.+)$/.exec(ref);
        if (!external) problems.push(`${token}: ${ref} is not a reference the SDK generators resolve`);
        else if (external[1] === "resources" && !external[2].includes(":")) problems.push(`${token}: ${ref} is a provider, which a schema cannot reference as a resource`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("XRoadSecurityServer: its args and outputs as another language sees them", () => {
    const x = schema.resources["trust-services:index:XRoadSecurityServer"];
    assert.deepEqual(x.requiredInputs, ["topology"]);
    for (const k of ["database", "resources", "archive", "scheduling", "secondaries", "adminPassword"]) assert.ok(x.inputProperties?.[k], `input ${k}`);
    for (const k of ["namespace", "adminUrl", "loadBalancerHostname", "secretNames", "image"]) assert.ok(x.properties?.[k], `output ${k}`);
  });

  it("TrustedArtifactSigner: its args (named types, no unions) and outputs as another language sees them", () => {
    const x = schema.resources["trust-services:index:TrustedArtifactSigner"];
    assert.deepEqual([...(x.requiredInputs ?? [])].sort(), ["cache", "database", "oidcIssuers", "topology"]);
    for (const k of ["roles", "rekorSigner", "fulcioCa", "tsaSigner", "tuf", "endpoints", "attestationBucket", "attestationVolume", "scheduling"]) {
      assert.ok((x.inputProperties?.[k] as { $ref?: string })?.$ref?.startsWith("#/types/"), `input ${k} is a named type`);
    }
    for (const k of ["tufUrl", "tufRoot", "rekorUrl", "fulcioUrl", "tsaUrl", "trustedRoot", "tufExpires", "rekorTreeConfigMap"]) assert.ok(x.properties?.[k], `output ${k}`);
  });

  describe("the Pulumi YAML example (examples/yaml-xroad) against the served schema", () => {
    const program = YAML.parse(fs.readFileSync(path.join(ROOT, "examples", "yaml-xroad", "Pulumi.yaml"), "utf8"));
    const ours = Object.entries(program.resources as Record<string, { type: string; properties: Record<string, unknown> }>).filter(([, r]) => r.type.startsWith("trust-services:"));

    it("names the package, and only components and inputs the schema has, with every required input", () => {
      assert.equal(program.packages["trust-services"], "../..");
      assert.ok(ours.length > 0);
      for (const [name, r] of ours) {
        const token = r.type.split(":").length === 2 ? r.type.replace(":", ":index:") : r.type;
        const def = schema.resources[token];
        assert.ok(def?.isComponent, `${name}: ${r.type} is a served component`);
        for (const key of Object.keys(r.properties)) assert.ok(def.inputProperties?.[key], `${name}: ${key} is an input of ${token}`);
        for (const key of def.requiredInputs ?? []) assert.ok(key in r.properties, `${name}: required input ${key}`);
        // Nested objects: their keys are properties of the named type.
        for (const [key, value] of Object.entries(r.properties)) {
          const ref = (def.inputProperties?.[key] as { $ref?: string })?.$ref;
          const typeName = ref?.replace("#/types/", "");
          if (typeName && value && typeof value === "object" && !Array.isArray(value)) {
            const props = (schema.types?.[typeName] as { properties: Record<string, unknown> }).properties;
            for (const k of Object.keys(value)) assert.ok(props[k], `${name}: ${key}.${k} is a property of ${typeName}`);
          }
        }
      }
      for (const out of Object.values(program.outputs as Record<string, string>)) {
        const m = /^\$\{(\w+)\.(\w+)/.exec(out)!;
        const r = (program.resources as Record<string, { type: string }>)[m[1]];
        if (r.type.startsWith("trust-services:")) assert.ok(schema.resources[r.type].properties?.[m[2]], `output ${m[2]} of ${r.type}`);
      }
    });

    it("the plugin host constructs the component from those inputs", async () => {
      const [name, r] = ours[0];
      const inputs = JSON.parse(JSON.stringify(r.properties).replace(/\$\{databasePassword\}/g, "MOCKSECRET-yaml-db-password"));
      let state: Record<string, unknown> = {};
      const run = await runWith(async () => {
        // The example's `options.providers` as the engine hands them to Construct.
        const k8s = require("@pulumi/kubernetes");
        const cluster = new k8s.Provider("cluster", { kubeconfig: "{}" });
        assert.deepEqual(Object.keys(program.resources.xroad.options.providers), ["kubernetes"]);
        const result = await provider.construct(name, r.type, inputs, { providers: { kubernetes: cluster } });
        state = result.state;
        return { adminUrl: result.state.adminUrl };
      });
      assert.equal(run.outputs.adminUrl, "https://xroad-admin.xroad.svc.cluster.local:4000");
      assert.ok("secretNames" in state && "loadBalancerHostname" in state);
      const d = plain<Record<string, any>>(run.get("kubernetes:apps/v1:Deployment", "xroad-server").inputs);
      const env = Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
      assert.equal(env.XROAD_DB_HOST, "pg.internal.example.org");
      assert.equal(d.spec.template.spec.containers[0].image, "niis/xroad-security-server-sidecar:7.8.2-slim");
      assert.ok(run.resources.some((x) => x.type === "trust-services:index:XRoadSecurityServer"));
      const cluster = run.get("pulumi:providers:kubernetes", "cluster");
      for (const { resource } of run.kubernetesObjects()) assert.ok(resource.provider?.startsWith(cluster.urn), `${resource.name} is created through the given provider`);
    });
  });
});
