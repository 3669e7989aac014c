import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIRST_DECISIONS, SeenAlerts, type DedupOptions, type FirstDecision, type FirstOccurrence } from '../../src/dedup/seen-alerts.js';

/**
 * SeenAlerts' rules (docs/outputs.md, "Duplicates") over plain arrays in arrival order, with no ring:
 * what SeenAlerts must answer however often its ring has grown and wrapped.
 */
interface Entry {
  id: string;
  timeMs: number;
  decision: FirstDecision;
  ruleId: string | null;
  incidentId: string | undefined;
  live: boolean;
}

class Model {
  private readonly entries: Entry[] = [];
  /** The newest entry of each id, while it is live. */
  private readonly byId = new Map<string, Entry>();
  private head = 0;
  private newestMs = Number.NEGATIVE_INFINITY;
  private reused = 0;
  private evicted = 0;

  constructor(private readonly options: DedupOptions) {}

  check(id: string, timeMs: number): FirstOccurrence | undefined {
    if (timeMs > this.newestMs) this.newestMs = timeMs;
    const horizon = this.newestMs - this.options.horizonMs;
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (e.live && e.timeMs > horizon) break;
      this.forget(e);
      this.head++;
    }
    const seen = this.byId.get(id);
    if (seen) {
      if (seen.timeMs > horizon) {
        if (seen.timeMs === timeMs) return { id: seen.id, timeMs: seen.timeMs, decision: seen.decision, ruleId: seen.ruleId, incidentId: seen.incidentId };
        this.reused++;
      }
      this.forget(seen);
    }
    if (this.entries.length - this.head >= this.options.maxIds) {
      const oldest = this.entries[this.head++]!;
      if (oldest.live) this.evicted++;
      this.forget(oldest);
    }
    const entry = { id, timeMs, decision: 'pass' as FirstDecision, ruleId: null, incidentId: undefined, live: true };
    this.entries.push(entry);
    this.byId.set(id, entry);
    return undefined;
  }

  decided(decision: FirstDecision, ruleId: string | null, incidentId: string | undefined): void {
    Object.assign(this.entries.at(-1)!, { decision, ruleId, incidentId });
  }

  withdraw(): void {
    const last = this.entries.at(-1);
    if (this.entries.length > this.head && last) this.forget(last);
  }

  snapshot() {
    return {
      newestMs: Number.isFinite(this.newestMs) ? this.newestMs : null,
      reused: this.reused,
      evicted: this.evicted,
      ids: this.live().map((e) => [e.id, e.timeMs, e.decision, e.ruleId, e.incidentId ?? null]),
    };
  }

  private forget(entry: Entry): void {
    if (entry.live && this.byId.get(entry.id) === entry) this.byId.delete(entry.id);
    entry.live = false;
  }

  private live() {
    return this.entries.slice(this.head).filter((e) => e.live);
  }
}

const opWith = (step: fc.Arbitrary<number>) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('check' as const), id: fc.integer({ min: 0, max: 3000 }), step, back: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('decided' as const), decision: fc.constantFrom(...FIRST_DECISIONS), rule: fc.option(fc.constantFrom('r1', 'r2')), incident: fc.option(fc.constantFrom('inc-1', 'inc-2'), { nil: undefined }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'withdraw' as const }) },
  );

/**
 * Time moving (ids expire, so the ring's oldest slot moves off 0), then standing still (ids pile up
 * past the ring's capacity, which doubles with the held ids wrapped around its end), then moving again.
 */
const ops = fc
  .tuple(
    fc.array(opWith(fc.integer({ min: 0, max: 3 })), { minLength: 100, maxLength: 1500 }),
    fc.array(opWith(fc.constant(0)), { minLength: 1500, maxLength: 4000 }),
    fc.array(opWith(fc.integer({ min: 0, max: 3 })), { maxLength: 1000 }),
  )
  .map((parts) => parts.flat());

describe('SeenAlerts ring', () => {
  it('answers as the arrival-order model however often its ring grows and wraps (past 1024 ids, several doublings)', () => {
    fc.assert(
      fc.property(ops, fc.constantFrom(500, 3000, 100_000), fc.constantFrom(20, 200, 5000), (ops, maxIds, horizonMs) => {
        const options = { horizonMs, maxIds };
        const seen = new SeenAlerts(options);
        const model = new Model(options);
        let timeMs = 0;
        let checked = false;
        for (const o of ops) {
          if (o.kind === 'check') {
            timeMs += o.step;
            // Now and then an alert from the past, as out-of-order input brings.
            const at = o.back ? timeMs - o.step * 7 : timeMs;
            expect(seen.check(`a${o.id}`, at)).toEqual(model.check(`a${o.id}`, at));
            checked = true;
          } else if (checked && o.kind === 'decided') {
            seen.decided(o.decision, o.rule, o.incident);
            model.decided(o.decision, o.rule, o.incident);
          } else if (checked && o.kind === 'withdraw') {
            seen.withdraw();
            model.withdraw();
          }
        }
        expect(seen.snapshot()).toEqual(model.snapshot());
      }),
      // Shrinking sequences thousands of operations long takes minutes: the first counterexample is reported as found.
      { numRuns: 40, endOnFailure: true },
    );
  });
});
