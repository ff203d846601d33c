/**
 * Benchmark (not a test): how much the program costs on every `pulumi preview`,
 * and how long the first `pulumi up` of the prod stack would take.
 *
 *   npm run bench [-- --runs 7] [-- --skip-tests]
 *
 * 1. Evaluation: wall time of a fresh Node process that runs the whole compiled
 *    program for Pulumi.prod.yaml (every service in ha) under the mocked runtime,
 *    against the floor: a fresh process that loads the same Pulumi SDK modules
 *    the program loads (found by running it once) and creates nothing. Also shown
 *    against the lower floor of loading only the packages' entry points (the SDKs
 *    load their service modules lazily). Median of alternating runs.
 * 2. Growth: the same figure with only the platform, then with each service added.
 * 3. Simulated first deploy: the longest chain through the recorded dependency
 *    graph, each resource type given a typical create time (CREATE_MINUTES),
 *    against the longest unavoidable chain: network → EKS → node group → add-on
 *    → workload, → load balancer controller → workload, → controller → ALB → DNS
 *    record when the stack has endpoints (or network → database → workload).
 * 4. The wall time of `npm test`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SERVICE_KEYS } from "../stacks/settings";
import { DependencyGraph } from "../test/graph";
import { readStackFile, Recorded, ROOT, runStack } from "../test/harness";

/**
 * Typical create times in minutes (AWS documentation and experience; a
 * simulation input, not a measurement). Types not listed take DEFAULT_MINUTES.
 */
export const CREATE_MINUTES: Record<string, number> = {
  "aws:eks/cluster:Cluster": 10,
  "aws:eks/nodeGroup:NodeGroup": 3,
  "aws:eks/addon:Addon": 1.5,
  "aws:rds/instance:Instance": 10,
  "aws:elasticache/replicationGroup:ReplicationGroup": 10,
  "aws:ec2/natGateway:NatGateway": 2,
  "aws:efs/fileSystem:FileSystem": 0.5,
  "aws:efs/mountTarget:MountTarget": 1.5,
  "aws:ec2/vpc:Vpc": 0.25,
  "aws:ec2/subnet:Subnet": 0.25,
  "aws:ec2/internetGateway:InternetGateway": 0.25,
  "aws:ec2/eip:Eip": 0.1,
  "aws:kms/key:Key": 0.2,
  "aws:iam/role:Role": 0.1,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 0.1,
  "aws:rds/subnetGroup:SubnetGroup": 0.1,
  "aws:rds/parameterGroup:ParameterGroup": 0.1,
  "aws:s3/bucket:Bucket": 0.1,
  "aws:backup/vault:Vault": 0.1,
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": 0.2,
  "kubernetes:apps/v1:Deployment": 1,
  "kubernetes:apps/v1:StatefulSet": 1.5,
  "kubernetes:batch/v1:Job": 1,
  "kubernetes:core/v1:Service": 0.1,
  // helm install with --wait: the controller's pods scheduled, pulled and serving their webhooks.
  "kubernetes:helm.sh/v3:Release": 1.5,
  // An ALB provisioned and its hostname in the Ingress status; a Route 53 change in sync.
  "kubernetes:networking.k8s.io/v1:Ingress": 3,
  "aws:route53/record:Record": 1,
  // ACM's DNS validation with Route 53 ("up to 30 minutes", typically a few).
  "aws:acm/certificateValidation:CertificateValidation": 5,
};
const DEFAULT_MINUTES = 0.05;

const minutes = (r: Recorded) => (r.custom ? CREATE_MINUTES[r.type] ?? DEFAULT_MINUTES : 0);

export interface Simulation {
  total: number;
  lowerBound: number;
  lowerBoundChain: string;
  path: Recorded[];
}

/** Earliest finish of every resource when everything independent runs in parallel. */
export function simulate(graph: DependencyGraph): Simulation {
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const visit = (r: Recorded, stack: Set<string>): number => {
    const hit = finish.get(r.urn);
    if (hit !== undefined) return hit;
    if (stack.has(r.urn)) throw new Error(`dependency cycle at ${r.urn}`);
    stack.add(r.urn);
    let start = 0;
    let from: string | undefined;
    for (const d of graph.direct(r)) {
      const dr = graph.get(d);
      if (!dr) continue;
      const f = visit(dr, stack);
      if (f > start) {
        start = f;
        from = d;
      }
    }
    stack.delete(r.urn);
    const end = start + minutes(r);
    finish.set(r.urn, end);
    via.set(r.urn, from);
    return end;
  };
  const customs = graph.resources.filter((r) => r.custom);
  customs.forEach((r) => visit(r, new Set()));
  const last = customs.reduce((a, b) => ((finish.get(b.urn) ?? 0) > (finish.get(a.urn) ?? 0) ? b : a));
  const pathOut: Recorded[] = [];
  for (let u: string | undefined = last.urn; u; u = via.get(u)) pathOut.unshift(graph.get(u)!);

  const m = (t: string) => CREATE_MINUTES[t] ?? DEFAULT_MINUTES;
  const has = (t: string) => graph.resources.some((r) => r.type === t);
  const network = m("aws:ec2/vpc:Vpc") + m("aws:ec2/subnet:Subnet");
  const workload = m("kubernetes:apps/v1:Deployment");
  const chains: Array<[string, number]> = [];
  if (has("aws:eks/cluster:Cluster")) {
    chains.push(["network → EKS → node group → add-on → workload", network + m("aws:eks/cluster:Cluster") + m("aws:eks/nodeGroup:NodeGroup") + m("aws:eks/addon:Addon") + workload]);
  }
  if (has("kubernetes:helm.sh/v3:Release")) {
    // The controller's webhooks admit no Service before its pods serve, and they need nodes.
    // The controller needs nodes and DNS (the CoreDNS add-on) before its pods serve.
    const controller = network + m("aws:eks/cluster:Cluster") + m("aws:eks/nodeGroup:NodeGroup") + m("aws:eks/addon:Addon") + m("kubernetes:helm.sh/v3:Release");
    chains.push(["network → EKS → node group → CoreDNS → load balancer controller → workload", controller + workload]);
    // An endpoint's ALB is made by the controller; its alias record needs the ALB's name.
    if (has("kubernetes:networking.k8s.io/v1:Ingress") && has("aws:route53/record:Record")) {
      chains.push(["network → EKS → node group → CoreDNS → load balancer controller → ALB → DNS record", controller + m("kubernetes:networking.k8s.io/v1:Ingress") + m("aws:route53/record:Record")]);
    }
  }
  if (has("aws:rds/instance:Instance")) chains.push(["network → database → workload", network + m("aws:rds/subnetGroup:SubnetGroup") + m("aws:rds/instance:Instance") + workload]);
  if (has("aws:elasticache/replicationGroup:ReplicationGroup")) chains.push(["network → cache → workload", network + m("aws:elasticache/replicationGroup:ReplicationGroup") + workload]);
  const [lowerBoundChain, lowerBound] = chains.reduce((a, b) => (b[1] > a[1] ? b : a), ["workload", workload] as [string, number]);
  return { total: finish.get(last.urn)!, lowerBound, lowerBoundChain, path: pathOut };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Both sides run compiled JavaScript, as `pulumi preview` runs the built program.
const WORKER = path.join(__dirname, "bench-worker.js");

interface Timing {
  wallMs: number;
  /** The worker's own CPU time (user + system). */
  cpuMs: number;
}

function timeWorker(mode: string, services: string[]): Timing {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [WORKER, mode, services.join(",")], { cwd: ROOT, encoding: "utf8" });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench worker ${mode} failed: ${r.stderr}`);
  const cpuMs = Number(JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}").cpuMs);
  return { wallMs, cpuMs };
}

async function main() {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf("--runs") + 1]) || 7;
  const prod = readStackFile("prod");
  const services = SERVICE_KEYS.filter((k) => `trust-services:${k}` in prod);
  console.log(`trust-services benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  console.log(`stack: prod (every service in ha: ${services.join(", ") || "none"}); ${runs} alternating runs per figure\n`);

  // The program once in this process: the modules it loads, and the graph for the simulation.
  const before = new Set(Object.keys(require.cache));
  const run = await runStack(prod, "prod");
  const sdkModules = Object.keys(require.cache).filter((m) => !before.has(m) && m.includes(`${path.sep}node_modules${path.sep}`));
  const moduleList = path.join(os.tmpdir(), `trust-services-bench-modules-${process.pid}.json`);
  fs.writeFileSync(moduleList, JSON.stringify(sdkModules));

  // 1 + 2. Evaluation against the floors, then growth with the work.
  const variants: Array<[string, string[]]> = [["platform only", []]];
  services.forEach((_, i) => variants.push([`+ ${services.slice(0, i + 1).join(" + ")}`, services.slice(0, i + 1)]));
  const floors: Array<[string, string, string[]]> = [
    ["floor: load the SDK packages (entry points), create nothing", "floor", []],
    [`floor: load every SDK module the program loads (${sdkModules.length} more), create nothing`, "floor-modules", [moduleList]],
  ];
  const times = new Map<string, Timing[]>([...floors.map(([n]) => [n, []] as [string, Timing[]]), ...variants.map(([n]) => [n, []] as [string, Timing[]])]);
  timeWorker("floor", []); // warm the file cache once
  for (let i = 0; i < runs; i++) {
    for (const [name, mode, a] of floors) times.get(name)!.push(timeWorker(mode, a));
    for (const [name, svc] of variants) times.get(name)!.push(timeWorker("program", svc));
  }
  fs.rmSync(moduleList, { force: true });
  const med = (name: string, k: keyof Timing = "wallMs") => median(times.get(name)!.map((t) => t[k]));
  // Each round measured the floors and the program back to back: the median of the rounds' ratios
  // cancels the machine's drift between rounds better than a ratio of medians.
  const ratio = (name: string, floor: string, k: keyof Timing) => median(times.get(name)!.map((t, i) => t[k] / times.get(floor)![i][k]));
  const [packageFloor, moduleFloor] = [floors[0][0], floors[1][0]];
  console.log("Program evaluation (fresh process, mocked runtime, started as Pulumi's Node host starts a program):");
  console.log("  median wall time; ratios: median of each round's ratio to the module floor (and to the package floor), by wall time, then by the process's CPU time");
  for (const [name] of floors) console.log(`  ${name.padEnd(78)} ${med(name).toFixed(0).padStart(6)} ms`);
  for (const [name] of variants) {
    const w = `${ratio(name, moduleFloor, "wallMs").toFixed(2)} × (${ratio(name, packageFloor, "wallMs").toFixed(2)} ×)`;
    const c = `${ratio(name, moduleFloor, "cpuMs").toFixed(2)} × (${ratio(name, packageFloor, "cpuMs").toFixed(2)} ×)`;
    console.log(`  ${name.padEnd(78)} ${med(name).toFixed(0).padStart(6)} ms   wall ${w}   cpu ${c}`);
  }
  const full = variants[variants.length - 1][0];
  console.log(
    `  => full prod stack: ${ratio(full, moduleFloor, "wallMs").toFixed(2)} × the module floor by wall time (${ratio(full, moduleFloor, "cpuMs").toFixed(2)} × by CPU time), ` +
      `${ratio(full, packageFloor, "wallMs").toFixed(2)} × the package floor (target ≤ 1.5)\n`,
  );

  // 3. Simulated first deploy.
  const sim = simulate(new DependencyGraph(run));
  console.log(`Simulated first deploy of prod (${run.resources.filter((r) => r.custom).length} resources, typical create times):`);
  console.log(`  critical path: ${sim.total.toFixed(1)} min; lower bound (${sim.lowerBoundChain}): ${sim.lowerBound.toFixed(1)} min; ratio ${(sim.total / sim.lowerBound).toFixed(3)} (target ≤ 1.1)`);
  let t = 0;
  for (const r of sim.path) {
    t += minutes(r);
    console.log(`    ${t.toFixed(2).padStart(6)}  ${r.type}  ${r.name}`);
  }

  // 4. The test suite.
  if (!args.includes("--skip-tests")) {
    const t0 = Date.now();
    const r = spawnSync("npm", ["test", "--silent"], { cwd: ROOT, encoding: "utf8" });
    const secs = (Date.now() - t0) / 1000;
    const summary = /(\d+) passing/.exec(r.stdout)?.[0] ?? "no summary";
    console.log(`\nnpm test: ${secs.toFixed(1)} s wall (${summary}, exit ${r.status}; target < 60 s)`);
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
