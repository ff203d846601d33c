/**
 * The one mocked Pulumi runtime, shared by the test suite and the offline plan.
 *
 * - `setMocks` with mocks that return realistic outputs (ARNs, endpoints, ids,
 *   generated secrets) for what the program reads; an unknown invoke token throws.
 * - Every registered resource is recorded with its type, name, URN, parent,
 *   inputs (secret inputs kept as secret markers, so a test can tell which
 *   values were secret), provider, dependencies and resource options.
 * - `runStack` runs the whole program for a stack file or a settings object.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import type { Settings } from "../stacks/settings";

export const PROJECT = "trust-services";
/** The project root (where Pulumi.yaml is), from the sources or from the compiled dist/. */
export const ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, "..");
  }
})();
/** Every secret the mocks generate, and every secret config value the harness sets, contains this. */
export const SECRET_MARK = "MOCKSECRET";
export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Recorded {
  urn: string;
  /** The id the mock assigned (custom resources). */
  id?: string;
  type: string;
  name: string;
  custom: boolean;
  /** URN of the parent resource, if any. */
  parent?: string;
  /** Inputs as the engine received them; secret values are `{[sig]: secret, value}` wrappers. */
  inputs: Record<string, unknown>;
  provider?: string;
  /** URNs this resource waits for (explicit dependsOn and every Output it reads). */
  dependencies: string[];
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  deleteBeforeReplace: boolean;
  /** Input paths whose change replaces the resource. */
  replaceOnChanges: string[];
  /** The create, update and delete timeouts given (empty: the provider's). */
  customTimeouts?: { create: string; update: string; delete: string };
  /** Aliases as the engine receives them: a URN, or a spec whose empty fields mean "as the resource". */
  aliases: RecordedAlias[];
  /** Where the program declared the resource, as the SDK reports it to the engine (`file:line`). */
  sourcePosition?: string;
  /** The state the mock returned (inputs plus computed outputs). */
  state: Record<string, unknown>;
}

export interface RecordedAlias {
  urn?: string;
  name?: string;
  type?: string;
  stack?: string;
  project?: string;
  /** The parent's URN as the mock monitor made it. */
  parentUrn?: string;
  noParent?: boolean;
}

function aliasesOf(req: any): RecordedAlias[] {
  return (req.getAliasesList?.() ?? []).map((a: any): RecordedAlias => {
    if (a.getUrn()) return { urn: a.getUrn() };
    const sp = a.getSpec();
    const spec: RecordedAlias = {
      name: sp.getName() || undefined,
      type: sp.getType() || undefined,
      stack: sp.getStack() || undefined,
      project: sp.getProject() || undefined,
      parentUrn: sp.getParenturn() || undefined,
      noParent: sp.getNoparent() || undefined,
    };
    return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as RecordedAlias;
  });
}

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Deep copy with secret wrappers unwrapped: what the provider would receive. */
export function plain<T = unknown>(v: unknown): T {
  if (isSecretValue(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map((e) => plain(e)) as T;
  if (v && typeof v === "object" && !(v instanceof pulumi.asset.Asset)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = plain(e);
    return out as T;
  }
  return v as T;
}

/** Deep copy with every secret value replaced by "[secret]". */
export function redact(v: unknown): unknown {
  if (isSecretValue(v)) return "[secret]";
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = redact(e);
    return out;
  }
  return typeof v === "string" && v.includes(SECRET_MARK) ? "[secret]" : v;
}

function hex(seed: string, n = 17): string {
  return crypto.createHash("sha256").update(seed).digest("hex").slice(0, n);
}

const FAKE_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIBmock\n-----END CERTIFICATE-----\n").toString("base64");

/** Realistic outputs for the resources the program reads from. */
function mockState(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, unknown> } {
  const state: Record<string, any> = { ...inputs };
  let id = `${name}-id`;
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  switch (type) {
    case "aws:ec2/vpc:Vpc":
      id = `vpc-${hex(name)}`;
      state.arn = arn("ec2", `vpc/${id}`);
      break;
    case "aws:ec2/subnet:Subnet":
      id = `subnet-${hex(name)}`;
      state.arn = arn("ec2", `subnet/${id}`);
      break;
    case "aws:ec2/securityGroup:SecurityGroup":
      id = `sg-${hex(name)}`;
      state.arn = arn("ec2", `security-group/${id}`);
      break;
    case "aws:ec2/natGateway:NatGateway":
      id = `nat-${hex(name)}`;
      break;
    case "aws:ec2/eip:Eip":
      id = `eipalloc-${hex(name)}`;
      state.publicIp = "198.51.100.10";
      break;
    case "aws:kms/key:Key":
      id = `${hex(name, 8)}-${hex(name + "a", 4)}-${hex(name + "b", 4)}-${hex(name + "c", 4)}-${hex(name + "d", 12)}`;
      state.keyId = id;
      state.arn = arn("kms", `key/${id}`);
      break;
    case "aws:iam/role:Role":
      id = inputs.name ?? `${name}-${hex(name, 7)}`;
      state.name = id;
      state.arn = `arn:aws:iam::${ACCOUNT}:role/${id}`;
      break;
    case "aws:iam/policy:Policy":
      state.arn = `arn:aws:iam::${ACCOUNT}:policy/${name}-${hex(name, 7)}`;
      break;
    case "aws:eks/cluster:Cluster": {
      const clusterName = inputs.name ?? `${name}-${hex(name, 7)}`;
      id = clusterName;
      state.name = clusterName;
      state.arn = arn("eks", `cluster/${clusterName}`);
      state.endpoint = `https://${hex(name, 32).toUpperCase()}.gr7.${REGION}.eks.amazonaws.com`;
      state.certificateAuthority = { data: FAKE_CA };
      state.vpcConfig = { ...(inputs.vpcConfig ?? {}), clusterSecurityGroupId: `sg-${hex(name + "cluster")}` };
      state.identities = [{ oidcs: [{ issuer: `https://oidc.eks.${REGION}.amazonaws.com/id/${hex(name, 32)}` }] }];
      state.version = inputs.version ?? "1.33";
      break;
    }
    case "aws:eks/nodeGroup:NodeGroup":
      state.arn = arn("eks", `nodegroup/${name}`);
      break;
    case "aws:rds/instance:Instance": {
      const ident = inputs.identifier ?? `${name}-${hex(name, 7)}`;
      id = ident;
      state.identifier = ident;
      state.address = `${ident}.c${hex(name, 11)}.${REGION}.rds.amazonaws.com`;
      state.port = inputs.port ?? (String(inputs.engine).startsWith("mysql") ? 3306 : 5432);
      state.endpoint = `${state.address}:${state.port}`;
      state.arn = arn("rds", `db:${ident}`);
      break;
    }
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      state.primaryEndpointAddress = `master.${name}.${hex(name, 6)}.euw1.cache.amazonaws.com`;
      state.readerEndpointAddress = `replica.${name}.${hex(name, 6)}.euw1.cache.amazonaws.com`;
      state.port = inputs.port ?? 6379;
      state.arn = arn("elasticache", `replicationgroup:${name}`);
      break;
    case "aws:efs/fileSystem:FileSystem":
      id = `fs-${hex(name)}`;
      state.arn = arn("elasticfilesystem", `file-system/${id}`);
      state.dnsName = `${id}.efs.${REGION}.amazonaws.com`;
      break;
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${name}-${hex(name, 7)}`;
      id = bucket;
      state.bucket = bucket;
      state.arn = `arn:aws:s3:::${bucket}`;
      state.bucketRegionalDomainName = `${bucket}.s3.${REGION}.amazonaws.com`;
      break;
    }
    case "aws:backup/vault:Vault":
      id = inputs.name ?? name;
      state.arn = arn("backup", `backup-vault:${id}`);
      break;
    case "aws:backup/plan:Plan":
      id = hex(name, 36);
      state.arn = arn("backup", `backup-plan:${id}`);
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      id = inputs.name ?? name;
      state.arn = arn("logs", `log-group:${id}`);
      break;
    case "random:index/randomBytes:RandomBytes": {
      // Real bytes derived from the name (a Fernet key is checked for its length and alphabet).
      const bytes = crypto.createHash("sha256").update(`bytes:${name}`).digest().subarray(0, inputs.length ?? 32);
      state.base64 = bytes.toString("base64");
      state.hex = bytes.toString("hex");
      break;
    }
    case "random:index/randomPassword:RandomPassword":
      state.result = `${SECRET_MARK}-${name}-${hex(name, 12)}`;
      break;
    case "tls:index/privateKey:PrivateKey": {
      const real = mockPrivateKey(name, inputs.algorithm, inputs.ecdsaCurve);
      state.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRET_MARK}${hex(name, 40)}\n-----END OPENSSH PRIVATE KEY-----\n`;
      state.publicKeyOpenssh = `ssh-rsa AAAAB3Nza${hex(name, 40)} generated\n`;
      if (real) {
        // Ed25519 and ECDSA keys are real (derived from the name): the program computes key ids,
        // signs TUF metadata and issues certificates with them.
        Object.assign(state, real);
      } else {
        state.privateKeyPem = `-----BEGIN RSA PRIVATE KEY-----\n${SECRET_MARK}${hex(name, 40)}\n-----END RSA PRIVATE KEY-----\n`;
        state.publicKeyPem = `-----BEGIN PUBLIC KEY-----\nMIIB${hex(name, 40)}\n-----END PUBLIC KEY-----\n`;
        state.privateKeyPemPkcs8 = `-----BEGIN PRIVATE KEY-----\n${SECRET_MARK}${hex(name, 40)}\n-----END PRIVATE KEY-----\n`;
      }
      break;
    }
    case "time:index/static:Static":
      state.rfc3339 = MOCK_NOW;
      state.unix = Date.parse(MOCK_NOW) / 1000;
      break;
    case "time:index/rotating:Rotating": {
      state.rfc3339 = MOCK_NOW;
      state.unix = Date.parse(MOCK_NOW) / 1000;
      state.rotationRfc3339 = new Date(Date.parse(MOCK_NOW) + (inputs.rotationDays ?? 0) * 86400_000).toISOString().replace(/\.000Z$/, "Z");
      break;
    }
    case "aws:iam/accessKey:AccessKey":
      id = `AKIA${hex(name, 16).toUpperCase()}`;
      state.secret = `${SECRET_MARK}${hex(name, 40)}`;
      break;
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      state.certPem = `-----BEGIN CERTIFICATE-----\nMIIB${hex(`${type}${name}`, 40)}\n-----END CERTIFICATE-----\n`;
      break;
    case "tls:index/certRequest:CertRequest":
      state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\nMIIB${hex(name, 40)}\n-----END CERTIFICATE REQUEST-----\n`;
      break;
    case "pulumi:pulumi:StackReference":
      state.outputs = { kubeconfig: mockKubeconfig("referenced") };
      break;
    case "kubernetes:core/v1:Service":
      if (inputs.spec?.type === "LoadBalancer") {
        state.status = { loadBalancer: { ingress: [{ hostname: `k8s-${name}-${hex(name, 10)}.elb.${REGION}.amazonaws.com` }] } };
      }
      break;
    case "kubernetes:networking.k8s.io/v1:Ingress": {
      // The ALB of the Ingress's group (one hostname per group), or an ingress controller's address.
      const a = inputs.metadata?.annotations ?? {};
      const group = a["alb.ingress.kubernetes.io/group.name"];
      const internal = a["alb.ingress.kubernetes.io/scheme"] === "internal" ? "internal-" : "";
      state.status = {
        loadBalancer: { ingress: [group ? { hostname: `${internal}k8s-${String(group).slice(0, 12)}-${hex(group, 10)}-${hex(group + "n", 10)}.${REGION}.elb.amazonaws.com` } : { ip: "203.0.113.50" }] },
      };
      break;
    }
    case "kubernetes:helm.sh/v3:Release":
      state.status = { name: inputs.name, namespace: inputs.namespace, status: "deployed", version: inputs.version, revision: 1 };
      break;
    case "aws:acm/certificate:Certificate": {
      const hosts: string[] = [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])];
      state.arn = arn("acm", `certificate/${hex(name, 8)}-${hex(name + "1", 4)}-${hex(name + "2", 4)}-${hex(name + "3", 4)}-${hex(name + "4", 12)}`);
      id = state.arn;
      state.domainValidationOptions = hosts.map((h) => {
        const base = h.replace(/^\*\./, "");
        return { domainName: h, resourceRecordName: `_${hex(base, 32)}.${base}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${hex(base + "v", 32)}.${hex(base + "w", 10)}.acm-validations.aws.` };
      });
      break;
    }
    case "aws:route53/record:Record":
      state.fqdn = String(inputs.name ?? name).replace(/\.$/, "");
      break;
    default:
      if (type.startsWith("aws:")) {
        const service = type.split(":")[1].split("/")[0];
        state.arn = arn(service, `${name}`);
      }
  }
  return { id, state };
}

/** A well-formed kubeconfig for tests (its token is a marked secret). */
/** A real Ed25519 public key (PEM) whose seed is the SHA-256 of `name`: the same for every run. */
/** The time the mocked time resources were created at (@pulumiverse/time Static, Rotating). */
export const MOCK_NOW = "2026-11-01T00:00:00Z";

/**
 * A real Ed25519 or ECDSA key derived from a resource name (what tls.PrivateKey gives:
 * privateKeyPem is SEC1 for ECDSA, PKCS#8 for Ed25519); undefined for RSA.
 */
export function mockPrivateKey(name: string, algorithm: string | undefined, curve: string | undefined): Record<string, string> | undefined {
  let key: crypto.KeyObject;
  if (algorithm === "ED25519") {
    const seed = crypto.createHash("sha256").update(name).digest();
    key = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
  } else if (algorithm === "ECDSA") {
    const c = curve ?? "P224";
    if (c !== "P256" && c !== "P384") throw new Error(`mock tls.PrivateKey ${name}: curve ${c} (the mocks make P256 and P384)`);
    const d = crypto.createHash(c === "P256" ? "sha256" : "sha384").update(name).digest();
    // OpenSSL derives the public point (an ECDH key with that private value).
    const ecdh = crypto.createECDH(c === "P256" ? "prime256v1" : "secp384r1");
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey();
    const half = (point.length - 1) / 2;
    const b64 = (b: Buffer) => b.toString("base64url");
    key = crypto.createPrivateKey({ key: { kty: "EC", crv: c === "P256" ? "P-256" : "P-384", d: b64(d), x: b64(point.subarray(1, 1 + half)), y: b64(point.subarray(1 + half)) }, format: "jwk" });
  } else {
    return undefined;
  }
  const pkcs8 = String(key.export({ type: "pkcs8", format: "pem" }));
  return {
    privateKeyPem: algorithm === "ECDSA" ? String(key.export({ type: "sec1", format: "pem" })) : pkcs8,
    privateKeyPemPkcs8: pkcs8,
    publicKeyPem: String(crypto.createPublicKey(key).export({ type: "spki", format: "pem" })),
  };
}

export function mockKubeconfig(cluster: string): string {
  return YAML.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server: "https://203.0.113.10:6443", "certificate-authority-data": FAKE_CA } }],
    contexts: [{ name: cluster, context: { cluster, user: cluster } }],
    "current-context": cluster,
    users: [{ name: cluster, user: { token: `${SECRET_MARK}-token` } }],
  });
}

const invokes: Record<string, (inputs: Record<string, any>) => Record<string, unknown>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    accountId: ACCOUNT,
    arn: `arn:aws:iam::${ACCOUNT}:user/ci`,
    userId: "AIDAMOCK",
    id: ACCOUNT,
  }),
  // The canonical hosted zones of load balancers in eu-west-1 (ELB endpoints and quotas, AWS General Reference).
  "aws:lb/getHostedZoneId:getHostedZoneId": (i) => ({ id: i.loadBalancerType === "network" ? "Z2IFOLAFXWLO4F" : "Z32O12XQLNTSW2" }),
  // A zone whose id starts with ZPRIVATE is private (for the tests of the public-zone check).
  "aws:route53/getZone:getZone": (i) => ({ id: i.zoneId, zoneId: i.zoneId, name: "trust.example.org.", privateZone: String(i.zoneId).startsWith("ZPRIVATE") }),
  "aws:ec2/getVpc:getVpc": (i) => ({ id: i.id, cidrBlock: "10.50.0.0/16", arn: `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${i.id}` }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: ["a", "b", "c", "d", "e", "f"].map((z) => `${REGION}${z}`),
    zoneIds: [1, 2, 3, 4, 5, 6].map((n) => `euw1-az${n}`),
    id: REGION,
  }),
};

/** What one run of the program registered. */
export class Run {
  constructor(
    public readonly resources: Recorded[],
    public readonly outputs: Record<string, unknown>,
    /** Stack outputs with secrets still wrapped (to check none leaks). */
    public readonly rawOutputs: Record<string, unknown>,
    /** The parsed settings the program ran with. */
    public readonly settings?: Settings,
  ) {}

  ofType(type: string): Recorded[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one resource of `type` whose name is `name` (or ends with `-name`). */
  get(type: string, name: string): Recorded {
    const hits = this.resources.filter((r) => r.type === type && (r.name === name || r.name.endsWith(`-${name}`)));
    if (hits.length !== 1) {
      throw new Error(`expected one ${type} named ${name}, found ${hits.length}: ${this.ofType(type).map((r) => r.name).join(", ")}`);
    }
    return hits[0];
  }

  find(type: string, name: string): Recorded | undefined {
    return this.resources.find((r) => r.type === type && (r.name === name || r.name.endsWith(`-${name}`)));
  }

  /** Kubernetes objects as the API server would receive them (secrets unwrapped). */
  kubernetesObjects(): Array<{ resource: Recorded; object: Record<string, any> }> {
    return this.resources
      .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm") && r.type !== "pulumi:providers:kubernetes")
      .map((resource) => ({ resource, object: plain<Record<string, any>>(resource.inputs) }));
  }

  /** Every string that was a secret anywhere in this run (inputs or generated). */
  secretStrings(): Set<string> {
    const found = new Set<string>();
    // A secret string is a needle. Pulumi makes a whole map input secret when one value in it is (a Helm
    // release's values): inside such a map, a leaf is a needle when it was generated as a secret or sits
    // under a key that names one; the map's other values (a VPC id, a region) are not secrets.
    const SECRET_KEY = /^(key|privateKey|password|secret|token|pin)$|[Pp]assword$/;
    const walk = (v: unknown, inSecret: "no" | "string" | "container", key: string) => {
      if (isSecretValue(v)) return walk(v.value, typeof v.value === "string" ? "string" : "container", key);
      if (typeof v === "string") {
        if (inSecret === "string" || v.includes(SECRET_MARK) || (inSecret === "container" && SECRET_KEY.test(key))) found.add(v);
      } else if (Array.isArray(v)) v.forEach((e) => walk(e, inSecret === "string" ? "container" : inSecret, key));
      else if (v && typeof v === "object") Object.entries(v).forEach(([k, e]) => walk(e, inSecret === "string" ? "container" : inSecret, k));
    };
    for (const r of this.resources) walk(r.inputs, "no", "");
    return found;
  }
}

let recorded: Recorded[] = [];

/** What the current (or last) run has registered so far; used to show a bad stack registers nothing. */
export function recordedSoFar(): readonly Recorded[] {
  return recorded;
}

const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const { id, state } = mockState(args.type, args.name, args.inputs);
    return { id, state };
  },
  call(args) {
    const f = invokes[args.token];
    if (!f) {
      const message = `unmocked invoke ${args.token}: the program called a data source the harness does not know`;
      // The SDK reports an invoke failure by its gRPC `details`.
      throw Object.assign(new Error(message), { details: message });
    }
    return f(args.inputs);
  },
};

let installed = false;
let recording = true;

/**
 * Installs the mocks once per process (the suite shares one mocked runtime) and
 * wraps the mock monitor so every registration is recorded; later runs only
 * switch the stack name and whether to record.
 */
function installMocks(stack: string, record = true): void {
  recording = record;
  if (installed) {
    // The one runtime setting a run changes; setMocks again would reset the runtime's feature flags.
    (require("@pulumi/pulumi/runtime/state").getStore().settings.options as { stack: string }).stack = stack;
    return;
  }
  installed = true;
  pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  const monitor = (pulumi.runtime as any).getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  const rpc = require("@pulumi/pulumi/runtime/rpc");
  wrapRead(monitor, rpc);
  monitor.registerResource = (req: any, callback: any) => {
    if (!recording) return register(req, callback);
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent() || undefined;
    const inputs = rpc.deserializeProperties(req.getObject());
    const entry: Recorded = {
      urn: monitor.newUrn(parent, type, name),
      type,
      name,
      custom: req.getCustom(),
      parent,
      inputs,
      provider: req.getProvider() || undefined,
      dependencies: req.getDependenciesList(),
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete() === true,
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace() === true,
      replaceOnChanges: req.getReplaceonchangesList?.() ?? [],
      customTimeouts: req.getCustomtimeouts?.() ? { create: req.getCustomtimeouts().getCreate(), update: req.getCustomtimeouts().getUpdate(), delete: req.getCustomtimeouts().getDelete() } : undefined,
      aliases: aliasesOf(req),
      sourcePosition: req.getSourceposition?.() ? `${req.getSourceposition().getUri()}:${req.getSourceposition().getLine()}` : undefined,
      state: {},
    };
    recorded.push(entry);
    return register(req, (err: unknown, resp: any) => {
      if (!err && resp) {
        entry.state = rpc.deserializeProperties(resp.getObject());
        entry.id = resp.getId() || undefined;
      }
      callback(err, resp);
    });
  };
}

/** Records reads of existing resources (StackReference, `.get`) the same way. */
function wrapRead(monitor: any, rpc: any): void {
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req: any, callback: any) => {
    if (!recording) return read(req, callback);
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent() || undefined;
    const entry: Recorded = {
      urn: monitor.newUrn(parent, type, name),
      id: req.getId(),
      type,
      name,
      custom: true,
      parent,
      inputs: rpc.deserializeProperties(req.getProperties()),
      provider: req.getProvider() || undefined,
      dependencies: req.getDependenciesList(),
      protect: false,
      retainOnDelete: false,
      ignoreChanges: [],
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: false,
      replaceOnChanges: [],
      aliases: [],
      state: {},
    };
    recorded.push(entry);
    return read(req, callback);
  };
}

/** Pulumi's config map for a stack file's `config:` block (object values as JSON; `secure:` values become marked secrets). */
export function configFromStackFile(config: Record<string, unknown>): { values: Record<string, string>; secretKeys: string[] } {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  const hasSecure = (v: unknown): boolean =>
    !!v && typeof v === "object" && (("secure" in (v as object) && Object.keys(v as object).length === 1) || Object.values(v as object).some(hasSecure));
  // A secure value becomes a marked secret; a secure kubeconfig a marked, well-formed kubeconfig.
  const replaceSecure = (v: unknown, key = ""): unknown => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (Object.keys(o).length === 1 && typeof o.secure === "string") {
        return key === "kubeconfig" ? mockKubeconfig(`config-${hex(o.secure, 8)}`) : `${SECRET_MARK}-config-${hex(o.secure, 8)}`;
      }
      return Object.fromEntries(Object.entries(o).map(([k, e]) => [k, replaceSecure(e, k)]));
    }
    return Array.isArray(v) ? v.map((e) => replaceSecure(e)) : v;
  };
  for (const [key, v] of Object.entries(config)) {
    const full = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (hasSecure(v)) secretKeys.push(full);
    const value = replaceSecure(v);
    values[full] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { values, secretKeys };
}

/** The `config:` block of `Pulumi.<stack>.yaml` in the repository, or of a stack file given by path. */
export function readStackFile(stackOrFile: string): Record<string, unknown> {
  const file = stackOrFile.endsWith(".yaml") ? stackOrFile : path.join(ROOT, `Pulumi.${stackOrFile}.yaml`);
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  return (doc.config ?? {}) as Record<string, unknown>;
}

/** The stacks that have a `Pulumi.<stack>.yaml` in the repository. */
export function stackFiles(): string[] {
  return fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => !!s)
    .sort();
}

/** Awaits an Output (or a structure of them) under the mocks. */
export function resolveOutput<T>(value: pulumi.Input<T> | T): Promise<T> {
  return settle(value) as Promise<T>;
}

async function settle(value: unknown): Promise<unknown> {
  return new Promise((resolve) => (pulumi.output(value) as pulumi.Output<unknown>).apply((v) => { resolve(v); return v; }));
}

/**
 * Runs the whole program (settings → platform → services → outputs) for a
 * stack's config under the mocks, and returns what it registered.
 * `config` is a stack file's `config:` block (keys with or without the
 * `trust-services:` prefix; `aws:region` etc. as is).
 */
export async function runStack(config: Record<string, unknown>, stack = "test", opts: { record?: boolean } = {}): Promise<Run> {
  const { values, secretKeys } = configFromStackFile(config);
  return runProgram(stack, values, secretKeys, opts.record ?? true, async () => {
    const { loadSettings } = await import("../stacks/settings");
    return loadSettings();
  });
}

/** Runs the whole program for an already parsed settings object (no stack config involved). */
export async function runSettings(settings: Settings): Promise<Run> {
  return runProgram(settings.stack, {}, [], true, async () => settings);
}

async function runProgram(stack: string, values: Record<string, string>, secretKeys: string[], record: boolean, settingsOf: () => Promise<Settings>): Promise<Run> {
  let settings: Settings | undefined;
  return runWith(
    async () => {
      // Imported here, after the mocks, as the Pulumi docs require.
      const { deploy } = await import("../stacks/program");
      settings = await settingsOf();
      return deploy(settings) as unknown as Record<string, unknown>;
    },
    { stack, config: values, secretKeys, settings: () => settings, record },
  );
}

/**
 * Runs any code that creates resources (a component on its own, say) under the
 * mocks and records what it registers. `body` returns the values to resolve as outputs.
 */
export async function runWith(
  body: () => Promise<Record<string, unknown>> | Record<string, unknown>,
  opts: { stack?: string; config?: Record<string, string>; secretKeys?: string[]; settings?: () => Settings | undefined; record?: boolean } = {},
): Promise<Run> {
  installMocks(opts.stack ?? "test", opts.record ?? true);
  // The mock monitor keeps every resource it has seen (for `getResource`); a run starts with none.
  ((pulumi.runtime as any).getMonitor() as { resources: Map<string, unknown> }).resources.clear();
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  recorded = [];
  const mine = recorded;
  // As the program entry does (stacks/stack-traces.ts): the SDK's per-promise stack captures stay
  // short during a run (here they also pass through ts-node's source-map hook). The SDK's source
  // positions are unaffected; assertions after the run keep whole traces.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  // A program error that surfaces in a resource's inputs (a throw inside an `apply`) reaches the
  // process as an unhandled rejection; Pulumi's language host fails the deployment on it, and so
  // does a run here.
  const failures: unknown[] = [];
  const others = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const onRejection = (e: unknown) => failures.push(e);
  process.on("unhandledRejection", onRejection);
  try {
    const rawOutputs = await body();
    const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings");
    const outputs = (await settle(rawOutputs)) as Record<string, unknown>;
    await waitForRPCs();
    const wrapped = await secretAwareOutputs(rawOutputs);
    // Rejections are reported on the next turns of the event loop.
    await new Promise((r) => setImmediate(r));
    if (failures.length) throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
    return new Run(mine, outputs, wrapped, opts.settings?.());
  } finally {
    Error.stackTraceLimit = limit;
    process.removeListener("unhandledRejection", onRejection);
    for (const l of others) process.on("unhandledRejection", l as (...a: any[]) => void);
  }
}

/** Resolves stack outputs keeping secretness: a secret Output becomes a secret wrapper. */
async function secretAwareOutputs(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(outputs ?? {})) {
    if (pulumi.Output.isInstance(v)) {
      const secret = await (v as any).isSecret;
      const value = await settle(v);
      out[k] = secret ? { [SIG_KEY]: SECRET_SIG, value } : value;
    } else if (v && typeof v === "object") {
      out[k] = await secretAwareOutputs(v as Record<string, unknown>);
    } else out[k] = v;
  }
  return out;
}

/** Runs one of the repository's stack files. */
export function runStackFile(stack: string, override?: (config: Record<string, unknown>) => Record<string, unknown>): Promise<Run> {
  const config = readStackFile(stack);
  return runStack(override ? override(structuredClone(config)) : config, stack);
}
