import type { CompiledRule } from '../rules/ruleset.js';

/**
 * Picks the rules an alert can possibly fire, so cost grows with the rules that could apply rather
 * than with all rules. A rule whose match (or, without match, whose conditions) pins an alert fact to
 * constants (`name equal X`, `source in [...]`) is only a candidate for alerts with those values.
 * Pruning is exact: a rule left out could not have matched (the compiler's pinnedValues guarantees it).
 */
const NO_CANDIDATES: readonly number[] = [];

export class RuleCandidates {
  private readonly byFact = new Map<string, Map<unknown, number[]>>();
  private readonly unpinned: number[] = [];
  private readonly scratch: number[] = [];

  constructor(private readonly rules: readonly CompiledRule[]) {
    rules.forEach(({ pin }, i) => {
      if (!pin) {
        this.unpinned.push(i);
        return;
      }
      let byValue = this.byFact.get(pin.fact);
      if (!byValue) this.byFact.set(pin.fact, (byValue = new Map()));
      for (const value of new Set(pin.values)) {
        const list = byValue.get(value);
        if (list) list.push(i);
        else byValue.set(value, [i]);
      }
    });
  }

  /** Indexes (into the rules given to the constructor, ascending = evaluation order) of the candidates. */
  candidates(alert: Readonly<Record<string, unknown>>): readonly number[] {
    if (this.byFact.size === 0) return this.unpinned;
    // Usually a single list applies (one pinned fact matched, nothing unpinned): it is already in order.
    let only: readonly number[] | undefined = this.unpinned.length > 0 ? this.unpinned : undefined;
    let merged: number[] | undefined;
    for (const [fact, byValue] of this.byFact) {
      const hits = byValue.get(alert[fact]);
      if (!hits) continue;
      if (only === undefined) {
        only = hits;
        continue;
      }
      merged ??= this.startMerge(only);
      for (const i of hits) merged.push(i);
    }
    if (merged === undefined) return only ?? NO_CANDIDATES;
    // Candidate lists are short; a numeric sort restores evaluation order.
    return merged.sort((a, b) => a - b);
  }

  private startMerge(first: readonly number[]): number[] {
    const out = this.scratch;
    out.length = 0;
    for (const i of first) out.push(i);
    return out;
  }

  get size(): number {
    return this.rules.length;
  }
}
