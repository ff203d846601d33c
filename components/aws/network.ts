import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { formerly } from "../types";

export interface NetworkArgs {
  /**
   * VPC CIDR block; split into one private /19-equivalent and one public
   * /22-equivalent subnet per zone.
   * @default "10.0.0.0/16"
   */
  cidrBlock?: string;
  /**
   * How many availability zones to span (the region's first N), when
   * `availabilityZoneNames` is not given.
   * @default 3
   */
  availabilityZoneCount?: number;
  /** Explicit availability zone names. */
  availabilityZoneNames?: string[];
  /**
   * One NAT gateway per zone (production: a zone outage does not cut egress);
   * otherwise one shared NAT gateway.
   * @default false
   */
  natGatewayPerZone?: boolean;
  /** Name of the EKS cluster that will use the subnets (tags `kubernetes.io/cluster/<name>`). */
  clusterName?: string;
  tags?: Record<string, string>;
}

/** Parses "a.b.c.d/n" into a 32-bit number and prefix length. */
function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, p] = cidr.split("/");
  const base = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return { base, prefix: Number(p) };
}

function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The `index`-th subnet of `cidr` with `newBits` more prefix bits (Terraform's cidrsubnet). */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
  const { base, prefix } = parseCidr(cidr);
  const size = 2 ** (32 - prefix - newBits);
  if (index >= 2 ** newBits) throw new Error(`cidrSubnet: ${cidr} has no subnet #${index} of /${prefix + newBits}`);
  return `${formatIp(base + index * size)}/${prefix + newBits}`;
}

/**
 * A VPC over several availability zones: public subnets (load balancers, NAT)
 * and private subnets (nodes, databases), tagged for Kubernetes load balancers.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string>[];
  public readonly publicSubnetIds: pulumi.Output<string>[];
  /** CIDRs of the public subnets (where internet-facing load balancers reach their targets from). */
  public readonly publicSubnetCidrs: string[];
  /** CIDRs of the private subnets (nodes, pods, internal load balancers). */
  public readonly privateSubnetCidrs: string[];
  public readonly cidrBlock: string;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("trust-services:index:Network", name, {}, formerly("trust-services:aws:Network", opts));
    const cidrBlock = args.cidrBlock ?? "10.0.0.0/16";
    const zoneCount = args.availabilityZoneNames?.length ?? args.availabilityZoneCount ?? 3;
    const natPerZone = args.natGatewayPerZone ?? false;
    const tags = args.tags ?? {};
    if (zoneCount < 2 || zoneCount > 6) {
      throw new Error(`Network ${name}: availabilityZoneCount ${zoneCount} — between 2 and 6`);
    }
    const { prefix } = parseCidr(cidrBlock);
    if (prefix > 20) throw new Error(`Network ${name}: cidrBlock ${cidrBlock} — a /20 or larger block`);
    this.cidrBlock = cidrBlock;

    const zones: pulumi.Input<string>[] = args.availabilityZoneNames
      ? args.availabilityZoneNames
      : (() => {
          const azs = aws.getAvailabilityZonesOutput({ state: "available" }, { parent: this });
          return Array.from({ length: zoneCount }, (_, i) => azs.names[i]);
        })();

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
      { parent: this },
    );
    this.vpcId = vpc.id;
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-igw` } }, { parent: this });
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${name}-public` } },
      { parent: this },
    );
    const clusterTag: Record<string, string> = args.clusterName ? { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" } : {};

    // Private subnets take the first half of the block in equal parts (room for pod IPs with the VPC CNI);
    // public subnets take small slices of the second half.
    const privateBits = Math.ceil(Math.log2(zoneCount)) + 1;
    const publicBits = privateBits + 3;
    const publicOffset = 2 ** (publicBits - 1);

    this.publicSubnetIds = [];
    this.privateSubnetIds = [];
    this.publicSubnetCidrs = [];
    this.privateSubnetCidrs = [];
    const natGateways: aws.ec2.NatGateway[] = [];
    for (let i = 0; i < zoneCount; i++) {
      this.publicSubnetCidrs.push(cidrSubnet(cidrBlock, publicBits, publicOffset + i));
      const pub = new aws.ec2.Subnet(
        `${name}-public-${i}`,
        {
          vpcId: vpc.id,
          availabilityZone: zones[i],
          cidrBlock: this.publicSubnetCidrs[i],
          mapPublicIpOnLaunch: false,
          tags: { ...tags, ...clusterTag, Name: `${name}-public-${i}`, "kubernetes.io/role/elb": "1" },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: pub.id, routeTableId: publicRoutes.id }, { parent: this });
      this.publicSubnetIds.push(pub.id);
      if (natPerZone || i === 0) {
        const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: { ...tags, Name: `${name}-nat-${i}` } }, { parent: this });
        natGateways.push(
          new aws.ec2.NatGateway(
            `${name}-nat-${i}`,
            { allocationId: eip.id, subnetId: pub.id, tags: { ...tags, Name: `${name}-nat-${i}` } },
            { parent: this, dependsOn: [igw] },
          ),
        );
      }
    }
    for (let i = 0; i < zoneCount; i++) {
      this.privateSubnetCidrs.push(cidrSubnet(cidrBlock, privateBits, i));
      const priv = new aws.ec2.Subnet(
        `${name}-private-${i}`,
        {
          vpcId: vpc.id,
          availabilityZone: zones[i],
          cidrBlock: this.privateSubnetCidrs[i],
          tags: { ...tags, ...clusterTag, Name: `${name}-private-${i}`, "kubernetes.io/role/internal-elb": "1" },
        },
        { parent: this },
      );
      const nat = natGateways[natPerZone ? i : 0];
      const routes = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { ...tags, Name: `${name}-private-${i}` } },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: priv.id, routeTableId: routes.id }, { parent: this });
      this.privateSubnetIds.push(priv.id);
    }

    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds, publicSubnetIds: this.publicSubnetIds });
  }
}
