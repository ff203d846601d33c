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

/** A DNS record the user makes (the stack has no zone for the name). */
export interface DnsRecordToMake {
  name: string;
  type: pulumi.Output<string>;
  value: pulumi.Output<string>;
}

export interface StackOutputs {
  /** What each enabled service's topology resolved to. */
  topologies: Record<string, string>;
  /** Every HTTPS endpoint's URL by endpoint name (with `trust-services:endpoints`). */
  endpoints: Record<string, string>;
  /** Records to create in DNS, pointing the hostnames at the load balancers (when the stack does not write them). */
  dnsRecords: DnsRecordToMake[];
  /** Without `trust-services:endpoints`: how to reach each service's UI or API from a workstation. */
  portForward: Record<string, string>;
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
    endpoints: {},
    dnsRecords: [],
    portForward: {},
    cluster: {
      name: platform.cluster?.clusterName,
      kubeconfig: platform.kubeconfig,
      storageClasses: platform.storageClasses,
    },
  };
  if (services.xroad) {
    const x = services.xroad;
    if (x.adminEndpointUrl) outputs.endpoints["xroad-admin"] = x.adminEndpointUrl;
    else outputs.portForward["xroad-admin"] = `kubectl -n ${settings.xroad!.namespace} port-forward svc/xroad-admin 4000:4000, then https://localhost:4000 (the UI's own certificate)`;
    outputs.dnsRecords.push(...x.dnsRecords);
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
