/**
 * The service kit's identities. Kubernetes API access: a ServiceAccount of its own for a
 * role that calls the API (a leader election on Leases, a Job that records a
 * value in a ConfigMap), with a Role holding exactly the verbs it uses in its
 * namespace and the RoleBinding between them. The pod then mounts its token
 * (`serviceAccountToken: true`); nothing else in the project does.
 * AWS access: a ServiceAccount whose pods get an IAM role through EKS Pod Identity.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podIdentityRole } from "../aws/common";

/** One rule of the Role. */
export interface AccessRuleArgs {
  /** API group ("" for the core group, "coordination.k8s.io" for Leases). */
  apiGroup: string;
  /** e.g. "leases", "configmaps". */
  resource: string;
  verbs: string[];
  /** Only these objects (get, update, patch and delete can be limited so; create, list and watch cannot). */
  resourceNames?: pulumi.Input<string>[];
}

export interface ApiAccessArgs {
  namespace: pulumi.Input<string>;
  /** Object name of the ServiceAccount, Role and RoleBinding. */
  name: string;
  rules: AccessRuleArgs[];
  labels?: Record<string, string>;
}

/** A ServiceAccount bound to a Role of exactly these rules; returns the ServiceAccount's name. */
export function apiAccess(resourceName: string, args: ApiAccessArgs, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  const metadata = { name: args.name, namespace: args.namespace, labels: args.labels };
  for (const r of args.rules) {
    if (r.resourceNames?.length && r.verbs.some((v) => ["create", "list", "watch", "deletecollection"].includes(v))) {
      throw new Error(`apiAccess ${args.name}: ${r.resource} verbs ${r.verbs.join(", ")} with resourceNames: create, list and watch ignore resourceNames; give them a rule of their own`);
    }
  }
  // The pod asks for the token; the account does not hand it to every pod that names it.
  const account = new k8s.core.v1.ServiceAccount(resourceName, { metadata, automountServiceAccountToken: false }, opts);
  const role = new k8s.rbac.v1.Role(
    resourceName,
    { metadata, rules: args.rules.map((r) => ({ apiGroups: [r.apiGroup], resources: [r.resource], verbs: r.verbs, resourceNames: r.resourceNames })) },
    opts,
  );
  new k8s.rbac.v1.RoleBinding(
    resourceName,
    {
      metadata,
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
      subjects: [{ kind: "ServiceAccount", name: account.metadata.name, namespace: args.namespace }],
    },
    opts,
  );
  return account.metadata.name;
}

export interface AwsIdentityArgs {
  namespace: pulumi.Input<string>;
  /** Object name of the ServiceAccount, and the Pulumi name of the role and its association. */
  name: string;
  labels?: Record<string, string>;
  /** The role's inline policy (JSON). */
  policy: pulumi.Input<string>;
  /** The EKS cluster whose Pod Identity agent hands the role out. */
  clusterName: pulumi.Input<string>;
  tags?: Record<string, string>;
}

/**
 * A ServiceAccount whose pods get an IAM role of exactly this inline policy
 * through EKS Pod Identity (no token mounted, no static key); returns its name.
 * The pods then need egress to the Pod Identity agent and to AWS on 443.
 */
export function awsIdentity(args: AwsIdentityArgs, parent: pulumi.Resource): pulumi.Output<string> {
  const sa = new k8s.core.v1.ServiceAccount(
    args.name,
    { metadata: { name: args.name, namespace: args.namespace, labels: args.labels }, automountServiceAccountToken: false },
    { parent },
  );
  const role = podIdentityRole(args.name, { inlinePolicy: args.policy, tags: args.tags }, parent);
  new aws.eks.PodIdentityAssociation(args.name, { clusterName: args.clusterName, namespace: args.namespace, serviceAccount: args.name, roleArn: role.arn }, { parent });
  return sa.metadata.name;
}
