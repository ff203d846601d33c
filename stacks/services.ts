/**
 * Settings + platform → the in-cluster services. Adding a service adds one
 * block here, reading its settings block and the platform pieces it needs.
 */
import * as pulumi from "@pulumi/pulumi";
import { RepositoryServiceTuf } from "../components/services/rstuf";
import { Pulp } from "../components/services/pulp";
import { SigstoreRoleArgs, TrustedArtifactSigner } from "../components/services/sigstore";
import { XRoadSecurityServer } from "../components/services/xroad";
import { Platform } from "./platform";
import { Settings, topologyOf } from "./settings";
import { xroadMessagingHostname } from "./settings-xroad";
import { rstufStorageBackend } from "./settings-rstuf";
import { sigstoreAttestationBackend } from "./settings-sigstore";
import { pulpStorageBackend } from "./settings-pulp";

export interface Services {
  xroad?: XRoadSecurityServer;
  rstuf?: RepositoryServiceTuf;
  sigstore?: TrustedArtifactSigner;
  pulp?: Pulp;
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

  if (s.rstuf) {
    const r = s.rstuf;
    const topology = topologyOf(s, r);
    const data = platform.data.rstuf!;
    const backend = rstufStorageBackend(r, topology, s.cluster.create !== undefined);
    const workers = r.worker.replicas ?? (topology === "ha" ? 2 : 1);
    // Several workers (or ha's web servers) share the volume: ReadWriteMany, on the platform's shared class.
    const readWriteMany = backend === "local" && (workers > 1 || topology === "ha");
    const bucket = data.buckets.metadata;
    out.rstuf = new RepositoryServiceTuf(
      "rstuf",
      {
        topology,
        namespace: r.namespace,
        apiVersion: r.version.api,
        workerVersion: r.version.worker,
        apiImageRepository: r.imageRepository.api,
        workerImageRepository: r.imageRepository.worker,
        webImage: r.webImage,
        api: { replicas: r.api.replicas, resources: r.api.resources },
        worker: { replicas: r.worker.replicas, resources: r.worker.resources },
        web: { replicas: r.web.replicas, resources: r.web.resources },
        onlineKeyPem: r.onlineKey.privateKey,
        previousOnlineKeyPem: r.onlineKey.previousPrivateKey,
        onlineKeyAwsKmsArn: r.onlineKey.awsKmsKeyArn,
        lockTimeout: r.lockTimeout,
        logLevel: r.logLevel,
        database: data.endpoints.database,
        cache: data.endpoints.cache,
        localStorage:
          backend === "local"
            ? { size: r.storage.size, readWriteMany, storageClass: r.storage.storageClass ?? (readWriteMany ? platform.storageClasses.shared : platform.storageClasses.block) }
            : undefined,
        s3Storage:
          backend === "s3" && bucket && platform.cluster
            ? { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn, kmsKeyArn: bucket.keyArn, region: s.region!, clusterName: platform.cluster.clusterName }
            : undefined,
        endpoints: platform.endpointClass
          ? {
              endpointClass: platform.endpointClass,
              apiHostname: r.exposure.apiHostname,
              metadataHostname: r.exposure.metadataHostname,
              apiPublic: r.exposure.api === "public",
              metadataSourceRanges: r.exposure.metadataSourceRanges,
            }
          : undefined,
        allowedCidrs: r.exposure.allowedCidrs,
        allowedNamespaces: r.exposure.allowedNamespaces,
        bootstrapPayload: r.bootstrap.payload,
        scheduling: r.scheduling,
        production: s.production,
      },
      providerOpts,
    );
  }

  if (s.sigstore) {
    const g = s.sigstore;
    const topology = topologyOf(s, g);
    const data = platform.data.sigstore!;
    const backend = sigstoreAttestationBackend(g, topology, s.cluster.create !== undefined);
    const rekorReplicas = g.rekor.replicas ?? (topology === "ha" ? 3 : 1);
    const readWriteMany = rekorReplicas > 1;
    const bucket = data.buckets.attestations;
    const role = (r: { replicas?: number; resources: SigstoreRoleArgs["resources"] }): SigstoreRoleArgs => ({ replicas: r.replicas, resources: r.resources });
    out.sigstore = new TrustedArtifactSigner(
      "sigstore",
      {
        topology,
        namespace: g.namespace,
        images: g.images,
        roles: {
          trillianLogServer: role(g.trillianLogServer),
          trillianLogSigner: role(g.trillianLogSigner),
          rekor: role(g.rekor),
          fulcio: role(g.fulcio),
          ctlog: role(g.ctlog),
          tsa: role(g.tsa),
          tuf: role(g.tufMirror),
        },
        oidcIssuers: g.oidcIssuers,
        database: data.endpoints.database,
        cache: data.endpoints.cache,
        attestationVolume:
          backend === "local"
            ? { size: g.attestations.size, readWriteMany, storageClass: g.attestations.storageClass ?? (readWriteMany ? platform.storageClasses.shared : platform.storageClasses.block) }
            : undefined,
        attestationBucket: backend === "s3" && bucket ? { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn, kmsKeyArn: bucket.keyArn, region: s.region! } : undefined,
        rekorSigner: { privateKeyPem: g.keys.rekor.privateKey, awsKmsKeyArn: g.keys.rekor.awsKmsKeyArn, publicKeyPem: g.keys.rekor.publicKey },
        fulcioCa: { privateKeyPem: g.keys.fulcio.privateKey, certificateChainPem: g.keys.fulcio.certificateChain, awsKmsKeyArn: g.keys.fulcio.awsKmsKeyArn, organization: g.organization },
        ctlogKey: { privateKeyPem: g.keys.ctlog.privateKey },
        tsaSigner: { privateKeyPem: g.keys.tsa.privateKey, certificateChainPem: g.keys.tsa.certificateChain, awsKmsKeyArn: g.keys.tsa.awsKmsKeyArn },
        tuf: g.tuf,
        trees: g.trees,
        organization: g.organization,
        certificateValidityDays: g.certificateValidityDays,
        clusterName: platform.cluster?.clusterName,
        endpoints: platform.endpointClass
          ? {
              endpointClass: platform.endpointClass,
              rekorHostname: g.exposure.rekorHostname,
              fulcioHostname: g.exposure.fulcioHostname,
              fulcioGrpcHostname: g.exposure.fulcioGrpcHostname,
              tsaHostname: g.exposure.tsaHostname,
              tufHostname: g.exposure.tufHostname,
              ctlogHostname: g.exposure.ctlogHostname,
              ctlogPublic: g.exposure.ctlogPublic,
              sourceRanges: g.exposure.sourceRanges,
            }
          : undefined,
        allowedNamespaces: g.exposure.allowedNamespaces,
        scheduling: g.scheduling,
        production: s.production,
      },
      providerOpts,
    );
  }

  if (s.pulp) {
    const p = s.pulp;
    const topology = topologyOf(s, p);
    const data = platform.data.pulp!;
    const backend = pulpStorageBackend(p, topology, s.cluster.create !== undefined);
    const ha = topology === "ha";
    const many = ha || [p.api, p.content, p.worker].some((r) => (r.replicas ?? 1) > 1);
    const bucket = data.buckets.artifacts;
    out.pulp = new Pulp(
      "pulp",
      {
        topology,
        namespace: p.namespace,
        image: p.image,
        webImage: p.webImage,
        api: p.api,
        content: p.content,
        worker: p.worker,
        web: p.web,
        workerGracePeriodSeconds: p.workerGracePeriodSeconds,
        adminPassword: p.adminPassword,
        databaseFieldsKey: p.databaseFieldsKey,
        database: data.endpoints.database,
        cache: data.endpoints.cache,
        volume: backend === "local" ? { size: p.storage.size, readWriteMany: many, storageClass: p.storage.storageClass ?? (many ? platform.storageClasses.shared : platform.storageClasses.block) } : undefined,
        bucket:
          backend === "s3" && bucket && platform.cluster
            ? { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn, kmsKeyArn: bucket.keyArn, region: s.region!, clusterName: platform.cluster.clusterName, scratchSize: p.storage.scratchSize }
            : undefined,
        endpoint: platform.endpointClass ? { endpointClass: platform.endpointClass, hostname: p.exposure.hostname, sourceRanges: p.exposure.sourceRanges } : undefined,
        allowedNamespaces: p.exposure.allowedNamespaces,
        scheduling: p.scheduling,
        production: s.production,
      },
      providerOpts,
    );
  }
  return out;
}
