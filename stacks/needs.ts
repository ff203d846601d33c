/**
 * What each enabled service needs from the platform (databases, caches,
 * buckets), declared by its settings module, read by `stacks/platform.ts` in
 * one loop. A service adds a row function here; the platform never names it.
 */
import type { SchedulingArgs } from "../components/kubernetes/workload";
import type { CacheSettings, DatabaseSettings, Topology } from "./schema";

/** The pods of a service that connect to a data store (its NetworkPolicy admits only them). */
export interface ClientPods {
  /** Namespace of the service. */
  namespace: string;
  /** `app.kubernetes.io/name` of the service's pods. */
  app: string;
  /** `app.kubernetes.io/component` values of the pods that connect. */
  components: string[];
  /** Where the service's pods run: its in-cluster stores and grant Jobs run there too. */
  scheduling?: SchedulingArgs;
}

interface NeedBase {
  /** The service's settings key (`xroad`, `rstuf`, ...). */
  service: string;
  /** Name of the need within the service (`database`, `cache`, `archive`): the key of the endpoint or bucket handed over. */
  key: string;
  topology: Topology;
}

interface StoreNeed extends NeedBase {
  clients: ClientPods;
  /**
   * The service connects with TLS: an in-cluster store then serves a certificate
   * from the service's data CA (handed over as the endpoint's caCertificate) and
   * refuses plain connections where the engine can.
   */
  tls?: boolean;
  /** In the cluster, the service also authenticates with a client certificate from that CA (PostgreSQL). */
  clientCertificates?: boolean;
  /** The service's own CA for that TLS (PEM certificate and key, secret) instead of a generated one. */
  ca?: { certificate: string; privateKey: import("@pulumi/pulumi").Input<string> };
}

export interface DatabaseNeed extends StoreNeed {
  kind: "database";
  engine: "postgres" | "mysql";
  settings: DatabaseSettings;
  /** Database and role names of the service (in the cluster, and on a shared instance). */
  database: string;
  user: string;
  /**
   * The service creates its own databases and needs the master credentials
   * (X-Road): on a shared instance it gets the master role instead of a role of its own.
   */
  superuser?: boolean;
  /** Engine version of an RDS instance created for the service alone. */
  defaultVersion: string;
  /** Versions of the engine the service runs on (checked against a shared instance). */
  version?: { pattern: RegExp; rule: string };
}

export interface CacheNeed extends StoreNeed {
  kind: "cache";
  settings: CacheSettings;
  /** Why the service cannot use TLS and AUTH to Redis (with the upstream reference); absent when it can. */
  plaintextReason?: string;
}

export interface BucketNeed extends NeedBase {
  kind: "bucket";
  /** Days noncurrent object versions are kept. @default 90 */
  noncurrentVersionDays?: number;
  /** The service writes the whole bucket, objects at its root (no prefix it could be limited to). @default false */
  dedicated?: boolean;
}

export type DataNeed = DatabaseNeed | CacheNeed | BucketNeed;

/** The Pulumi name of a need's managed resource: `<service>-db` for a database, `<service>-<key>` otherwise. */
export function needResourceName(n: DataNeed): string {
  return `${n.service}-${n.kind === "database" ? "db" : n.key}`;
}
