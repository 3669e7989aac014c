import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { FutureSkewBound, JUMP_ALERTS } from '../../src/pipeline/future-skew.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { rule, ruleset } from '../helpers.js';

const HOUR = 3_600_000;
const SKEW = 6 * HOUR;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);
const bound = (recentAlerts = 1000) => new FutureSkewBound({ maxFutureSkew: '6h', onFutureDated: 'clamp', recentAlerts });

/** Places alerts as the pipeline does (the watermark is the newest time decided); returns where each was decided. */
function placeAll(b: FutureSkewBound, alerts: readonly (readonly [number, string])[]): number[] {
  let watermark = Number.NEGATIVE_INFINITY;
  return alerts.map(([time, source]) => {
    const at = b.place(time, watermark, source);
    if (at > watermark) watermark = at;
    return at;
  });
}

describe('FutureSkewBound', () => {
  it('decides an alert dated 9999 after one other alert at the stream\'s time; the next alert is on time again', () => {
    const b = bound();
    const far = Date.UTC(9999, 11, 31, 23, 59, 59);
    expect(placeAll(b, [[T0, 'ids'], [far, 'ids'], [T0 + 1000, 'ids']])).toEqual([T0, T0, T0 + 1000]);
  });

  it('lets an alert lead the watermark by maxFutureSkew exactly (a quiet stream), not one millisecond more', () => {
    expect(placeAll(bound(), [[T0, 'ids'], [T0 + SKEW, 'ids']])).toEqual([T0, T0 + SKEW]);
    expect(placeAll(bound(), [[T0, 'ids'], [T0 + SKEW + 1, 'ids']])).toEqual([T0, T0]);
  });

  it(`follows a stream that jumps ahead by more than maxFutureSkew once ${JUMP_ALERTS} alerts in a row from two sources say so`, () => {
    const before = Array.from({ length: 50 }, (_, i) => [T0 + i * 60_000, i % 2 ? 'ids' : 'edr'] as const);
    const after = Array.from({ length: 20 }, (_, i) => [T0 + 12 * HOUR + i * 60_000, i % 2 ? 'ids' : 'edr'] as const);
    const placed = placeAll(bound(), [...before, ...after]).slice(before.length);
    const last = before[before.length - 1]![0];
    expect(placed.slice(0, JUMP_ALERTS - 1)).toEqual(Array(JUMP_ALERTS - 1).fill(last));
    expect(placed.slice(JUMP_ALERTS - 1)).toEqual(after.slice(JUMP_ALERTS - 1).map(([t]) => t));
  });

  it('does not follow one source alone however many alerts in a row it sends, until it is half of the recent alerts', () => {
    const recentAlerts = 40;
    const before = Array.from({ length: 40 }, (_, i) => [T0 + i * 60_000, 'edr'] as const);
    const after = Array.from({ length: 30 }, (_, i) => [T0 + 30 * HOUR + i * 60_000, 'ids'] as const);
    const placed = placeAll(bound(recentAlerts), [...before, ...after]).slice(before.length);
    // The lower median of the last 40 claimed times passes the jump once more than half of them (21) are after it.
    const followed = placed.findIndex((at, i) => at === after[i]![0]);
    expect(followed).toBe(recentAlerts / 2 + 1);
    expect(placed.slice(followed)).toEqual(after.slice(followed).map(([t]) => t));
  });

  it(`follows a one-source stream after a quiet night once ${JUMP_ALERTS} of its alerts in a row say so (it waited for half of the recent alerts)`, () => {
    const before = Array.from({ length: 200 }, (_, i) => [T0 + i * 60_000, 'suricata'] as const);
    const morning = Array.from({ length: 20 }, (_, i) => [T0 + 200 * 60_000 + 10 * HOUR + i * 60_000, 'suricata'] as const);
    const placed = placeAll(bound(), [...before, ...morning]).slice(before.length);
    const last = before[before.length - 1]![0];
    expect(placed.slice(0, JUMP_ALERTS - 1)).toEqual(Array(JUMP_ALERTS - 1).fill(last));
    expect(placed.slice(JUMP_ALERTS - 1)).toEqual(morning.slice(JUMP_ALERTS - 1).map(([t]) => t));
  });

  it('a run of one source in a stream of several is still not a jump', () => {
    const before = Array.from({ length: 200 }, (_, i) => [T0 + i * 60_000, i % 3 ? 'edr' : 'suricata'] as const);
    const fast = Array.from({ length: 20 }, (_, i) => [T0 + 200 * 60_000 + 24 * HOUR + i * 1000, 'suricata'] as const);
    const placed = placeAll(bound(), [...before, ...fast]).slice(before.length);
    expect(placed).toEqual(Array(fast.length).fill(before[before.length - 1]![0]));
  });

  it('continues exactly from a snapshot taken in the middle of a run of future-dated alerts', () => {
    const alerts = [[T0, 'a'], [T0 + 60_000, 'b'], [T0 + 20 * HOUR, 'a'], [T0 + 20 * HOUR, 'b'], [T0 + 120_000, 'a'], [T0 + 20 * HOUR, 'b']] as const;
    const whole = placeAll(bound(4), alerts);
    const first = bound(4);
    const before = placeAll(first, alerts.slice(0, 3));
    const second = bound(4);
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    let watermark = Math.max(...before);
    const after = alerts.slice(3).map(([time, source]) => {
      const at = second.place(time, watermark, source);
      watermark = Math.max(watermark, at);
      return at;
    });
    expect([...before, ...after]).toEqual(whole);
  });
});

/** A rule that promotes every alert into one incident per host: every alert moves windows and incidents. */
async function everyAlert(): Promise<CompiledRuleSet> {
  return ruleset({
    'count.yaml': rule({
      id: 'count',
      match: { all: [{ fact: 'name', operator: 'equal', value: 'x' }] },
      window: { groupBy: ['entities.host'], size: '10m' },
      aggregates: { hits: { kind: 'count' } },
      conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 1 }] },
      incident: { groupBy: ['entities.host'], window: '30m' },
    }),
  });
}

interface Line {
  id: string;
  time: number;
  source: string;
}

/** Runs lines one by one; returns the outputs and the watermark after each line. */
function runLines(set: CompiledRuleSet, lines: readonly Line[], onFutureDated: 'clamp' | 'dead-letter', recentAlerts: number) {
  const out: string[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'canonical' }),
    eventTime: { maxFutureSkew: '6h', onFutureDated, recentAlerts },
    sinks: { decision: (json) => out.push(json), incident: (r) => out.push(JSON.stringify(r)), deadLetter: (r) => out.push(`dead ${r.reason}`) },
  });
  const watermarks = new Map<string, number>();
  lines.forEach((l, i) => {
    const text = JSON.stringify({ id: l.id, time: new Date(l.time).toISOString(), source: l.source, name: 'x', severity: 'low', category: 'other', entities: { host: `h${Number(l.id.replace(/\D/g, '')) % 3}` } });
    pipeline.processBatch([{ line: i + 1, text }]);
    watermarks.set(l.id, pipeline.watermark);
  });
  pipeline.finish();
  return { out, watermarks, pipeline };
}

/** Honest alerts from two sources: each at most maxFutureSkew after the newest before it, some of them late. */
const honestStream = fc
  .array(fc.tuple(fc.integer({ min: -2 * HOUR, max: SKEW }), fc.constantFrom('ids', 'edr')), { minLength: 1, maxLength: 60 })
  .map((steps) => {
    let newest = T0;
    return steps.map(([step, source], i): Line => {
      const time = Math.max(T0, newest + step);
      newest = Math.max(newest, time);
      return { id: `h${i}`, time, source };
    });
  });

describe('the watermark under future-dated alerts (properties)', () => {
  it('no single alert, whatever its time, moves the watermark more than maxFutureSkew past the newest time of the others', async () => {
    const set = await everyAlert();
    await fc.assert(
      fc.property(honestStream, fc.nat(), fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) - T0 }), fc.constantFrom('ids', 'edr'), (honest, where, offset, source) => {
        const at = 1 + (where % honest.length);
        const odd: Line = { id: 'odd', time: T0 + offset, source };
        const lines = [...honest.slice(0, at), odd, ...honest.slice(at)];
        const { pipeline, watermarks } = runLines(set, lines, 'clamp', 1000);
        const newestOther = Math.max(...honest.map((l) => l.time));
        expect(pipeline.watermark).toBeLessThanOrEqual(newestOther + SKEW);
        // And right after it, over the alerts before it.
        expect(watermarks.get('odd')!).toBeLessThanOrEqual(Math.max(...honest.slice(0, at).map((l) => l.time)) + SKEW);
      }),
      { numRuns: 200 },
    );
  });

  it('alerts from one source more than maxFutureSkew fast, fewer than the others before them, never move the watermark; dead-lettered, they change no other decision', async () => {
    const set = await everyAlert();
    const recentAlerts = 21;
    await fc.assert(
      fc.property(
        honestStream,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: SKEW + 1, max: 100 * 365 * 24 * HOUR })), { maxLength: 10 }),
        fc.constantFrom('ids', 'edr', 'liar'),
        (honest, fast, source) => {
          // The k-th fast alert comes after at least 2k + 1 honest ones, so fast alerts are fewer than half of those before them.
          const lines: Line[] = [];
          const slots = fast
            .map(([where, offset], k) => ({ after: 2 * k + 1 + (where % Math.max(1, honest.length - 2 * k)), offset }))
            .filter((s) => s.after <= honest.length)
            .sort((a, b) => a.after - b.after);
          let next = 0;
          honest.forEach((l, i) => {
            lines.push(l);
            while (next < slots.length && slots[next]!.after === i + 1) {
              lines.push({ id: `fast${next}`, time: Math.max(...honest.slice(0, i + 1).map((h) => h.time)) + slots[next]!.offset, source });
              next++;
            }
          });
          const alone = runLines(set, honest, 'dead-letter', recentAlerts);
          for (const action of ['clamp', 'dead-letter'] as const) {
            const mixed = runLines(set, lines, action, recentAlerts);
            for (const l of honest) expect(mixed.watermarks.get(l.id), `${action}: after ${l.id}`).toBe(alone.watermarks.get(l.id));
            if (action === 'dead-letter') expect(mixed.out.filter((o) => !o.startsWith('dead '))).toEqual(alone.out);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

});
