/** The `app.kubernetes.io/*` labels every object carries, and the subset that selects pods. */
export interface AppIdentity {
  /** Application name, e.g. "xroad-security-server". */
  name: string;
  /** Instance name (the component's name). */
  instance: string;
  /** Role inside the application, e.g. "primary". */
  component: string;
  version?: string;
}

export function selectorLabels(id: AppIdentity): Record<string, string> {
  return {
    "app.kubernetes.io/name": id.name,
    "app.kubernetes.io/instance": id.instance,
    "app.kubernetes.io/component": id.component,
  };
}

export function appLabels(id: AppIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    "app.kubernetes.io/part-of": "trust-services",
    "app.kubernetes.io/managed-by": "pulumi",
    ...(id.version ? { "app.kubernetes.io/version": id.version } : {}),
  };
}
