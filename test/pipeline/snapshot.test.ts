import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline, PipelineSnapshot } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { at, rule, ruleset } from '../helpers.js';

const HOSTS = ['web-1', 'web-2', 'db-1', 'dc-1'];
const NAMES = ['ET SCAN a', 'ET SCAN b', 'sshd: authentication failed', 'exfil'];

/**
 * Mostly in order, with late and very late arrivals, alerts dated hours ahead (future-dated: beyond
 * eventTime.maxFutureSkew) and a jump of the whole stream past it (from minute 240 or before to 700 or
 * after); byte counts with fractions so sums round.
 */
const alertStream = fc
  .array(
    fc.record({
      minute: fc.oneof(fc.integer({ min: 0, max: 240 }), fc.integer({ min: 700, max: 760 })),
      jitter: fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 0 }), fc.integer({ min: -90, max: 0 }), fc.integer({ min: 400, max: 3000 })),
      source: fc.constantFrom('ids', 'edr'),
      name: fc.constantFrom(...NAMES),
      host: fc.constantFrom(...HOSTS),
      user: fc.constantFrom('root', 'admin', 'alice', 'bob'),
      bytes: fc.double({ min: 0, max: 1e6, noNaN: true }),
      severity: fc.constantFrom('low', 'medium', 'high'),
    }),
    { maxLength: 120 },
  )
  .map((items) =>
    items
      .sort((a, b) => a.minute - b.minute)
      .map((it, i) => ({
        id: `a${i}`,
        time: at(it.minute + it.jitter),
        source: it.source,
        name: it.name,
        severity: it.severity,
        category: 'recon',
        entities: { host: it.host, user: it.user },
        raw: { bytes_out: it.bytes },
      })),
  );

/** Every kind of state: count, distinct, filtered count and distinct, a spike, a sequence, float sums, a tight maxKeys, lateness, maxSpan, a suppress window. */
const RULES = {
  'burst.yaml': rule({
    id: 'burst',
    match: { all: [{ fact: 'name', operator: 'in', value: NAMES.slice(0, 2) }] },
    window: { groupBy: ['entities.host', 'name'], size: '10m', allowedLateness: '5m', maxKeys: 3 },
    aggregates: {
      hits: { kind: 'count' },
      users: { kind: 'distinct', field: 'entities.user' },
      // Filtered aggregates (where) are window state too.
      highHits: { kind: 'count', where: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } },
      edrUsers: { kind: 'distinct', field: 'entities.user', where: { all: [{ fact: 'source', operator: 'equal', value: 'edr' }] } },
      // And so are spikes and sequences.
      surge: { kind: 'spike', periods: 2 },
      mediumThenHigh: {
        kind: 'sequence',
        steps: [
          { where: { all: [{ fact: 'severity', operator: 'equal', value: 'medium' }] } },
          { where: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } },
        ],
      },
    },
    conditions: {
      any: [
        { fact: 'hits', operator: 'greaterThanInclusive', value: 3 },
        { fact: 'users', operator: 'greaterThanInclusive', value: 3 },
        { all: [{ fact: 'highHits', operator: 'greaterThanInclusive', value: 2 }, { fact: 'edrUsers', operator: 'greaterThanInclusive', value: 2 }] },
        { fact: 'mediumThenHigh', operator: 'equal', value: 2 },
        { fact: 'surge', operator: 'greaterThanInclusive', value: 2 },
      ],
    },
    incident: { groupBy: ['entities.host'], window: '20m', maxSpan: '1h' },
  }),
  'exfil.yaml': rule({
    id: 'exfil',
    priority: 2,
    match: { all: [{ fact: 'name', operator: 'equal', value: 'exfil' }] },
    window: { groupBy: ['entities.host'], size: '2h' },
    aggregates: { bytes: { kind: 'sum', field: 'raw.bytes_out' } },
    conditions: { all: [{ fact: 'bytes', operator: 'greaterThan', value: 1.5e6 }] },
    incident: { groupBy: ['entities.host'], window: '15m' },
  }),
  'quiet.yaml': rule({
    id: 'quiet-auth',
    decision: 'suppress',
    match: { all: [{ fact: 'name', operator: 'equal', value: 'sshd: authentication failed' }] },
    window: { groupBy: ['entities.user'], size: '5m' },
    aggregates: { fails: { kind: 'count' } },
    conditions: { all: [{ fact: 'fails', operator: 'lessThan', value: 3 }] },
  }),
  'high.yaml': rule({ id: 'high', priority: 1, conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] }, incident: { groupBy: ['entities.host'], window: '10m' } }),
};

/** Runs lines through a pipeline in the given batch sizes, collecting every output as text. */
function run(set: CompiledRuleSet, lines: readonly string[], batchSizes: readonly number[] = [lines.length || 1], from?: string) {
  const out: string[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'canonical' }),
    maxOpenIncidents: 3,
    // Cases merge on host and user (a tight key cap too), so the merger's state is part of what must survive.
    cases: { mergeBy: ['host', 'user'], windowMs: 30 * 60_000, maxKeysPerCase: 2 },
    sinks: { decision: (json) => out.push(json), incident: (r) => out.push(JSON.stringify(r)), deadLetter: (r) => out.push(JSON.stringify(r)) },
  });
  if (from !== undefined) pipeline.restore(PipelineSnapshot.parse(JSON.parse(from)));
  let i = 0;
  for (let b = 0; i < lines.length; b++) {
    const size = Math.max(1, batchSizes[b % batchSizes.length]!);
    pipeline.processBatch(lines.slice(i, i + size).map((text, k) => ({ line: i + k + 1, text })));
    i += size;
  }
  return { out, pipeline };
}

describe('pipeline state', () => {
  it('a snapshot restored into a fresh pipeline continues exactly as the uninterrupted one', async () => {
    const set = await ruleset(RULES);
    await fc.assert(
      fc.property(alertStream, fc.nat(), (alerts, cut) => {
        const lines = alerts.map((a) => JSON.stringify(a));
        const at = lines.length === 0 ? 0 : cut % (lines.length + 1);
        const whole = run(set, lines);
        whole.pipeline.finish();

        const first = run(set, lines.slice(0, at));
        const saved = JSON.stringify(first.pipeline.snapshot());
        const second = run(set, lines.slice(at), undefined, saved);
        second.pipeline.finish();
        expect([...first.out, ...second.out]).toEqual(whole.out);
        expect(second.pipeline.counts).toEqual(whole.pipeline.counts);
      }),
      { numRuns: 150 },
    );
  });

  it('decides the same however the input is split into batches', async () => {
    const set = await ruleset(RULES);
    await fc.assert(
      fc.property(alertStream, fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }), (alerts, sizes) => {
        const lines = alerts.map((a) => JSON.stringify(a));
        const whole = run(set, lines);
        const split = run(set, lines, sizes);
        expect(split.out).toEqual(whole.out);
      }),
      { numRuns: 150 },
    );
  });

  it('restores windows only for rules that still count the same thing', async () => {
    const set = await ruleset(RULES);
    const lines = [0, 1, 2].map((m) => JSON.stringify({ id: `x${m}`, time: at(m), source: 'ids', name: 'exfil', severity: 'low', category: 'recon', entities: { host: 'web-1' }, raw: { bytes_out: 1e6 } }));
    const saved = run(set, lines).pipeline.snapshot();
    const changed = await ruleset({ ...RULES, 'exfil.yaml': { ...(RULES['exfil.yaml'] as object), window: { groupBy: ['entities.host'], size: '1h' } } });
    const fresh = new Pipeline({ ruleset: changed, normalize: createNormalizer({ format: 'canonical' }), sinks: { decision() {}, incident() {}, deadLetter() {} } });
    const report = fresh.restore(PipelineSnapshot.parse(JSON.parse(JSON.stringify(saved))));
    expect(report.reset).toEqual(['exfil']);
    expect(report.kept.sort()).toEqual(['burst', 'quiet-auth']);
    expect(fresh.windowStats().find((w) => w.ruleId === 'exfil')!.stats.keys).toBe(0);
  });
});
