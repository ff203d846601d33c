/**
 * The `endpoints` block: how services a client reaches from outside the
 * cluster get a stable HTTPS hostname with a valid certificate
 * (upstream/endpoints.md). Absent, every service stays inside the cluster.
 *
 * On a created EKS cluster the AWS Load Balancer Controller serves them
 * through shared ALBs with an ACM certificate (requested here with Route 53
 * validation when `hostedZoneId` is given, else `certificateArn`); on an
 * existing cluster the given ingress class serves them and cert-manager's
 * `clusterIssuer` issues the certificates, and nothing is created in AWS.
 */
import { z } from "zod";
import { ALB_MAX_SOURCE_RANGES } from "../components/kubernetes/endpoint";
import { cidr, kubernetesName } from "./schema";

/** A DNS name of two labels or more (what a hostname suffix or a hostname is). */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const dnsName = z.string().regex(DNS_NAME, { message: "a lowercase DNS name such as trust.example.org" });

/** The TLS 1.2-or-newer ALB policies (LBC docs; ELB "describe-ssl-policies"): TLS 1.3 with 1.2, TLS 1.3 only, or forward-secret 1.2. */
export const SSL_POLICY = /^ELBSecurityPolicy-(TLS13-1-2|TLS13-1-3|FS-1-2|TLS-1-2)[A-Za-z0-9-]*$/;

export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09";

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

const ingressPods = z.strictObject({
  namespace: kubernetesName.describe("Namespace of the ingress controller's pods."),
  podLabels: z.record(z.string().regex(LABEL_KEY, { message: "a label key" }), z.string()).optional().describe("Labels of its pods (default: every pod of the namespace)."),
});

export const endpointsBlock = z.strictObject({
  domain: dnsName.describe("DNS suffix: each endpoint's hostname is `<name>.<domain>` unless its service sets its own."),
  hostedZoneId: z
    .string()
    .regex(/^Z[0-9A-Z]{1,31}$/, { message: "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ" })
    .optional()
    .describe("Route 53 hosted zone of `domain` (created cluster): the records point at the load balancers, and unless `certificateArn` is given an ACM certificate for the hostnames is requested and validated in it, which needs a public zone (with a private zone, give `certificateArn` too)."),
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, { message: "an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/<uuid>" })
    .optional()
    .describe("An existing ACM certificate for the hostnames, in the stack's region (created cluster); required without `hostedZoneId`, and then DNS is yours (outputs `dnsRecords`)."),
  scheme: z.enum(["internet-facing", "internal"]).default("internet-facing").describe("Scheme of the endpoints a service does not mark internal (admin UIs are always internal)."),
  sourceRanges: z.array(cidr).default([]).describe("CIDRs allowed to reach the endpoints that name none (empty: anyone, for endpoints meant for anyone)."),
  sslPolicy: z
    .string()
    .regex(SSL_POLICY, { message: "an ELB TLS 1.2-or-newer policy such as ELBSecurityPolicy-TLS13-1-2-2021-06" })
    .default(DEFAULT_SSL_POLICY)
    .describe("TLS policy of the HTTPS listeners (created cluster)."),
  ingressClassName: kubernetesName.optional().describe("Existing cluster: the IngressClass that serves the endpoints."),
  clusterIssuer: kubernetesName.optional().describe("Existing cluster: the cert-manager ClusterIssuer that issues their certificates."),
  ingressFrom: ingressPods.optional().describe("Existing cluster: where the ingress controller's traffic comes from (the backends' NetworkPolicies admit it)."),
  internalIngressClassName: kubernetesName
    .optional()
    .describe("Existing cluster: the IngressClass of a controller reachable only from inside your network; internal endpoints (admin UIs) use it, so it is required when a service has one."),
  internalIngressFrom: ingressPods.optional().describe("Existing cluster: where the internal controller's traffic comes from (default `ingressFrom`)."),
});

export type EndpointsSettings = z.output<typeof endpointsBlock>;

/** One endpoint a service asks for: its name, hostname and audience. */
export interface EndpointNeed {
  /** The service's settings key. */
  service: string;
  /** Endpoint name: the default hostname label and the key of the `endpoints` stack output. */
  name: string;
  /** The hostname (`<name>.<domain>` unless the service sets its own). */
  hostname: string;
  /** Reachable inside the VPC only (an internal load balancer). */
  internal: boolean;
  /** The settings key that sets the hostname (for errors). */
  hostnameKey?: string;
}

interface RootView {
  cluster: { create?: unknown; existing?: unknown };
}

/** Cross-field rules of the `endpoints` block; each names the key it is about. */
export function checkEndpoints(e: EndpointsSettings, root: RootView, needs: EndpointNeed[], ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (root.cluster.create) {
    if (e.clusterIssuer !== undefined) issue(["endpoints", "clusterIssuer"], "a created cluster gets its certificates from ACM (hostedZoneId or certificateArn); clusterIssuer is for an existing cluster with cert-manager");
    if (e.ingressClassName !== undefined) issue(["endpoints", "ingressClassName"], "a created cluster serves endpoints through the AWS Load Balancer Controller's class alb; ingressClassName is for an existing cluster");
    if (e.ingressFrom !== undefined) issue(["endpoints", "ingressFrom"], "on a created cluster the ALBs reach the pods from the VPC; ingressFrom is for an existing cluster");
    if (e.hostedZoneId === undefined && e.certificateArn === undefined) {
      issue(["endpoints", "hostedZoneId"], "a Route 53 hosted zone id for the domain (certificate and DNS made here), or endpoints.certificateArn (an existing ACM certificate; DNS left to you)");
    }
    for (const key of ["internalIngressClassName", "internalIngressFrom"] as const) {
      if (e[key] !== undefined) issue(["endpoints", key], "a created cluster's internal endpoints use an internal ALB of the controller; this key is for an existing cluster");
    }
    if (e.sourceRanges.length > ALB_MAX_SOURCE_RANGES) {
      issue(["endpoints", "sourceRanges"], `at most ${ALB_MAX_SOURCE_RANGES} CIDRs: an ALB listener rule matches three values per condition (cover them with wider ranges)`);
    }
  } else {
    for (const key of ["hostedZoneId", "certificateArn"] as const) {
      if (e[key] !== undefined) issue(["endpoints", key], "an existing cluster gets no AWS resources from endpoints: its certificates come from cert-manager (clusterIssuer); remove it");
    }
    if (e.ingressClassName === undefined) issue(["endpoints", "ingressClassName"], "the IngressClass of the existing cluster's ingress controller");
    if (e.clusterIssuer === undefined) issue(["endpoints", "clusterIssuer"], "the cert-manager ClusterIssuer that issues the endpoints' certificates");
    if (e.ingressFrom === undefined) issue(["endpoints", "ingressFrom"], "the namespace (and pod labels) of the ingress controller, so the backends' NetworkPolicies admit it");
    const internal = needs.find((n) => n.internal);
    if (internal && e.internalIngressClassName === undefined) {
      issue(["endpoints", "internalIngressClassName"], `the IngressClass of a controller reachable only from inside your network: ${internal.name} is internal (an admin UI is never public)`);
    }
  }
  // ACM's default quota: 10 names per certificate.
  if (root.cluster.create && e.certificateArn === undefined && new Set(needs.map((n) => n.hostname)).size > 10) {
    issue(["endpoints", "hostedZoneId"], `${needs.length} hostnames, more than the 10 an ACM certificate holds by default: request a quota increase and give endpoints.certificateArn`);
  }
  const seen = new Map<string, string>();
  for (const n of needs) {
    const where = n.hostnameKey ? n.hostnameKey.split(".") : ["endpoints", "domain"];
    const other = seen.get(n.hostname);
    if (other) issue(where, `hostname ${n.hostname} is already ${other}'s; give each endpoint its own`);
    seen.set(n.hostname, n.name);
    if (e.hostedZoneId && !n.hostname.endsWith(`.${e.domain}`)) {
      issue(where, `${n.hostname} is outside ${e.domain}, whose zone (hostedZoneId) gets the records; use a name under it`);
    }
  }
}

/** The ACM certificate's region must be the stack's (an ALB uses certificates of its own region). */
export function checkCertificateRegion(e: EndpointsSettings | undefined, region: string | undefined): string | undefined {
  if (!e?.certificateArn || !region) return undefined;
  const certRegion = e.certificateArn.split(":")[3];
  return certRegion === region ? undefined : `trust-services:endpoints.certificateArn: a certificate in ${certRegion} — one in the stack's region ${region} (an ALB only uses certificates of its own region)`;
}

/** The hostname of an endpoint: the service's own, or `<name>.<domain>`. */
export function hostnameOf(e: EndpointsSettings, name: string, own?: string): string {
  return own ?? `${name}.${e.domain}`;
}
