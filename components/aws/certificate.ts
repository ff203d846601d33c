/**
 * An ACM certificate for a set of hostnames, validated through DNS records in
 * a Route 53 zone (upstream/endpoints.md §4). The records are built from the
 * known host list, not inside an `apply`, so a preview shows them; they stay
 * for ACM's automatic renewals. `certificateArn` resolves once ACM has issued
 * the certificate, so whatever uses it waits for issuance.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { argError } from "../checks";

export interface DnsValidatedCertificateArgs {
  /** The hostnames (the first is the subject; at most 10 by ACM's default quota). */
  hostnames: string[];
  /** The public Route 53 zone that holds the hostnames' validation records (a private one is refused). */
  hostedZoneId: pulumi.Input<string>;
  tags?: Record<string, string>;
}

export class DnsValidatedCertificate extends pulumi.ComponentResource {
  /** The certificate's ARN, once issued. */
  public readonly certificateArn: pulumi.Output<string>;

  constructor(name: string, args: DnsValidatedCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    const hosts = [...new Set(args.hostnames)];
    if (hosts.length === 0 || hosts.length > 10) argError(`DnsValidatedCertificate ${name}`, "hostnames", args.hostnames, "1 to 10 hostnames (ACM's default quota per certificate)");
    super("trust-services:index:DnsValidatedCertificate", name, {}, opts);
    const child = { parent: this };
    // ACM validates through public DNS: in a private zone the records are never seen, and the validation
    // would wait 75 minutes and fail. Say so before that.
    const zoneId = aws.route53.getZoneOutput({ zoneId: args.hostedZoneId }, child).apply((zone) => {
      if (zone.privateZone) {
        throw new Error(`DnsValidatedCertificate ${name}: hosted zone ${zone.zoneId} (${zone.name}) is private — ACM validates certificates through public DNS: use a public zone, or give an existing certificate (endpoints.certificateArn)`);
      }
      return zone.zoneId;
    });
    const cert = new aws.acm.Certificate(
      name,
      { domainName: hosts[0], subjectAlternativeNames: hosts.slice(1), validationMethod: "DNS", keyAlgorithm: "RSA_2048", tags: args.tags },
      // A new host list means a new certificate: issue it before the old one goes, so listeners always have one.
      child,
    );
    // One validation record per name; a wildcard and its apex share one, so only the first of them writes it.
    const recordHosts = hosts.filter((h, i) => !h.startsWith("*.") || !hosts.slice(0, i).includes(h.slice(2)));
    const records = recordHosts.map((host) => {
      const option = cert.domainValidationOptions.apply((opts) => {
        const o = opts.find((x) => x.domainName === host);
        if (!o) throw new Error(`ACM returned no validation option for ${host}`);
        return o;
      });
      return new aws.route53.Record(
        `${name}-validation-${host.replace(/^\*\./, "wildcard.")}`,
        {
          zoneId,
          name: option.resourceRecordName,
          type: option.resourceRecordType,
          records: [option.resourceRecordValue],
          ttl: 300,
          // A replacement certificate for the same name gets the same validation record.
          allowOverwrite: true,
        },
        child,
      );
    });
    const validation = new aws.acm.CertificateValidation(`${name}-validation`, { certificateArn: cert.arn, validationRecordFqdns: records.map((r) => r.fqdn) }, child);
    this.certificateArn = validation.certificateArn;
    this.registerOutputs({ certificateArn: this.certificateArn });
  }
}
