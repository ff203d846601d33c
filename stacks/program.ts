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
  rstuf?: {
    namespace: pulumi.Output<string>;
    /** The API inside the cluster (all routers: ceremony, bootstrap, updates). */
    apiUrl: pulumi.Output<string>;
    /** The metadata inside the cluster. */
    metadataUrl: pulumi.Output<string>;
    /** The online key for the ceremony: its id (the file name the worker opens), public key (PEM) and URI in root. */
    onlineKeyId: pulumi.Output<string | undefined>;
    onlinePublicKey: pulumi.Output<string | undefined>;
    onlineKeyUri: pulumi.Output<string>;
    storage: string;
    metadataBucket?: pulumi.Output<string>;
    databaseHost?: pulumi.Input<string>;
    cacheHost?: pulumi.Input<string>;
    /** The IAM user whose access key the workers hold (S3, KMS): rotate it as docs/rstuf.md says. */
    workerUser?: pulumi.Output<string>;
  };
  sigstore?: {
    namespace: pulumi.Output<string>;
    /** What `cosign` needs: the TUF mirror and its root, and the services' URLs. */
    tufUrl: string;
    tufRoot: pulumi.Output<string>;
    fulcioUrl: string;
    fulcioGrpcUrl?: string;
    rekorUrl: string;
    tsaUrl: string;
    ctlogUrl: string;
    oidcIssuers: string[];
    /** `cosign initialize` against this deployment (with the root saved from `tufRoot`). */
    cosignInitialize: string;
    /** When the trust expires: root, the other TUF roles (renewed by a `pulumi up` after `tufRenewAfter`), the CA and TSA certificates. */
    expiries: {
      tufRoot: pulumi.Output<string>;
      tufTargets: pulumi.Output<string>;
      tufRenewAfter: pulumi.Output<string>;
      fulcioCertificate: pulumi.Output<string>;
      tsaCertificate: pulumi.Output<string>;
    };
    rekorPublicKey: pulumi.Output<string>;
    ctlogPublicKey: pulumi.Output<string>;
    /** ConfigMaps holding the Trillian tree ids (key treeID). */
    treeConfigMaps: { rekor: string; ctlog: string };
    attestations: string;
    attestationBucket?: pulumi.Output<string>;
    databaseHost?: pulumi.Input<string>;
    cacheHost?: pulumi.Input<string>;
  };
  pulp?: {
    namespace: pulumi.Output<string>;
    /** Where clients reach Pulp; the API is under /pulp/api/v3/. */
    url: string;
    /** CONTENT_ORIGIN: the origin of the content URLs Pulp hands out. */
    contentOrigin: string;
    /** How to read the admin password (user `admin`). */
    adminPassword: string;
    /** The Secret with the database-fields encryption key: back it up (docs/pulp.md). */
    keysSecret: string;
    storage: string;
    artifactBucket?: pulumi.Output<string>;
    databaseHost?: pulumi.Input<string>;
    cacheHost?: pulumi.Input<string>;
  };
}

export function deploy(settings: Settings): StackOutputs {
  const platform = buildPlatform(settings);
  const services = buildServices(settings, platform);
  const outputs: StackOutputs = {
    topologies: {
      ...(settings.xroad ? { xroad: topologyOf(settings, settings.xroad) } : {}),
      ...(settings.rstuf ? { rstuf: topologyOf(settings, settings.rstuf) } : {}),
      ...(settings.sigstore ? { sigstore: topologyOf(settings, settings.sigstore) } : {}),
      ...(settings.pulp ? { pulp: topologyOf(settings, settings.pulp) } : {}),
    },
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
  if (services.rstuf) {
    const r = services.rstuf;
    const ns = settings.rstuf!.namespace;
    if (r.apiEndpointUrl) outputs.endpoints["rstuf-api"] = r.apiEndpointUrl;
    if (r.metadataEndpointUrl) outputs.endpoints["rstuf-metadata"] = r.metadataEndpointUrl;
    if (!r.apiEndpointUrl || settings.rstuf!.exposure.api === "public") {
      outputs.portForward["rstuf-api"] = `kubectl -n ${ns} port-forward svc/rstuf-${settings.rstuf!.exposure.api === "public" ? "api-admin" : "api"} 8080:8080, then rstuf admin --api-server http://localhost:8080 ...`;
    }
    if (!r.metadataEndpointUrl) outputs.portForward["rstuf-metadata"] = `kubectl -n ${ns} port-forward svc/rstuf-metadata 8000:8000, then http://localhost:8000/1.root.json`;
    outputs.dnsRecords.push(...r.dnsRecords);
    outputs.rstuf = {
      namespace: r.namespace,
      apiUrl: r.apiUrl,
      metadataUrl: r.metadataUrl,
      onlineKeyId: r.onlineKeyId,
      onlinePublicKey: r.onlinePublicKey,
      onlineKeyUri: r.onlineKeyUri,
      storage: platform.data.rstuf?.buckets.metadata ? "s3" : "local",
      metadataBucket: platform.data.rstuf?.buckets.metadata?.bucketName,
      databaseHost: platform.data.rstuf?.endpoints.database?.host,
      cacheHost: platform.data.rstuf?.endpoints.cache?.host,
      workerUser: r.workerUserName,
    };
  }
  if (services.sigstore) {
    const g = services.sigstore;
    const ns = settings.sigstore!.namespace;
    if (settings.endpoints) {
      outputs.endpoints["rekor"] = g.rekorUrl;
      outputs.endpoints["fulcio"] = g.fulcioUrl;
      if (g.fulcioGrpcUrl) outputs.endpoints["fulcio-grpc"] = g.fulcioGrpcUrl;
      outputs.endpoints["tsa"] = g.tsaUrl;
      outputs.endpoints["tuf"] = g.tufUrl;
      if (settings.sigstore!.exposure.ctlogPublic) outputs.endpoints["ctlog"] = g.ctlogUrl;
    } else {
      outputs.portForward["sigstore"] =
        `kubectl -n ${ns} port-forward svc/sigstore-tuf 8000:8000 (and svc/sigstore-fulcio 5555:5555, svc/sigstore-rekor 3000:3000, svc/sigstore-tsa 3001:3000): the trusted root names the in-cluster URLs, which clients inside the cluster reach`;
    }
    outputs.dnsRecords.push(...g.dnsRecords);
    outputs.sigstore = {
      namespace: g.namespace,
      tufUrl: g.tufUrl,
      tufRoot: g.tufRoot,
      fulcioUrl: g.fulcioUrl,
      fulcioGrpcUrl: g.fulcioGrpcUrl,
      rekorUrl: g.rekorUrl,
      tsaUrl: g.tsaUrl,
      ctlogUrl: g.ctlogUrl,
      oidcIssuers: settings.sigstore!.oidcIssuers.map((o) => o.issuerUrl),
      cosignInitialize: `pulumi stack output sigstore --json | jq -r .tufRoot > root.json && cosign initialize --mirror ${g.tufUrl} --root root.json`,
      expiries: {
        tufRoot: g.tufRootExpires,
        tufTargets: g.tufExpires,
        tufRenewAfter: g.tufRenewAfter,
        fulcioCertificate: g.fulcioCertificateExpires,
        tsaCertificate: g.tsaCertificateExpires,
      },
      rekorPublicKey: g.rekorPublicKey,
      ctlogPublicKey: g.ctlogPublicKey,
      treeConfigMaps: { rekor: g.rekorTreeConfigMap, ctlog: g.ctlogTreeConfigMap },
      attestations: platform.data.sigstore?.buckets.attestations ? "s3" : "local",
      attestationBucket: platform.data.sigstore?.buckets.attestations?.bucketName,
      databaseHost: platform.data.sigstore?.endpoints.database?.host,
      cacheHost: platform.data.sigstore?.endpoints.cache?.host,
    };
  }
  if (services.pulp) {
    const p = services.pulp;
    const ns = settings.pulp!.namespace;
    if (settings.endpoints) outputs.endpoints["pulp"] = p.url;
    else outputs.portForward["pulp"] = `kubectl -n ${ns} port-forward svc/pulp-web 8080:8080, then http://localhost:8080/pulp/api/v3/status/ (content URLs name ${p.contentOrigin})`;
    outputs.dnsRecords.push(...p.dnsRecords);
    outputs.pulp = {
      namespace: p.namespace,
      url: p.url,
      contentOrigin: p.contentOrigin,
      adminPassword: `kubectl -n ${ns} get secret ${p.adminPasswordSecret} -o jsonpath='{.data.password}' | base64 -d`,
      keysSecret: p.keysSecret,
      storage: platform.data.pulp?.buckets.artifacts ? "s3" : "local",
      artifactBucket: platform.data.pulp?.buckets.artifacts?.bucketName,
      databaseHost: platform.data.pulp?.endpoints.database?.host,
      cacheHost: platform.data.pulp?.endpoints.cache?.host,
    };
  }
  return outputs;
}
