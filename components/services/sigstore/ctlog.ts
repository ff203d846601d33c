/**
 * The certificate transparency log Fulcio writes to (ct_server, scaffolding
 * v0.7.31 = ct-go v1.3.2 on trillian v1.7.2; upstream/sigstore.md §3.4):
 *
 * - its configuration is a text-proto `LogMultiConfig` with the key inline and
 *   unencrypted (`keyspb.PrivateKey{der}`: the PEM-file form refuses an
 *   unencrypted key in these versions), Fulcio's root as the one accepted
 *   root, and the log servers at `dns:///` (ct_server dials with the
 *   passthrough resolver otherwise, one pod);
 * - the tree id goes into that file at start: an init container copies the
 *   template with the id from the tree's ConfigMap (the kubelet starts the pod
 *   only once createtree has written it).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EndpointArgs } from "../../kubernetes/endpoint";
import { httpProbes, Workload } from "../../kubernetes/workload";
import { JOB_RESOURCES, NONROOT_UID, RoleContext, SIGSTORE_PORTS, STARTUP_DIGEST, startupDigest } from "./context";
import { Trillian, TREE_KEY } from "./trillian";
import { ctlogConfig } from "./x509";

/** What the init container replaces with the tree id. */
export const TREE_ID_PLACEHOLDER = "__TREE_ID__";

export interface CtLogArgs {
  image: string;
  /** An image with a POSIX shell and sed, for the init container. */
  shellImage: string;
  trillian: Trillian;
  privateKeyPem: pulumi.Output<string>;
  /** Fulcio's chain: its root is the one root the log accepts. */
  fulcioChainPem: pulumi.Output<string[]>;
  /** The log's public key (a new key rolls the pods). */
  publicKeyPem: pulumi.Output<string>;
  /** The log's URL path prefix. */
  prefix: string;
  endpoint?: EndpointArgs;
}

export function ctlog(c: RoleContext, a: CtLogArgs): Workload {
  const child = { parent: c.parent };
  const template = pulumi.all([a.privateKeyPem, a.trillian.grpcTarget]).apply(([key, target]) =>
    ctlogConfig({ logId: TREE_ID_PLACEHOLDER, prefix: a.prefix, rootsPemFiles: ["/ctfe-keys/fulcio-root.pem"], privateKeyPem: key, backendSpec: target }),
  );
  const secret = new k8s.core.v1.Secret(
    `${c.name}-ctlog`,
    {
      metadata: { name: `${c.name}-ctlog`, namespace: c.namespace, labels: c.labelsOf("ctlog") },
      type: "Opaque",
      stringData: { "config.template": pulumi.secret(template), "fulcio-root.pem": a.fulcioChainPem.apply((chain) => chain[chain.length - 1]) },
    },
    child,
  );
  const security = { runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID };
  return new Workload(
    `${c.name}-ctlog`,
    {
      ...c.common,
      component: "ctlog",
      replicas: c.replicas("ctlog"),
      antiAffinity: c.antiAffinity,
      fsGroup: NONROOT_UID,
      // ct_server reads its configuration only at start: a new key, root or backend rolls the pods.
      podAnnotations: { [STARTUP_DIGEST]: startupDigest(a.publicKeyPem, a.fulcioChainPem.apply((c) => c[c.length - 1]), a.trillian.grpcTarget, a.prefix) },
      initContainers: [
        {
          name: "config",
          image: a.shellImage,
          command: ["sh", "-c", `umask 077 && sed "s/${TREE_ID_PLACEHOLDER}/$TREE_ID/" /ctfe-keys/config.template > /ctfe-config/config`],
          env: [{ name: "TREE_ID", configMapName: a.trillian.treeConfigMaps.ctlog, configMapKey: TREE_KEY }],
          resources: JOB_RESOURCES,
          mounts: [
            { volume: "template", path: "/ctfe-keys", readOnly: true },
            { volume: "config", path: "/ctfe-config" },
          ],
          security,
        },
      ],
      container: {
        name: "ctlog",
        image: a.image,
        args: [
          `--http_endpoint=0.0.0.0:${SIGSTORE_PORTS.ctlog}`,
          "--metrics_endpoint=0.0.0.0:6963",
          "--log_config=/ctfe-config/config",
          "--alsologtostderr",
        ],
        ports: [{ name: "http", port: SIGSTORE_PORTS.ctlog }],
        probes: httpProbes("/healthz", SIGSTORE_PORTS.ctlog),
        resources: c.resources("ctlog"),
        // The server sees the rendered configuration and Fulcio's root, not the template.
        mounts: [
          { volume: "roots", path: "/ctfe-keys", readOnly: true },
          { volume: "config", path: "/ctfe-config", readOnly: true },
        ],
        security,
      },
      volumes: [
        { name: "template", secretName: secret.metadata.name, items: [{ key: "config.template", path: "config.template" }] },
        { name: "roots", secretName: secret.metadata.name, items: [{ key: "fulcio-root.pem", path: "fulcio-root.pem" }] },
        // The rendered configuration holds the key: in memory, for the pod's life.
        { name: "config", emptyDir: true, medium: "Memory", sizeLimit: "1Mi" },
      ],
      services: [{ name: `${c.name}-ctlog`, ports: ["http"], endpoint: a.endpoint }],
      allowFrom: [{ peers: [c.peer("fulcio")], ports: [SIGSTORE_PORTS.ctlog] }, ...c.clientRule(SIGSTORE_PORTS.ctlog)],
      allowTo: [{ peers: [c.peer("trillian-logserver")], ports: [SIGSTORE_PORTS.trillianGrpc] }],
    },
    { parent: c.parent, dependsOn: [a.trillian.treeReady.ctlog] },
  );
}
