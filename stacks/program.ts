/**
 * The whole program: settings → platform → services → stack outputs.
 * `index.ts` calls it for `pulumi up`; the tests and the offline plan call it
 * under the mocked runtime.
 */
import * as pulumi from "@pulumi/pulumi";
import { buildPlatform } from "./platform";
import { buildServices } from "./services";
import type { XRoadSecretNames } from "../components/services/xroad";
import { Settings, topologyOf } from "./settings";

export interface StackOutputs {
  /** What each enabled service's topology resolved to. */
  topologies: Record<string, string>;
  cluster: {
    name?: pulumi.Output<string>;
    /** Secret. */
    kubeconfig?: pulumi.Output<string>;
    storageClasses: { block?: pulumi.Input<string>; shared?: pulumi.Input<string> };
  };
  xroad?: {
    namespace: pulumi.Output<string>;
    loadBalancerHostname: pulumi.Output<string | undefined>;
    adminUrl: pulumi.Output<string>;
    consumerUrl: pulumi.Output<string>;
    secretNames: XRoadSecretNames;
    image: string;
    archiveBucket?: pulumi.Output<string>;
    databaseHost?: pulumi.Input<string>;
  };
}

export function deploy(settings: Settings): StackOutputs {
  const platform = buildPlatform(settings);
  const services = buildServices(settings, platform);
  const outputs: StackOutputs = {
    topologies: settings.xroad ? { xroad: topologyOf(settings, settings.xroad) } : {},
    cluster: {
      name: platform.cluster?.clusterName,
      kubeconfig: platform.kubeconfig,
      storageClasses: platform.storageClasses,
    },
  };
  if (services.xroad) {
    const x = services.xroad;
    outputs.xroad = {
      namespace: x.namespace,
      loadBalancerHostname: x.loadBalancerHostname,
      adminUrl: x.adminUrl,
      consumerUrl: x.consumerUrl,
      secretNames: x.secretNames,
      image: x.image,
      archiveBucket: platform.data.xroad?.buckets.archive?.bucketName,
      databaseHost: platform.data.xroad?.endpoints.database?.host,
    };
  }
  return outputs;
}
