// `pulumi up` entry (compiled to dist/main.js): stack config → settings → platform → services → outputs.
import { assertFreshBuild } from "./stacks/fresh-build";
import { deploy } from "./stacks/program";
import { loadSettings } from "./stacks/settings";
import { useNativeStackTraces, useShortStackTraces } from "./stacks/stack-traces";

useNativeStackTraces(__dirname);
assertFreshBuild(__dirname);
// A bad setting is reported with its whole trace; then the SDK's per-promise traces stay short.
const settings = loadSettings();
useShortStackTraces();
const outputs = deploy(settings);

export const topologies = outputs.topologies;
export const endpoints = outputs.endpoints;
export const dnsRecords = outputs.dnsRecords;
export const portForward = outputs.portForward;
export const cluster = outputs.cluster;
export const xroad = outputs.xroad;
export const rstuf = outputs.rstuf;
export const sigstore = outputs.sigstore;
export const pulp = outputs.pulp;
