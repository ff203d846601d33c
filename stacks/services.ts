/**
 * Settings + platform → the in-cluster services. Adding a service adds one
 * block here, reading its settings block and the platform pieces it needs.
 */
import * as pulumi from "@pulumi/pulumi";
import { XRoadSecurityServer } from "../components/services/xroad";
import { Platform } from "./platform";
import { Settings, topologyOf } from "./settings";
import { xroadMessagingHostname } from "./settings-xroad";

export interface Services {
  xroad?: XRoadSecurityServer;
}

export function buildServices(s: Settings, platform: Platform): Services {
  const out: Services = {};
  const providerOpts: pulumi.ComponentResourceOptions = { providers: { kubernetes: platform.provider } };

  if (s.xroad) {
    const x = s.xroad;
    const topology = topologyOf(s, x);
    const data = platform.data.xroad;
    const bucket = data?.buckets.archive;
    // The messaging NLB's DNS name, when there is an NLB to name.
    const messagingHostname = x.exposure.loadBalancer.enabled ? xroadMessagingHostname(x, s.endpoints) : undefined;
    out.xroad = new XRoadSecurityServer(
      "xroad",
      {
        topology,
        namespace: x.namespace,
        version: x.version,
        variant: x.variant,
        country: x.country,
        imageRepository: x.imageRepository,
        secondaries: x.secondaries,
        adminUser: x.adminUser,
        adminPassword: x.adminPassword,
        tokenPin: x.tokenPin,
        logLevel: x.logLevel,
        resources: x.resources,
        storageClass: x.storage.storageClass ?? platform.storageClasses.block,
        sharedStorageClass: platform.storageClasses.shared,
        sharedConfig: x.storage.sharedConfig,
        hostPath: x.storage.hostPath,
        configSize: x.storage.configSize,
        dataSize: x.storage.dataSize,
        databaseSize: x.storage.databaseSize,
        database: data?.endpoints.database,
        scheduling: x.scheduling,
        loadBalancer: x.exposure.loadBalancer.enabled,
        loadBalancerScheme: x.exposure.loadBalancer.scheme,
        loadBalancerTargetType: x.exposure.loadBalancer.targetType,
        loadBalancerSourceRanges: x.exposure.loadBalancer.sourceRanges,
        loadBalancerHealthCheckCidrs: platform.vpcCidr !== undefined ? [platform.vpcCidr] : undefined,
        loadBalancerController: platform.controller !== undefined,
        loadBalancerSubnets:
          platform.controller && platform.network
            ? { publicSubnetIds: platform.network.publicSubnetIds, privateSubnetIds: platform.network.privateSubnetIds }
            : undefined,
        messagingHostname,
        messagingDns: platform.dns && messagingHostname ? { hostedZoneId: platform.dns.hostedZoneId, loadBalancerZoneId: platform.dns.networkLoadBalancerZoneId } : undefined,
        adminEndpoint: platform.endpointClass ? { endpointClass: platform.endpointClass, hostname: x.exposure.adminHostname } : undefined,
        internalLoadBalancer: x.exposure.internalLoadBalancer,
        allowedNamespaces: x.exposure.allowedNamespaces,
        allowedCidrs: x.exposure.allowedCidrs,
        egressCidrs: x.exposure.egressCidrs,
        archive:
          bucket && platform.cluster
            ? {
                clusterName: platform.cluster.clusterName,
                bucketName: bucket.bucketName,
                kmsKeyArn: bucket.keyArn,
                accessPolicy: bucket.accessPolicy(x.archive.prefix),
                prefix: x.archive.prefix,
                interval: x.archive.interval,
                image: x.archive.image,
              }
            : undefined,
        registered: x.registered,
        production: s.production,
      },
      providerOpts,
    );
  }
  return out;
}
