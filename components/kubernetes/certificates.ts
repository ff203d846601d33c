/**
 * A private certificate authority for traffic inside the cluster (a service to
 * its in-cluster database and cache), generated once with `@pulumi/tls` and kept
 * in the stack's state as secrets: a rebuilt cluster gets the same CA.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface CertificateAuthorityArgs {
  /** Subject common name of the CA. */
  commonName: string;
  /** @default 10 */
  validityYears?: number;
  /** A CA of your own instead of a generated one: its certificate (PEM) and key (PEM, secret). */
  givenCertificate?: pulumi.Input<string>;
  givenPrivateKey?: pulumi.Input<string>;
}

export interface IssuedCertificate {
  /** PEM. */
  certificate: pulumi.Output<string>;
  /** PEM (PKCS#8, secret). */
  privateKey: pulumi.Output<string>;
}

// The CA's key stays out of the component's fields (which other languages would see as outputs).
const caKeys = new WeakMap<CertificateAuthority, pulumi.Output<string>>();

/** A CA (ECDSA P-256) that issues server certificates for in-cluster names. */
export class CertificateAuthority extends pulumi.ComponentResource {
  /** The CA certificate (PEM): what clients trust. */
  public readonly certificate: pulumi.Output<string>;

  constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:CertificateAuthority", name, {}, opts);
    if ((args.givenCertificate === undefined) !== (args.givenPrivateKey === undefined)) {
      throw new Error(`CertificateAuthority ${name}: givenCertificate and givenPrivateKey go together`);
    }
    if (args.givenCertificate !== undefined) {
      caKeys.set(this, pulumi.secret(args.givenPrivateKey!));
      this.certificate = pulumi.output(args.givenCertificate);
    } else {
      const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
      caKeys.set(this, pulumi.secret(key.privateKeyPem));
      const cert = new tls.SelfSignedCert(
        `${name}-cert`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: args.commonName, organization: "trust-services" },
          isCaCertificate: true,
          validityPeriodHours: (args.validityYears ?? 10) * 365 * 24,
          allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        { parent: this },
      );
      this.certificate = cert.certPem;
    }
    this.registerOutputs({ certificate: this.certificate });
  }

  /**
   * A server certificate for `dnsNames` (the first is the subject), valid two
   * years and renewed by `pulumi up` in its last 30 days.
   */
  issueServerCertificate(name: string, dnsNames: pulumi.Input<string>[]): IssuedCertificate {
    return this.issue(name, { commonName: pulumi.output(dnsNames[0]) }, dnsNames, "server_auth");
  }

  /** A client certificate whose common name is `user` (how PostgreSQL's clientcert=verify-full names the role). */
  issueClientCertificate(name: string, user: string): IssuedCertificate {
    return this.issue(name, { commonName: user }, [], "client_auth");
  }

  private issue(name: string, subject: { commonName: pulumi.Input<string> }, dnsNames: pulumi.Input<string>[], use: string): IssuedCertificate {
    const caKey = caKeys.get(this)!;
    const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const request = new tls.CertRequest(
      `${name}-csr`,
      { privateKeyPem: key.privateKeyPem, subject, dnsNames: dnsNames.length ? dnsNames : undefined },
      { parent: this },
    );
    const cert = new tls.LocallySignedCert(
      `${name}-cert`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey,
        caCertPem: this.certificate,
        validityPeriodHours: 2 * 365 * 24,
        earlyRenewalHours: 30 * 24,
        allowedUses: ["digital_signature", "key_encipherment", use],
      },
      { parent: this },
    );
    return { certificate: cert.certPem, privateKey: pulumi.secret(key.privateKeyPemPkcs8) };
  }
}
