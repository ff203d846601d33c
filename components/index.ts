/**
 * The library face of trust-services: the components another Pulumi project
 * imports (`import { XRoadSecurityServer } from "trust-services"`).
 * Importing this module creates nothing.
 */
export { Network, NetworkArgs, cidrSubnet } from "./aws/network";
export { EksCluster, EksClusterArgs, kubeconfigFor, CLUSTER_ADDONS, CONTROL_PLANE_LOGS } from "./aws/cluster";
export { ClusterStorage, ClusterStorageArgs } from "./aws/storage";
export { BackupPlan, BackupPlanArgs } from "./aws/backup";
export { EncryptedBucket, EncryptedBucketArgs, LogBucket, LogBucketArgs, LOG_PREFIXES } from "./aws/bucket";
export { DnsValidatedCertificate, DnsValidatedCertificateArgs } from "./aws/certificate";
export { LoadBalancerController, LoadBalancerControllerArgs, LBC_CHART, LBC_INGRESS_CLASS, LBC_NLB_CLASS, controllerPolicy } from "./aws/load-balancer-controller";
export { EncryptionKey, EncryptionKeyArgs } from "./aws/key";
export { ContainerInsights, ContainerInsightsArgs, INSIGHTS_LOG_GROUPS } from "./aws/insights";
export { Database, DatabaseArgs } from "./aws/database";
export { Cache, CacheArgs } from "./aws/cache";
export { ServiceNamespace, ServiceNamespaceArgs } from "./kubernetes/namespace";
export { appLabels, selectorLabels, AppIdentity } from "./kubernetes/labels";
export {
  Workload,
  WorkloadArgs,
  PodArgs,
  ContainerArgs,
  ContainerSecurityArgs,
  EnvVarArgs,
  PortArgs,
  ProbeArgs,
  ProbesArgs,
  MountArgs,
  VolumeArgs,
  ClaimArgs,
  KeyToPathArgs,
  ServiceArgs,
  SchedulingArgs,
  TolerationArgs,
  RolloutArgs,
  ResourcesArgs,
  ResourceListArgs,
  podSecurityFor,
  podSecurityLevel,
} from "./kubernetes/workload";
export { Task, TaskArgs } from "./kubernetes/task";
export { PublicEndpoint, PublicEndpointArgs, EndpointArgs, EndpointClassArgs, DnsRecordOutput, aliasRecord, OPEN_TO_ANYONE } from "./kubernetes/endpoint";
export { networkPolicy, podIdentityAgent, cidrRule, PeerArgs, TrafficRuleArgs, NetworkPolicyArgs, POD_IDENTITY_AGENT } from "./kubernetes/network";
export { PostgresStore, MysqlStore, RedisStore, DataStoreArgs, RedisStoreArgs, DataStoreTlsArgs, DataEndpoint, egressTo, credentialsSecret, CredentialsSecretArgs, STORE_IMAGES } from "./kubernetes/datastore";
export { DatabaseGrant, DatabaseGrantArgs, DatabaseGrantOptions } from "./kubernetes/grant";
export { CertificateAuthority, CertificateAuthorityArgs, IssuedCertificate } from "./kubernetes/certificates";
export {
  XRoadSecurityServer,
  XRoadSecurityServerArgs,
  XRoadSecretNames,
  XROAD_VERSION,
  XRoadArchiveArgs,
  XRoadAdminEndpointArgs,
  XRoadDnsArgs,
  xroadImageTag,
  XROAD_PORTS,
} from "./services/xroad";
export {
  RepositoryServiceTuf,
  RepositoryServiceTufArgs,
  RstufRoleArgs,
  RstufLocalStorageArgs,
  RstufS3StorageArgs,
  RstufEndpointsArgs,
  RSTUF_VERSIONS,
  RSTUF_PORTS,
} from "./services/rstuf";
export { sslibKey, SslibKey } from "./services/rstuf/keyid";
export { metadataNginxConf, MetadataNginxArgs } from "./kubernetes/metadata-web";
export {
  TrustedArtifactSigner,
  TrustedArtifactSignerArgs,
  SigstoreImagesArgs,
  SigstoreRoleArgs,
  SigstoreRolesArgs,
  RekorSignerArgs,
  FulcioCaArgs,
  CtLogKeyArgs,
  TsaSignerArgs,
  SigstoreTufArgs,
  SigstoreTreesArgs,
  SigstoreAttestationVolumeArgs,
  SigstoreAttestationBucketArgs,
  SigstoreEndpointsArgs,
  OidcIssuerArgs,
  SIGSTORE_IMAGES,
  SIGSTORE_PORTS,
} from "./services/sigstore";
export { trustedRootJson, signingConfigJson, TrustedRootArgs, SigningConfigArgs, LogArgs, AuthorityArgs } from "./services/sigstore/trust-root";
export { buildTufRepository, TufRepositoryArgs } from "./services/sigstore/tuf";
export { issueCertificate, CertificateArgs, CertificateSubject, legacyEncryptedPem, ctlogConfig, CtLogConfigArgs } from "./services/sigstore/x509";
export { apiAccess, ApiAccessArgs, AccessRuleArgs } from "./kubernetes/access";
export { Pulp, PulpArgs, PulpRoleArgs, PulpVolumeArgs, PulpBucketArgs, PulpEndpointArgs, PULP_IMAGES, PULP_PORTS, pulpSettingsPy, pulpNginxConf } from "./services/pulp";
