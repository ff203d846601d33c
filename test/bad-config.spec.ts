/**
 * The bad-input corpus: broken stack configs, written as a stack file's
 * `config:` block would be. Each must be refused before any resource is
 * registered, with a message that names the key.
 */
import * as assert from "assert";
import { SettingsError } from "../stacks/settings";
import { recordedSoFar, runStack } from "./harness";

const REGION = { "aws:region": "eu-west-1" };
const EXISTING = { "trust-services:cluster": { existing: { kubeconfig: { secure: "v1:kc" } } } };

/** [what is wrong, config, the key the error must name] */
const CORPUS: Array<[string, Record<string, unknown>, string]> = [
  // wrong types
  ["production as a word", { ...REGION, "trust-services:production": "yes" }, "trust-services:production"],
  ["topology as a number", { ...REGION, "trust-services:topology": 3 }, "trust-services:topology"],
  ["cluster as a string", { ...REGION, "trust-services:cluster": "eks" }, "trust-services:cluster"],
  ["nodes.min as a word", { ...REGION, "trust-services:cluster": { create: { nodes: { min: "two" } } } }, "trust-services:cluster.create.nodes.min"],
  ["instanceTypes as a string", { ...REGION, "trust-services:cluster": { create: { nodes: { instanceTypes: "m6i.large" } } } }, "trust-services:cluster.create.nodes.instanceTypes"],
  ["an unquoted Kubernetes version", { ...REGION, "trust-services:cluster": { create: { version: 1.33 } } }, "trust-services:cluster.create.version"],
  ["publicAccessCidrs as a string", { ...REGION, "trust-services:cluster": { create: { publicAccessCidrs: "0.0.0.0/0" } } }, "trust-services:cluster.create.publicAccessCidrs"],
  ["xroad as a list", { ...REGION, "trust-services:xroad": ["7.8.0"] }, "trust-services:xroad"],
  ["secondaries as a word", { ...REGION, "trust-services:xroad": { secondaries: "three" } }, "trust-services:xroad.secondaries"],
  ["secondaries as a fraction", { ...REGION, "trust-services:xroad": { secondaries: 2.5 } }, "trust-services:xroad.secondaries"],
  ["registered as a word", { ...REGION, "trust-services:xroad": { registered: "yes" } }, "trust-services:xroad.registered"],
  ["loadBalancer.enabled as a word", { ...REGION, "trust-services:xroad": { exposure: { loadBalancer: { enabled: "on" } } } }, "trust-services:xroad.exposure.loadBalancer.enabled"],
  ["database port as a word", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { given: { host: "db", port: "fivefour", password: { secure: "v1:x" } } } } }, "trust-services:xroad.database.given.port"],
  ["containerInsights as a word", { ...REGION, "trust-services:monitoring": { containerInsights: "yes" } }, "trust-services:monitoring.containerInsights"],
  // unknown keys and typos
  ["a typo at the top level", { ...REGION, "trust-services:topolgy": "ha" }, "trust-services:topolgy"],
  ["a typo in cluster", { ...REGION, "trust-services:cluster": { craete: {} } }, "trust-services:cluster.craete"],
  ["a typo in nodes", { ...REGION, "trust-services:cluster": { create: { nodes: { mininum: 2 } } } }, "trust-services:cluster.create.nodes.mininum"],
  ["a typo in xroad", { ...REGION, "trust-services:xroad": { secondarys: 3 } }, "trust-services:xroad.secondarys"],
  ["a typo in xroad.storage", { ...REGION, "trust-services:xroad": { storage: { configsize: "2Gi" } } }, "trust-services:xroad.storage.configsize"],
  // rstuf
  ["rstuf as a list", { ...REGION, "trust-services:rstuf": ["v1.0.1"] }, "trust-services:rstuf"],
  ["an API version without its v", { ...REGION, "trust-services:rstuf": { version: { api: "1.0.1" } } }, "trust-services:rstuf.version.api"],
  ["an encrypted online key", { ...REGION, "trust-services:rstuf": { onlineKey: { privateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n" } } }, "trust-services:rstuf.onlineKey.privateKey"],
  ["a KMS key id instead of its ARN", { ...REGION, "trust-services:rstuf": { onlineKey: { awsKmsKeyArn: "alias/rstuf" } } }, "trust-services:rstuf.onlineKey.awsKmsKeyArn"],
  ["a KMS online key on an existing cluster", { ...EXISTING, "trust-services:rstuf": { onlineKey: { awsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/0b5e9e7c-4a2f-4c3e-9d1a-2f7e1c6b8a90" } } }, "trust-services:rstuf.onlineKey.awsKmsKeyArn"],
  ["S3 metadata on an existing cluster", { ...EXISTING, "trust-services:rstuf": { storage: { backend: "s3" } } }, "trust-services:rstuf.storage.backend"],
  ["one worker in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:rstuf": { worker: { replicas: 1 } } }, "trust-services:rstuf.worker.replicas"],
  ["several workers on a volume no node shares", { ...EXISTING, "trust-services:rstuf": { worker: { replicas: 2 } } }, "trust-services:rstuf.storage.backend"],
  ["a Redis with TLS for RSTUF", { ...REGION, "trust-services:topology": "external-db", "trust-services:rstuf": { cache: { given: { host: "redis.internal" } } } }, "trust-services:rstuf.cache.given.tls"],
  ["a Redis password for RSTUF", { ...REGION, "trust-services:topology": "external-db", "trust-services:rstuf": { cache: { given: { host: "redis.internal", tls: false, password: { secure: "v1:x" } } } } }, "trust-services:rstuf.cache.given.password"],
  ["the RSTUF API on endpoints without allowedCidrs", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "trust-services:rstuf": {} }, "trust-services:rstuf.exposure.allowedCidrs"],
  ["a public RSTUF API without endpoints", { ...REGION, "trust-services:rstuf": { exposure: { api: "public" } } }, "trust-services:rstuf.exposure.api"],
  ["a bootstrap payload that is not the ceremony's", { ...REGION, "trust-services:rstuf": { bootstrap: { payload: "{\"roles\": {}}" } } }, "trust-services:rstuf.bootstrap.payload"],
  ["a Redis port RSTUF's lock ignores", { ...REGION, "trust-services:topology": "external-db", "trust-services:rstuf": { cache: { given: { host: "redis.internal", port: 6380, tls: false } } } }, "trust-services:rstuf.cache.given.port"],
  ["a KMS online key outside the bucket's region", { ...REGION, "trust-services:topology": "external-db", "trust-services:rstuf": { onlineKey: { awsKmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/0b5e9e7c-4a2f-4c3e-9d1a-2f7e1c6b8a90" } } }, "trust-services:rstuf.onlineKey.awsKmsKeyArn"],
  ["two web servers on a ReadWriteOnce volume", { ...REGION, "trust-services:rstuf": { web: { replicas: 2 } } }, "trust-services:rstuf.web.replicas"],
  ["a given RSTUF database password alembic cannot read", { ...REGION, "trust-services:topology": "external-db", "trust-services:rstuf": { database: { given: { host: "db.internal", password: "a@b%c" } } } }, "trust-services:rstuf.database.given.password"],
  ["a typo in rstuf", { ...REGION, "trust-services:rstuf": { workers: 3 } }, "trust-services:rstuf.workers"],
  ["a typo in xroad.exposure", { ...REGION, "trust-services:xroad": { exposure: { allowedNamespace: ["a"] } } }, "trust-services:xroad.exposure.allowedNamespace"],
  ["a typo in the database block", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { created: {} } } }, "trust-services:xroad.database.created"],
  ["a typo in backup", { ...REGION, "trust-services:backup": { retention: 7 } }, "trust-services:backup.retention"],
  ["a service this project does not run", { ...REGION, "trust-services:vault": {} }, "trust-services:vault"],
  ["an add-on EKS does not have", { ...REGION, "trust-services:cluster": { create: { addonVersions: { "aws-ebs-csi": "v1.0.0-eksbuild.1" } } } }, "trust-services:cluster.create.addonVersions.aws-ebs-csi"],
  // out of range
  ["zero nodes", { ...REGION, "trust-services:cluster": { create: { nodes: { min: 0 } } } }, "trust-services:cluster.create.nodes.min"],
  ["a thousand nodes", { ...REGION, "trust-services:cluster": { create: { nodes: { max: 1000 } } } }, "trust-services:cluster.create.nodes.max"],
  ["a 5 GiB node disk", { ...REGION, "trust-services:cluster": { create: { nodes: { diskSize: 5 } } } }, "trust-services:cluster.create.nodes.diskSize"],
  ["one availability zone", { ...REGION, "trust-services:network": { availabilityZones: 1 } }, "trust-services:network.availabilityZones"],
  ["one secondary in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { secondaries: 1 } }, "trust-services:xroad.secondaries"],
  ["a hundred secondaries", { ...REGION, "trust-services:xroad": { secondaries: 100 } }, "trust-services:xroad.secondaries"],
  ["3-day database backups", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { create: { backupRetentionDays: 3 } } } }, "trust-services:xroad.database.create.backupRetentionDays"],
  ["10 GiB of RDS storage", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { create: { allocatedStorage: 10 } } } }, "trust-services:xroad.database.create.allocatedStorage"],
  ["database port 70000", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { given: { host: "db", port: 70000, password: { secure: "v1:x" } } } } }, "trust-services:xroad.database.given.port"],
  ["a log retention CloudWatch does not offer", { ...REGION, "trust-services:monitoring": { logRetentionDays: 45 } }, "trust-services:monitoring.logRetentionDays"],
  ["nodes min above desired", { ...REGION, "trust-services:cluster": { create: { nodes: { min: 5, desired: 3, max: 6 } } } }, "trust-services:cluster.create.nodes"],
  // unknown enum words
  ["an unknown topology", { ...REGION, "trust-services:topology": "cluster" }, "trust-services:topology"],
  ["an unknown service topology", { ...REGION, "trust-services:xroad": { topology: "multi" } }, "trust-services:xroad.topology"],
  ["an unknown variant", { ...REGION, "trust-services:xroad": { variant: "mini" } }, "trust-services:xroad.variant"],
  ["an unknown country", { ...REGION, "trust-services:xroad": { country: "se" } }, "trust-services:xroad.country"],
  ["an unknown log level", { ...REGION, "trust-services:xroad": { logLevel: "VERBOSE" } }, "trust-services:xroad.logLevel"],
  ["an unknown NLB scheme", { ...REGION, "trust-services:xroad": { exposure: { loadBalancer: { scheme: "public" } } } }, "trust-services:xroad.exposure.loadBalancer.scheme"],
  ["an unknown target type", { ...REGION, "trust-services:xroad": { exposure: { loadBalancer: { targetType: "pod" } } } }, "trust-services:xroad.exposure.loadBalancer.targetType"],
  ["an unknown capacity type", { ...REGION, "trust-services:cluster": { create: { nodes: { capacityType: "RESERVED" } } } }, "trust-services:cluster.create.nodes.capacityType"],
  // images and versions
  ["X-Road at latest", { ...REGION, "trust-services:xroad": { version: "latest" } }, "trust-services:xroad.version"],
  ["X-Road 6", { ...REGION, "trust-services:xroad": { version: "6.26.0" } }, "trust-services:xroad.version"],
  ["X-Road older than 7.8.0", { ...REGION, "trust-services:xroad": { version: "7.5.1" } }, "trust-services:xroad.version"],
  ["the archiver at latest", { ...REGION, "trust-services:xroad": { archive: { image: "amazon/aws-cli:latest" } } }, "trust-services:xroad.archive.image"],
  ["the archiver without a tag", { ...REGION, "trust-services:xroad": { archive: { image: "amazon/aws-cli" } } }, "trust-services:xroad.archive.image"],
  ["PostgreSQL 15 for X-Road", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { create: { engineVersion: "15" } } } }, "trust-services:xroad.database.create.engineVersion"],
  ["an unpublished primary image (slim ee)", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { country: "ee" } }, "trust-services:xroad.country"],
  ["an unpublished standalone image (slim ee)", { ...REGION, "trust-services:xroad": { country: "ee" } }, "trust-services:xroad.country"],
  ["an unpublished fo primary image", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { variant: "full", country: "fo" } }, "trust-services:xroad.country"],
  // malformed values
  ["a CIDR with /33", { ...REGION, "trust-services:cluster": { create: { publicAccessCidrs: ["203.0.113.0/33"] } } }, "trust-services:cluster.create.publicAccessCidrs[0]"],
  ["a CIDR with a 300 octet", { ...REGION, "trust-services:network": { cidr: "10.300.0.0/16" } }, "trust-services:network.cidr"],
  ["a hostname where a CIDR belongs", { ...REGION, "trust-services:xroad": { exposure: { allowedCidrs: ["vpn.example.com"] } } }, "trust-services:xroad.exposure.allowedCidrs[0]"],
  ["an empty kubeconfig", { "trust-services:cluster": { existing: { kubeconfig: "" } } }, "trust-services:cluster.existing.kubeconfig"],
  ["a kubeconfig that is not one", { "trust-services:cluster": { existing: { kubeconfig: "https://10.0.0.1:6443" } } }, "trust-services:cluster.existing.kubeconfig"],
  ["a kubeconfig with no cluster server", { "trust-services:cluster": { existing: { kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\n" } } }, "trust-services:cluster.existing.kubeconfig"],
  ["a kubeconfig given as a list", { "trust-services:cluster": { existing: { kubeconfig: ["apiVersion: v1"] } } }, "trust-services:cluster.existing.kubeconfig"],
  ["a stack reference with spaces", { "trust-services:cluster": { existing: { stackReference: { name: "acme platform" } } } }, "trust-services:cluster.existing.stackReference.name"],
  ["an admin role that is not an ARN", { ...REGION, "trust-services:cluster": { create: { adminRoleArns: ["platform-admins"] } } }, "trust-services:cluster.create.adminRoleArns[0]"],
  ["a memory size in GB", { ...REGION, "trust-services:xroad": { resources: { limits: { memory: "4GB" } } } }, "trust-services:xroad.resources.limits.memory"],
  ["a CPU with a unit", { ...REGION, "trust-services:xroad": { resources: { requests: { cpu: "2 cores" } } } }, "trust-services:xroad.resources.requests.cpu"],
  ["a namespace with capitals", { ...REGION, "trust-services:xroad": { namespace: "XRoad" } }, "trust-services:xroad.namespace"],
  ["an interval in days", { ...REGION, "trust-services:xroad": { archive: { interval: "1d" } } }, "trust-services:xroad.archive.interval"],
  ["a backup schedule in crontab syntax", { ...REGION, "trust-services:backup": { schedule: "0 3 * * *" } }, "trust-services:backup.schedule"],
  ["a VPC id without prefix", { ...REGION, "trust-services:network": { existing: { vpcId: "0123", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] } } }, "trust-services:network.existing.vpcId"],
  // contradictions
  ["both a created and an existing cluster", { ...REGION, "trust-services:cluster": { create: {}, existing: { kubeconfig: { secure: "v1:kc" } } } }, "trust-services:cluster"],
  ["an existing cluster with both kubeconfig and stack reference", { "trust-services:cluster": { existing: { kubeconfig: { secure: "v1:kc" }, stackReference: { name: "a/b/c" } } } }, "trust-services:cluster.existing"],
  ["ha on an existing cluster and no database endpoint", { ...EXISTING, "trust-services:topology": "ha", "trust-services:xroad": { archive: { enabled: false } } }, "trust-services:xroad.database"],
  ["external-db on an existing cluster and no database endpoint", { ...EXISTING, "trust-services:topology": "external-db", "trust-services:xroad": {} }, "trust-services:xroad.database"],
  ["a database block with single", { ...REGION, "trust-services:xroad": { database: { create: {} } } }, "trust-services:xroad.database"],
  ["a database with both create and given", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { create: {}, given: { host: "db", password: { secure: "v1:x" } } } } }, "trust-services:xroad.database"],
  ["RDS beside an existing cluster without a network", { ...REGION, ...EXISTING, "trust-services:topology": "ha", "trust-services:xroad": { database: { create: {} } } }, "trust-services:xroad.database.create"],
  ["ha with ReadWriteOnce-only storage for the shared config", { ...EXISTING, "trust-services:topology": "ha", "trust-services:xroad": { storage: { sharedConfig: true }, database: { given: { host: "db", password: { secure: "v1:x" } } } } }, "trust-services:xroad.storage.sharedConfig"],
  ["shared config outside ha", { ...REGION, "trust-services:xroad": { storage: { sharedConfig: true } } }, "trust-services:xroad.storage.sharedConfig"],
  ["hostPath on EKS", { ...REGION, "trust-services:xroad": { storage: { hostPath: "/data" } } }, "trust-services:xroad.storage.hostPath"],
  ["the archiver on an existing cluster", { ...EXISTING, "trust-services:xroad": { archive: { enabled: true } } }, "trust-services:xroad.archive.enabled"],
  ["an NLB on a local cluster", { "trust-services:cluster": { existing: { kubeconfig: { secure: "v1:kc" }, local: true } }, "trust-services:xroad": { archive: { enabled: false } } }, "trust-services:xroad.exposure.loadBalancer.enabled"],
  ["ha on a single node", { ...REGION, "trust-services:topology": "ha", "trust-services:cluster": { create: { nodes: { min: 1, desired: 1, max: 1 } } }, "trust-services:xroad": {} }, "trust-services:xroad.topology"],
  ["zone names with an existing VPC", { ...REGION, "trust-services:network": { zoneNames: ["eu-west-1a", "eu-west-1b"], existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] } } }, "trust-services:network.zoneNames"],
  ["AWS resources without aws:region", { "trust-services:cluster": { create: {} } }, "aws:region"],
  // data needs, shared instances, scheduling
  ["a database with both create and shared", { ...REGION, "trust-services:topology": "ha", "trust-services:databases": { main: { engine: "postgres" } }, "trust-services:xroad": { database: { create: {}, shared: "main" } } }, "trust-services:xroad.database"],
  ["a shared instance that is not declared", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { shared: "main" } } }, "trust-services:xroad.database.shared"],
  ["a shared instance of another engine", { ...REGION, "trust-services:topology": "ha", "trust-services:databases": { main: { engine: "mysql" } }, "trust-services:xroad": { database: { shared: "main" } } }, "trust-services:xroad.database.shared"],
  ["a shared PostgreSQL X-Road cannot run on", { ...REGION, "trust-services:topology": "ha", "trust-services:databases": { main: { engine: "postgres", engineVersion: "15" } }, "trust-services:xroad": { database: { shared: "main" } } }, "trust-services:xroad.database.shared"],
  ["a shared instance name with capitals", { ...REGION, "trust-services:databases": { Main: { engine: "postgres" } } }, "trust-services:databases.Main"],
  ["a shared instance of an unknown engine", { ...REGION, "trust-services:databases": { main: { engine: "oracle" } } }, "trust-services:databases.main.engine"],
  ["a shared instance with a typo", { ...REGION, "trust-services:databases": { main: { engine: "postgres", instanceClas: "db.t4g.small" } } }, "trust-services:databases.main.instanceClas"],
  ["a shared instance without an AWS network", { ...EXISTING, "trust-services:databases": { main: { engine: "postgres" } } }, "trust-services:databases.main"],
  ["a given database CIDR that is a hostname", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { given: { host: "db", password: { secure: "v1:x" }, cidrs: ["db.example.com"] } } } }, "trust-services:xroad.database.given.cidrs[0]"],
  ["a toleration effect Kubernetes does not have", { ...REGION, "trust-services:xroad": { scheduling: { tolerations: [{ key: "dedicated", effect: "NoExecuteNow" }] } } }, "trust-services:xroad.scheduling.tolerations[0].effect"],
  ["a node selector given as a list", { ...REGION, "trust-services:xroad": { scheduling: { nodeSelector: ["pool=trust"] } } }, "trust-services:xroad.scheduling.nodeSelector"],
  ["a node selector key with spaces", { ...REGION, "trust-services:xroad": { scheduling: { nodeSelector: { "node pool": "trust" } } } }, "trust-services:xroad.scheduling.nodeSelector.node pool"],
  ["a toleration with a value and operator Exists", { ...REGION, "trust-services:xroad": { scheduling: { tolerations: [{ key: "dedicated", operator: "Exists", value: "trust" }] } } }, "trust-services:xroad.scheduling.tolerations[0].value"],
  ["tolerationSeconds for a NoSchedule taint", { ...REGION, "trust-services:xroad": { scheduling: { tolerations: [{ key: "dedicated", effect: "NoSchedule", tolerationSeconds: 60 }] } } }, "trust-services:xroad.scheduling.tolerations[0].tolerationSeconds"],
  ["a toleration without key that is not Exists", { ...REGION, "trust-services:xroad": { scheduling: { tolerations: [{ value: "trust", effect: "NoSchedule" }] } } }, "trust-services:xroad.scheduling.tolerations[0].operator"],
  ["a shared instance name with a double hyphen (no RDS identifier)", { ...REGION, "trust-services:databases": { "a--b": { engine: "postgres" } } }, "trust-services:databases.a--b"],
  ["a shared instance name ending in a hyphen", { ...REGION, "trust-services:databases": { "main-": { engine: "postgres" } } }, "trust-services:databases.main-"],
  ["a MySQL instance at PostgreSQL's version", { ...REGION, "trust-services:databases": { main: { engine: "mysql", engineVersion: "16" } } }, "trust-services:databases.main.engineVersion"],
  ["a PostgreSQL instance at MySQL's version", { ...REGION, "trust-services:databases": { main: { engine: "postgres", engineVersion: "8.4" } } }, "trust-services:databases.main.engineVersion"],
  ["a given database name with capitals and a dash", { ...REGION, "trust-services:topology": "ha", "trust-services:xroad": { database: { given: { host: "db", password: { secure: "v1:x" }, database: "X-Road" } } } }, "trust-services:xroad.database.given.database"],
  // public endpoints
  ["a domain that is not a DNS name", { ...REGION, "trust-services:endpoints": { domain: "trust example", hostedZoneId: "Z0123456789ABCDEFGHIJ" } }, "trust-services:endpoints.domain"],
  ["a domain with capitals and a trailing dot", { ...REGION, "trust-services:endpoints": { domain: "Trust.Example.org.", hostedZoneId: "Z0123456789ABCDEFGHIJ" } }, "trust-services:endpoints.domain"],
  ["a hosted zone id of the wrong form", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "zone-1234" } }, "trust-services:endpoints.hostedZoneId"],
  ["a certificateArn that is not an ACM ARN", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", certificateArn: "arn:aws:iam::123456789012:server-certificate/trust" } }, "trust-services:endpoints.certificateArn"],
  ["an ACM certificate in another region", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f" } }, "trust-services:endpoints.certificateArn"],
  ["clusterIssuer on a created cluster", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", clusterIssuer: "letsencrypt" } }, "trust-services:endpoints.clusterIssuer"],
  ["ingressClassName on a created cluster", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", ingressClassName: "nginx" } }, "trust-services:endpoints.ingressClassName"],
  ["neither a zone nor a certificate on a created cluster", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org" } }, "trust-services:endpoints.hostedZoneId"],
  ["a hosted zone on an existing cluster", { ...EXISTING, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", ingressClassName: "nginx", clusterIssuer: "le", ingressFrom: { namespace: "ingress-nginx" } } }, "trust-services:endpoints.hostedZoneId"],
  ["an existing cluster without an issuer", { ...EXISTING, "trust-services:endpoints": { domain: "trust.example.org", ingressClassName: "nginx", ingressFrom: { namespace: "ingress-nginx" } } }, "trust-services:endpoints.clusterIssuer"],
  ["an existing cluster without an ingress class", { ...EXISTING, "trust-services:endpoints": { domain: "trust.example.org", clusterIssuer: "le", ingressFrom: { namespace: "ingress-nginx" } } }, "trust-services:endpoints.ingressClassName"],
  ["an existing cluster without the controller's namespace", { ...EXISTING, "trust-services:endpoints": { domain: "trust.example.org", ingressClassName: "nginx", clusterIssuer: "le" } }, "trust-services:endpoints.ingressFrom"],
  [
    "an admin UI on an existing cluster with no internal ingress class",
    { ...EXISTING, "trust-services:endpoints": { domain: "trust.example.org", ingressClassName: "nginx", clusterIssuer: "le", ingressFrom: { namespace: "ingress-nginx" } }, "trust-services:xroad": { archive: { enabled: false } } },
    "trust-services:endpoints.internalIngressClassName",
  ],
  ["a TLS policy that allows TLS 1.0", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", sslPolicy: "ELBSecurityPolicy-2016-08" } }, "trust-services:endpoints.sslPolicy"],
  ["an unknown endpoint scheme", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", scheme: "public" } }, "trust-services:endpoints.scheme"],
  ["a source range that is not a CIDR", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", sourceRanges: ["office"] } }, "trust-services:endpoints.sourceRanges[0]"],
  ["an admin hostname outside the zone's domain", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "trust-services:xroad": { exposure: { adminHostname: "admin.other.org", allowedCidrs: ["10.8.0.0/16"] } } }, "trust-services:xroad.exposure.adminHostname"],
  ["an admin UI endpoint with nobody allowed to reach it", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "trust-services:xroad": {} }, "trust-services:xroad.exposure.allowedCidrs"],
  ["an admin hostname without endpoints", { ...REGION, "trust-services:xroad": { exposure: { adminHostname: "admin.trust.example.org" } } }, "trust-services:xroad.exposure.adminHostname"],
  ["an NLB hostname outside the zone's domain", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "trust-services:xroad": { exposure: { adminHostname: "xroad-admin.trust.example.org", loadBalancer: { hostname: "xroad.other.org" } } } }, "trust-services:xroad.exposure.loadBalancer.hostname"],
  ["an NLB target type on a created cluster", { ...REGION, "trust-services:xroad": { exposure: { loadBalancer: { targetType: "instance" } } } }, "trust-services:xroad.exposure.loadBalancer.targetType"],
  ["a typo in endpoints", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneID: "Z0123456789ABCDEFGHIJ" } }, "trust-services:endpoints.hostedZoneID"],
  ["a controller chart version that is not one", { ...REGION, "trust-services:cluster": { create: { loadBalancerController: { chartVersion: "latest" } } } }, "trust-services:cluster.create.loadBalancerController.chartVersion"],
  ["four source ranges for an ALB", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ", sourceRanges: ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"] } }, "trust-services:endpoints.sourceRanges"],
  ["four admin CIDRs behind an ALB", { ...REGION, "trust-services:endpoints": { domain: "trust.example.org", hostedZoneId: "Z0123456789ABCDEFGHIJ" }, "trust-services:xroad": { exposure: { allowedCidrs: ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"] } } }, "trust-services:xroad.exposure.allowedCidrs"],
  ["log retention of zero days", { ...REGION, "trust-services:accessLogs": { retentionDays: 0 } }, "trust-services:accessLogs.retentionDays"],
  // sigstore
  ["sigstore without an OIDC issuer", { ...REGION, "trust-services:sigstore": {} }, "trust-services:sigstore.oidcIssuers"],
  ["an OIDC issuer over http", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "http://idp.example.org", type: "email" }] } }, "trust-services:sigstore.oidcIssuers[0].issuerUrl"],
  ["an OIDC issuer type Fulcio lacks", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "oauth" }] } }, "trust-services:sigstore.oidcIssuers[0].type"],
  ["a uri issuer without its subject domain", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "uri" }] } }, "trust-services:sigstore.oidcIssuers[0].subjectDomain"],
  ["the same issuer twice", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }, { issuerUrl: "https://idp.example.org", type: "email" }] } }, "trust-services:sigstore.oidcIssuers"],
  ["two Rekor replicas in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], rekor: { replicas: 2 } } }, "trust-services:sigstore.rekor.replicas"],
  ["one log signer in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], trillianLogSigner: { replicas: 1 } } }, "trust-services:sigstore.trillianLogSigner.replicas"],
  ["a Rekor key that is not an ECDSA P-256 key", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], keys: { rekor: { privateKey: "-----BEGIN PRIVATE KEY-----\nMIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDA=\n-----END PRIVATE KEY-----\n" } } } }, "trust-services:sigstore.keys.rekor.privateKey"],
  ["a Rekor KMS key without its public key", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], keys: { rekor: { awsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000" } } } }, "trust-services:sigstore.keys.rekor.publicKey"],
  ["a Fulcio KMS key without its chain", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], keys: { fulcio: { awsKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-4000-8000-000000000000" } } } }, "trust-services:sigstore.keys.fulcio.certificateChain"],
  ["a TSA chain that is not PEM", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], keys: { tsa: { certificateChain: "leaf,root" } } } }, "trust-services:sigstore.keys.tsa.certificateChain"],
  ["S3 attestations on an existing cluster", { ...EXISTING, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], attestations: { backend: "s3" } } }, "trust-services:sigstore.attestations.backend"],
  ["TUF renewal after expiry", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], tuf: { expiryDays: 30, renewAfterDays: 30 } } }, "trust-services:sigstore.tuf.renewAfterDays"],
  ["a Rekor hostname without endpoints", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], exposure: { rekorHostname: "rekor.example.org" } } }, "trust-services:sigstore.exposure.rekorHostname"],
  ["a tree id that is not a number", { ...REGION, "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], trees: { rekor: "tree-1" } } }, "trust-services:sigstore.trees.rekor"],
  ["a given database CA that is not PEM", { ...REGION, "trust-services:topology": "external-db", "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], database: { given: { host: "db", password: { secure: "v1:x" }, caCertificate: "ca.pem" } } } }, "trust-services:sigstore.database.given.caCertificate"],
  ["a MySQL 5.7 for Trillian", { ...REGION, "trust-services:topology": "external-db", "trust-services:sigstore": { oidcIssuers: [{ issuerUrl: "https://idp.example.org", type: "email" }], database: { create: { engineVersion: "5.7" } } } }, "trust-services:sigstore.database.create.engineVersion"],
  // pulp
  ["pulp as a list", { ...REGION, "trust-services:pulp": ["3.105.16"] }, "trust-services:pulp"],
  ["an unpinned Pulp image", { ...REGION, "trust-services:pulp": { image: "quay.io/pulp/pulp-minimal:latest" } }, "trust-services:pulp.image"],
  ["one API in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:pulp": { api: { replicas: 1 } } }, "trust-services:pulp.api.replicas"],
  ["one worker in ha", { ...REGION, "trust-services:topology": "ha", "trust-services:pulp": { worker: { replicas: 1 } } }, "trust-services:pulp.worker.replicas"],
  ["S3 artifacts on an existing cluster", { ...EXISTING, "trust-services:pulp": { storage: { backend: "s3" } } }, "trust-services:pulp.storage.backend"],
  ["several Pulp workers on a volume no node shares", { ...EXISTING, "trust-services:pulp": { worker: { replicas: 3 } } }, "trust-services:pulp.storage.backend"],
  ["a Pulp CA that is not PEM", { ...REGION, "trust-services:pulp": { certificateAuthority: { certificate: "ca.pem", privateKey: { secure: "v1:k" } } } }, "trust-services:pulp.certificateAuthority.certificate"],
  ["a given Pulp database over TLS without its CA", { ...REGION, "trust-services:topology": "external-db", "trust-services:pulp": { database: { given: { host: "db", password: { secure: "v1:x" } } } } }, "trust-services:pulp.database.given.caCertificate"],
  ["a Pulp hostname without endpoints", { ...REGION, "trust-services:pulp": { exposure: { hostname: "pulp.example.org" } } }, "trust-services:pulp.exposure.hostname"],
];

describe("bad-input corpus", () => {
  it(`holds at least 50 broken configs (${CORPUS.length})`, () => {
    assert.ok(CORPUS.length >= 50);
  });

  for (const [what, config, key] of CORPUS) {
    it(`refuses ${what}, naming ${key}`, async () => {
      let error: unknown;
      try {
        await runStack(config, "corpus");
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof SettingsError, `accepted, or failed otherwise: ${error}`);
      assert.equal(recordedSoFar().length, 0, "nothing registered");
      const lines = (error as SettingsError).problems;
      assert.ok(
        lines.some((l) => l.startsWith(`${key}:`)),
        `no line for ${key}:\n${lines.join("\n")}`,
      );
      const line = lines.find((l) => l.startsWith(`${key}:`))!;
      assert.match(line, / — /, "says what is allowed");
      assert.ok(!line.includes("MOCKSECRET"), "never echoes a secret");
    });
  }
});
