// `pulumi up` entry (compiled to dist/main.js): stack config → settings → platform → services → outputs.
import { assertFreshBuild } from "./stacks/fresh-build";
import { deploy } from "./stacks/program";
import { loadSettings } from "./stacks/settings";
import { useNativeStackTraces } from "./stacks/stack-traces";

useNativeStackTraces(__dirname);
assertFreshBuild(__dirname);
const outputs = deploy(loadSettings());

export const topologies = outputs.topologies;
export const cluster = outputs.cluster;
export const xroad = outputs.xroad;
