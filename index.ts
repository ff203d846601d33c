// `pulumi up` entry: stack config → settings → platform → services → outputs.
import { deploy } from "./stacks/program";
import { loadSettings } from "./stacks/settings";

const outputs = deploy(loadSettings());

export const topologies = outputs.topologies;
export const cluster = outputs.cluster;
export const xroad = outputs.xroad;
