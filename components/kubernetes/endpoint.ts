/**
 * The service kit's public endpoint: "serve this Service at this hostname (and
 * path) over HTTPS with a valid certificate". Every service that a client
 * reaches from outside the cluster is served with it, and nothing else makes
 * an Ingress.
 *
 * Two ways, chosen by the stack's `EndpointClassArgs`:
 * - `alb`: the AWS Load Balancer Controller (created cluster). Endpoints join
 *   one ALB per scheme through an IngressGroup (`<group>-public`,
 *   `<group>-internal`: the scheme is a property of the ALB); HTTPS with the
 *   ACM certificate and a TLS 1.2-or-newer policy, HTTP redirected, access logs
 *   to the log bucket, `ip` targets with a health check per backend, source
 *   ranges as a listener-rule condition of each endpoint, and a Route 53 alias
 *   when the stack has the zone (upstream/endpoints.md §1, §4, §5).
 * - `cert-manager`: an existing cluster's ingress class, with a certificate
 *   issued by the given ClusterIssuer into `<name>-tls` (§6).
 *
 * The house rules are checked here before anything is registered: an admin
 * UI or API is never internet-facing, and an internet-facing endpoint names
 * its source ranges or says why it is meant for anyone.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { argError } from "../checks";
import { PeerArgs } from "./network";

export const ENDPOINT_MODES = ["alb", "cert-manager"];
export const BACKEND_PROTOCOLS = ["HTTP", "HTTPS", "GRPC"];
/** Annotation of an internet-facing endpoint meant for anyone: the reason (e.g. "TUF clients everywhere fetch metadata"). */
export const OPEN_TO_ANYONE = "trust-services.io/open-to-anyone";
/** Label of an endpoint that serves an admin UI or admin API (never internet-facing). */
export const ENDPOINT_AUDIENCE = "trust-services.io/audience";
const ALB = "alb.ingress.kubernetes.io";
/** Source ranges an ALB listener rule can match (three values per condition). */
export const ALB_MAX_SOURCE_RANGES = 3;
/** ingress-nginx's source-range allow list. */
export const NGINX_SOURCE_RANGES = "nginx.ingress.kubernetes.io/whitelist-source-range";

/** How this stack serves endpoints: made once by the platform, handed to every service. */
export interface EndpointClassArgs {
  /** "alb" (AWS Load Balancer Controller, ACM) or "cert-manager" (any ingress controller). */
  mode: string;
  /** IngressClass of the endpoints ("alb" for the controller this project installs). */
  ingressClassName: string;
  /** DNS suffix: an endpoint's hostname is `<name>.<domain>` unless given. */
  domain: string;
  /** "internet-facing" or "internal": the scheme of endpoints that do not choose. @default "internet-facing" */
  scheme?: string;
  /** CIDRs admitted to endpoints that name none. @default [] (anyone) */
  sourceRanges?: string[];
  /** Where the traffic of internet-facing endpoints reaches the backends from: the ALBs' subnets, or the ingress controller's pods. */
  proxyPeers: PeerArgs[];
  /** Where the traffic of internal endpoints comes from (an internal ALB's subnets, or the internal controller's pods). @default proxyPeers */
  internalProxyPeers?: PeerArgs[];
  /** cert-manager: the IngressClass of a controller reachable only from inside the network (internal endpoints). */
  internalIngressClassName?: string;
  /** alb: the subnets of internet-facing ALBs. @default the controller's discovery (subnets tagged kubernetes.io/role/elb) */
  publicSubnetIds?: pulumi.Input<string>[];
  /** alb: the subnets of internal ALBs. @default the controller's discovery (kubernetes.io/role/internal-elb) */
  privateSubnetIds?: pulumi.Input<string>[];
  /** alb: prefix of the IngressGroup names (`<prefix>-public`, `<prefix>-internal`; ≤ 54 characters). */
  groupPrefix?: string;
  /** alb: the ACM certificate of the hostnames (use a validated certificate's ARN, so endpoints wait for issuance). */
  certificateArn?: pulumi.Input<string>;
  /** alb: the HTTPS listeners' TLS policy. @default "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09" */
  sslPolicy?: string;
  /** alb: the bucket the ALBs write access logs to (under `alb/<group>`). */
  accessLogBucket?: pulumi.Input<string>;
  /** alb: the Route 53 zone that gets an alias record per endpoint (absent: DNS is the user's). */
  hostedZoneId?: string;
  /** alb: the canonical hosted zone of ALBs in the region (`aws.lb.getHostedZoneId`), for the alias records. */
  loadBalancerZoneId?: pulumi.Input<string>;
  /** cert-manager: the ClusterIssuer of the certificates. */
  clusterIssuer?: string;
  /** Tags of the load balancers. */
  tags?: Record<string, string>;
}

/** What one endpoint serves and to whom (the Service and port come from the Workload, or from PublicEndpointArgs). */
export interface EndpointArgs {
  /** The stack's way of serving endpoints. */
  endpointClass: EndpointClassArgs;
  /** Endpoint name: the Ingress's name and the default hostname label. */
  name: string;
  /** @default `<name>.<domain>` */
  hostname?: string;
  /** URL path prefix served. @default "/" */
  path?: string;
  /** Served by the internal load balancer only. @default the class's scheme */
  internal?: boolean;
  /** An admin UI or admin API: refused on an internet-facing endpoint. @default false */
  admin?: boolean;
  /** CIDRs admitted. @default the class's sourceRanges */
  sourceRanges?: string[];
  /** Why an internet-facing endpoint without source ranges is meant for anyone (required then). */
  openToAnyoneReason?: string;
  /** "HTTP", "HTTPS" (to the backend's own certificate) or "GRPC" (plaintext gRPC behind TLS at the load balancer). @default "HTTP" */
  backendProtocol?: string;
  /** The health-check path the upstream documents. @default "/" ("/grpc.health.v1.Health/Check" for gRPC) */
  healthCheckPath?: string;
  /** Codes a healthy backend answers. @default "200" ("0" for gRPC) */
  successCodes?: string;
}

export interface PublicEndpointArgs extends EndpointArgs {
  namespace: pulumi.Input<string>;
  /** The Service that serves the endpoint (in `namespace`). */
  serviceName: string;
  /** Its port. */
  servicePort: number;
  labels?: Record<string, string>;
}

/** A DNS record the user makes when the stack has no zone. */
export interface DnsRecordOutput {
  name: string;
  /** "CNAME" for a load balancer's hostname, "A" for an address. */
  type: pulumi.Output<string>;
  value: pulumi.Output<string>;
}

/** The record that points `name` at a load balancer's address (a hostname or an IP). */
export function dnsRecordFor(name: string, address: pulumi.Output<string>): DnsRecordOutput {
  return { name, type: address.apply((a) => (/^\d{1,3}(\.\d{1,3}){3}$/.test(a) ? "A" : a.includes(":") ? "AAAA" : "CNAME")), value: address };
}

/** The endpoint's resolved settings, after defaults and the house checks. */
export function resolveEndpoint(where: string, e: EndpointArgs) {
  const c = e.endpointClass;
  const fail = (key: string, value: unknown, allowed: string) => argError(where, key, value, allowed);
  if (!ENDPOINT_MODES.includes(c.mode)) fail("endpointClass.mode", c.mode, ENDPOINT_MODES.join(" or "));
  const scheme = c.scheme ?? "internet-facing";
  if (!["internet-facing", "internal"].includes(scheme)) fail("endpointClass.scheme", scheme, "internet-facing or internal");
  const internal = e.internal ?? scheme === "internal";
  const hostname = e.hostname ?? `${e.name}.${c.domain}`;
  const path = e.path ?? "/";
  const protocol = e.backendProtocol ?? "HTTP";
  const sourceRanges = e.sourceRanges ?? c.sourceRanges ?? [];
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(e.name)) fail("name", e.name, "a DNS label (the Ingress's name)");
  if (!/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(hostname) || hostname.length > 253) fail("hostname", hostname, "a lowercase DNS name");
  if (!path.startsWith("/")) fail("path", path, "a path starting with /");
  if (!BACKEND_PROTOCOLS.includes(protocol)) fail("backendProtocol", protocol, BACKEND_PROTOCOLS.join(", "));
  if (e.admin && !internal) fail("internal", false, "true: an admin UI or admin API is never on an internet-facing endpoint");
  if (!internal && sourceRanges.length === 0 && !e.openToAnyoneReason) {
    fail("sourceRanges", [], "the CIDRs allowed, or an openToAnyoneReason saying why this internet-facing endpoint is meant for anyone");
  }
  if (c.mode === "alb") {
    if (c.certificateArn === undefined) fail("endpointClass.certificateArn", undefined, "the ACM certificate of the hostnames (mode alb)");
    if (!c.groupPrefix || c.groupPrefix.length > 54) fail("endpointClass.groupPrefix", c.groupPrefix, "an IngressGroup name prefix of 1 to 54 characters (mode alb)");
    // An ALB listener rule matches at most three values per condition (LBC annotations.md, "conditions" limitations).
    if (sourceRanges.length > ALB_MAX_SOURCE_RANGES) fail("sourceRanges", sourceRanges, `at most ${ALB_MAX_SOURCE_RANGES} CIDRs on an ALB (a listener rule matches three values per condition): cover them with wider ranges`);
  } else {
    if (!c.clusterIssuer) fail("endpointClass.clusterIssuer", c.clusterIssuer, "the cert-manager ClusterIssuer (mode cert-manager)");
    if (internal && !c.internalIngressClassName) fail("endpointClass.internalIngressClassName", undefined, "the IngressClass of an internal-only controller, for internal endpoints (mode cert-manager)");
  }
  const grpc = protocol === "GRPC";
  return {
    internal,
    ingressClassName: internal && c.mode !== "alb" ? c.internalIngressClassName! : c.ingressClassName,
    proxyPeers: internal && c.internalProxyPeers ? c.internalProxyPeers : c.proxyPeers,
    hostname,
    path,
    protocol,
    sourceRanges,
    healthCheckPath: e.healthCheckPath ?? (grpc ? "/grpc.health.v1.Health/Check" : "/"),
    successCodes: e.successCodes ?? (grpc ? "0" : "200"),
  };
}

/**
 * One HTTPS endpoint: the Ingress for a Service's port at a hostname, and on
 * an ALB with a zone, the alias record. Its URL is `https://<hostname><path>`.
 */
export class PublicEndpoint extends pulumi.ComponentResource {
  /** `https://<hostname><path>` */
  public readonly url: string;
  public readonly hostname: string;
  /** The load balancer's (or ingress controller's) address. */
  public readonly address: pulumi.Output<string>;
  /** The record to create in DNS when the stack has no zone (absent when the stack writes it). */
  public readonly dnsRecord?: DnsRecordOutput;

  constructor(name: string, args: PublicEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `PublicEndpoint ${name}`;
    const r = resolveEndpoint(where, args);
    super("trust-services:index:PublicEndpoint", name, {}, opts);
    const c = args.endpointClass;
    const child = { parent: this };
    const alb = c.mode === "alb";
    this.hostname = r.hostname;
    this.url = `https://${r.hostname}${r.path === "/" ? "" : r.path}`;

    const annotations: Record<string, pulumi.Input<string>> = {};
    if (!r.internal && r.sourceRanges.length === 0) annotations[OPEN_TO_ANYONE] = args.openToAnyoneReason!;
    if (alb) {
      const group = `${c.groupPrefix}-${r.internal ? "internal" : "public"}`;
      Object.assign(annotations, {
        [`${ALB}/group.name`]: group,
        [`${ALB}/scheme`]: r.internal ? "internal" : "internet-facing",
        [`${ALB}/target-type`]: "ip",
        [`${ALB}/listen-ports`]: JSON.stringify([{ HTTP: 80 }, { HTTPS: 443 }]),
        [`${ALB}/ssl-redirect`]: "443",
        [`${ALB}/certificate-arn`]: c.certificateArn!,
        [`${ALB}/ssl-policy`]: c.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
        // gRPC: HTTP/2 to a plaintext gRPC port (the ALB terminates TLS; LBC docs/examples/grpc).
        [`${ALB}/backend-protocol`]: r.protocol === "HTTPS" ? "HTTPS" : "HTTP",
        ...(r.protocol === "GRPC" ? { [`${ALB}/backend-protocol-version`]: "GRPC" } : {}),
        [`${ALB}/healthcheck-protocol`]: r.protocol === "HTTPS" ? "HTTPS" : "HTTP",
        [`${ALB}/healthcheck-path`]: r.healthCheckPath,
        [`${ALB}/success-codes`]: r.successCodes,
        // Group-wide: every endpoint of the group carries the same values.
        [`${ALB}/load-balancer-attributes`]: pulumi.interpolate`${
          c.accessLogBucket !== undefined ? pulumi.interpolate`access_logs.s3.enabled=true,access_logs.s3.bucket=${c.accessLogBucket},access_logs.s3.prefix=alb/${group},` : ""
        }routing.http.drop_invalid_header_fields.enabled=true`,
        ...(c.tags && Object.keys(c.tags).length ? { [`${ALB}/tags`]: Object.entries(c.tags).map(([k, v]) => `${k}=${v}`).join(",") } : {}),
      });
      // The group's subnets, where the stack knows them (else the controller discovers them by their role tags).
      const subnets = r.internal ? c.privateSubnetIds : c.publicSubnetIds;
      if (subnets?.length) annotations[`${ALB}/subnets`] = pulumi.all(subnets).apply((ids) => ids.join(","));
      if (r.sourceRanges.length > 0) {
        // A listener-rule condition of this endpoint alone: other endpoints of the shared ALB keep their own.
        annotations[`${ALB}/conditions.${args.serviceName}`] = JSON.stringify([{ field: "source-ip", sourceIpConfig: { values: r.sourceRanges } }]);
      }
    } else {
      annotations["cert-manager.io/cluster-issuer"] = c.clusterIssuer!;
      // Other controllers spell these their own way; ingress-nginx's are the ones most clusters read.
      if (r.protocol !== "HTTP") annotations["nginx.ingress.kubernetes.io/backend-protocol"] = r.protocol;
      if (r.sourceRanges.length > 0) annotations[NGINX_SOURCE_RANGES] = r.sourceRanges.join(",");
    }
    const ingress = new k8s.networking.v1.Ingress(
      name,
      {
        metadata: {
          name: args.name,
          namespace: args.namespace,
          labels: { ...(args.labels ?? {}), ...(args.admin ? { [ENDPOINT_AUDIENCE]: "admin" } : {}) },
          annotations,
        },
        spec: {
          ingressClassName: r.ingressClassName,
          // cert-manager issues `<name>-tls` for the host; the ALB takes its certificate from ACM instead.
          tls: alb ? undefined : [{ hosts: [r.hostname], secretName: `${args.name}-tls` }],
          rules: [
            {
              host: r.hostname,
              http: { paths: [{ path: r.path, pathType: "Prefix", backend: { service: { name: args.serviceName, port: { number: args.servicePort } } } }] },
            },
          ],
        },
      },
      child,
    );
    this.address = ingress.status.loadBalancer.ingress.apply((i) => i?.[0]?.hostname ?? i?.[0]?.ip ?? "");
    if (alb && c.hostedZoneId) {
      aliasRecord(`${name}-dns`, { zoneId: c.hostedZoneId, hostname: r.hostname, target: this.address, targetZoneId: c.loadBalancerZoneId! }, child);
    } else {
      this.dnsRecord = dnsRecordFor(r.hostname, this.address);
    }
    this.registerOutputs({ url: this.url, address: this.address });
  }
}

/** An alias A record in a Route 53 zone for a load balancer's hostname. */
export function aliasRecord(
  name: string,
  args: { zoneId: pulumi.Input<string>; hostname: string; target: pulumi.Input<string>; targetZoneId: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): aws.route53.Record {
  return new aws.route53.Record(
    name,
    {
      zoneId: args.zoneId,
      name: args.hostname,
      type: "A",
      aliases: [{ name: args.target, zoneId: args.targetZoneId, evaluateTargetHealth: true }],
    },
    opts,
  );
}
