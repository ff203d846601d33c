/**
 * The dependency graph of a recorded run, as the Pulumi engine sees it: a
 * resource waits for its dependencies; waiting on a component means waiting
 * for all of its children.
 */
import { Recorded, Run } from "./harness";

export class DependencyGraph {
  private readonly byUrn = new Map<string, Recorded>();
  private readonly children = new Map<string, Recorded[]>();
  private readonly memo = new Map<string, Set<string>>();

  constructor(private readonly run: Run) {
    for (const r of run.resources) {
      this.byUrn.set(r.urn, r);
      if (r.parent) this.children.set(r.parent, [...(this.children.get(r.parent) ?? []), r]);
    }
  }

  /** The custom resources a URN stands for (a component: all its descendants). */
  expand(urn: string): string[] {
    const r = this.byUrn.get(urn);
    if (!r) return [];
    if (r.custom) return [urn];
    return (this.children.get(urn) ?? []).flatMap((c) => this.expand(c.urn));
  }

  /**
   * Direct waits of a custom resource (dependencies expanded to custom resources), and
   * its provider: a resource waits for its provider, which waits for its own dependencies.
   */
  direct(r: Recorded): string[] {
    const provider = r.provider ? [r.provider.replace(/::[^:]*$/, "")] : [];
    return [...new Set([...r.dependencies, ...provider].flatMap((d) => this.expand(d)))].filter((u) => u !== r.urn);
  }

  /** Every custom resource `r` waits for, directly or not. */
  upstream(r: Recorded): Set<string> {
    const hit = this.memo.get(r.urn);
    if (hit) return hit;
    const seen = new Set<string>();
    this.memo.set(r.urn, seen);
    for (const d of this.direct(r)) {
      if (seen.has(d)) continue;
      seen.add(d);
      const dr = this.byUrn.get(d);
      if (dr) for (const u of this.upstream(dr)) seen.add(u);
    }
    return seen;
  }

  waitsFor(r: Recorded, type: string): boolean {
    return [...this.upstream(r)].some((u) => this.byUrn.get(u)?.type === type);
  }

  get resources(): Recorded[] {
    return this.run.resources;
  }

  get(urn: string): Recorded | undefined {
    return this.byUrn.get(urn);
  }
}
