import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecision, type DecisionRecord } from '../../src/decide/decision-record.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline, PipelineSnapshot, type PipelineOptions } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

const BRUTE_FORCE = {
  'brute.yaml': rule({
    id: 'brute',
    match: { all: [{ fact: 'name', operator: 'equal', value: 'sshd: authentication failed' }] },
    window: { groupBy: ['entities.src_ip'], size: '10m' },
    aggregates: { failures: { kind: 'count' } },
    conditions: { all: [{ fact: 'failures', operator: 'greaterThanInclusive', value: 1 }] },
    incident: { groupBy: ['entities.src_ip'], window: '1h' },
  }),
};

const failure = (id: string, minute: number) => alert({ id, time: at(minute), name: 'sshd: authentication failed', entities: { src_ip: '198.51.100.23' } });

function pipelineOver(set: CompiledRuleSet, options: Partial<PipelineOptions> = {}) {
  const decisions: DecisionRecord[] = [];
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'canonical' }),
    sinks: { decision: (json) => decisions.push(parseDecision(json)), incident: (r) => incidents.push(r), deadLetter: () => {} },
    ...options,
  });
  const feed = (lines: readonly string[]) => pipeline.processBatch(lines.map((text, i) => ({ line: i + 1, text })));
  return { pipeline, decisions, incidents, feed };
}

describe('duplicate alerts', () => {
  it('are counted once: 20 identical lines with the same id promote one alert, not an incident of 20 failures', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const line = JSON.stringify(failure('evt-1', 0));
    const out = runPipeline(set, Array.from({ length: 20 }, () => line));
    expect(out.incidents).toHaveLength(1);
    expect(out.incidents[0]).toMatchObject({ alertCount: 1, alertIds: ['evt-1'] });
    expect(out.decisions[0]).toMatchObject({ decision: 'promote', explanation: { aggregates: { failures: 1 } } });
    const incidentId = out.decisions[0]!.incidentId;
    for (const d of out.decisions.slice(1)) {
      expect(d).toEqual({
        alertId: 'evt-1',
        time: at(0),
        decision: 'duplicate',
        ruleId: null,
        ruleVersion: null,
        explanation: { by: 'duplicate', duplicateOf: { decision: 'promote', ruleId: 'brute', incidentId } },
      });
    }
    expect(out.counts).toMatchObject({ alerts: 20, promoted: 1, duplicate: 19, passed: 0, suppressed: 0, invalid: 0 });
  });

  it('an alert dated 9999 does not make the remembered ids expire: a redelivery after it is still a duplicate (the horizon followed the claimed time)', async () => {
    const { decisions, feed } = pipelineOver(await ruleset(BRUTE_FORCE));
    const first = JSON.stringify(failure('evt-1', 0));
    feed([first, JSON.stringify(failure('evt-2', 1)), JSON.stringify(alert({ id: 'far', time: '9999-12-31T23:59:59.000Z' })), first]);
    expect(decisions.map((d) => [d.alertId, d.decision])).toEqual([
      ['evt-1', 'promote'],
      ['evt-2', 'promote'],
      ['far', 'pass'],
      ['evt-1', 'duplicate'],
    ]);
  });

  it('a future-dated alert that was dead-lettered is dead-lettered again when it comes again, not called a duplicate of a decision', async () => {
    const { pipeline, decisions, feed } = pipelineOver(await ruleset(BRUTE_FORCE), { eventTime: { maxFutureSkew: '6h', onFutureDated: 'dead-letter', recentAlerts: 1000 } });
    const far = JSON.stringify(alert({ id: 'far', time: '9999-12-31T23:59:59.000Z' }));
    feed([JSON.stringify(failure('evt-1', 0)), far, far]);
    expect(decisions.map((d) => [d.alertId, d.decision])).toEqual([['evt-1', 'promote']]);
    expect(pipeline.counts).toMatchObject({ alerts: 3, promoted: 1, invalid: 2, duplicate: 0, futureDated: 2 });
  });

  it('the accounting adds up: alerts = promoted + suppressed + passed + duplicate + invalid', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const lines = [failure('a', 0), failure('a', 0), alert({ id: 'p', time: at(1) }), alert({ id: 'p', time: at(1) }), 'not json', failure('b', 2)].map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    const { counts } = runPipeline(set, lines);
    expect(counts).toMatchObject({ alerts: 6, promoted: 2, passed: 1, duplicate: 2, invalid: 1 });
    expect(counts.promoted + counts.suppressed + counts.passed + counts.duplicate + counts.invalid).toBe(counts.alerts);
  });

  it('the same id with another event time is a new alert (a detector that reuses ids), decided and counted', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const out = runPipeline(set, [failure('reused', 0), failure('reused', 1), failure('reused', 1)].map((a) => JSON.stringify(a)));
    expect(out.decisions.map((d) => d.decision)).toEqual(['promote', 'promote', 'duplicate']);
    expect(out.incidents[0]!.alertCount).toBe(2);
  });

  it('are remembered for the horizon of event time only, and not at all with horizon 0', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const lines = [failure('x', 0), failure('y', 10), failure('x', 0)].map((a) => JSON.stringify(a));
    const within = pipelineOver(set, { dedup: { horizonMs: 11 * 60_000, maxIds: 10 } });
    within.feed(lines);
    expect(within.decisions.map((d) => d.decision)).toEqual(['promote', 'promote', 'duplicate']);
    const past = pipelineOver(set, { dedup: { horizonMs: 10 * 60_000, maxIds: 10 } });
    past.feed(lines);
    expect(past.decisions.map((d) => d.decision)).toEqual(['promote', 'promote', 'promote']);
    const off = pipelineOver(set, { dedup: { horizonMs: 0, maxIds: 10 } });
    off.feed([lines[0]!, lines[0]!]);
    expect(off.decisions.map((d) => d.decision)).toEqual(['promote', 'promote']);
  });

  it('remember at most maxIds ids, forgetting the oldest first (counted)', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const { pipeline, decisions, feed } = pipelineOver(set, { dedup: { horizonMs: 3_600_000, maxIds: 2 } });
    feed(['a', 'b', 'c', 'a', 'c'].map((id, i) => JSON.stringify(failure(id, id.charCodeAt(0) - 97))));
    expect(decisions.map((d) => d.decision)).toEqual(['promote', 'promote', 'promote', 'promote', 'duplicate']);
    expect(pipeline.dedupStats()).toEqual({ ids: 2, reused: 0, evicted: 2 });
  });

  it('replaying a stream with any of its lines duplicated within the horizon gives the same promotions and incidents', async () => {
    const set = await ruleset({
      ...BRUTE_FORCE,
      'brute.yaml': { ...(BRUTE_FORCE['brute.yaml'] as object), conditions: { all: [{ fact: 'failures', operator: 'greaterThanInclusive', value: 3 }] } },
      'spray.yaml': rule({
        id: 'spray',
        decision: 'suppress',
        match: { all: [{ fact: 'name', operator: 'equal', value: 'ET SCAN' }] },
        window: { groupBy: ['entities.user'], size: '5m', allowedLateness: '3m' },
        aggregates: { users: { kind: 'distinct', field: 'entities.src_ip' } },
        conditions: { all: [{ fact: 'users', operator: 'lessThan', value: 2 }] },
      }),
      'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] }, incident: { groupBy: ['entities.user'], window: '10m' } }),
    });
    const horizonMs = 10 * 60_000;
    const stream = fc
      .array(
        fc.record({
          minute: fc.integer({ min: 0, max: 90 }),
          jitter: fc.integer({ min: -2, max: 0 }),
          name: fc.constantFrom('sshd: authentication failed', 'ET SCAN'),
          src: fc.constantFrom('198.51.100.1', '198.51.100.2'),
          user: fc.constantFrom('root', 'alice'),
          severity: fc.constantFrom('low', 'high'),
        }),
        { maxLength: 60 },
      )
      .map((items) =>
        items
          .sort((a, b) => a.minute - b.minute)
          .map((it, i) => ({ id: `a${i}`, time: at(it.minute + it.jitter), timeMs: Date.parse(at(it.minute + it.jitter)), source: 'ids', name: it.name, severity: it.severity, category: 'auth', entities: { src_ip: it.src, user: it.user } })),
      );
    await fc.assert(
      fc.property(stream, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }), (alerts, copies) => {
        const lines = alerts.map(({ timeMs: _t, ...a }) => JSON.stringify(a));
        // Each copy of line i goes after it, at a position where the newest event time is still within the horizon of it.
        const inserted: { at: number; line: number }[] = [];
        for (const [which, where] of copies) {
          if (lines.length === 0) break;
          const i = which % lines.length;
          let last = i + 1;
          let newest = Math.max(...alerts.slice(0, i + 1).map((a) => a.timeMs));
          while (last < lines.length && Math.max(newest, alerts[last]!.timeMs) < alerts[i]!.timeMs + horizonMs) newest = Math.max(newest, alerts[last++]!.timeMs);
          inserted.push({ at: i + 1 + (where % (last - i)), line: i });
        }
        const withCopies: string[] = [];
        const original: boolean[] = [];
        lines.forEach((line, k) => {
          withCopies.push(line);
          original.push(true);
          for (const c of inserted.filter((c) => c.at === k + 1)) {
            withCopies.push(lines[c.line]!);
            original.push(false);
          }
        });
        const clean = runPipeline(set, lines);
        const dup = runPipeline(set, withCopies);
        expect(dup.decisions.filter((_, k) => original[k])).toEqual(clean.decisions);
        expect(dup.incidents).toEqual(clean.incidents);
        const copiesDecided = dup.decisions.filter((_, k) => !original[k]);
        expect(copiesDecided.every((d) => d.decision === 'duplicate')).toBe(true);
        for (const d of copiesDecided) {
          const first = clean.decisions.find((c) => c.alertId === d.alertId)!;
          expect(d.explanation.duplicateOf).toEqual({ decision: first.decision, ruleId: first.ruleId, ...(first.incidentId ? { incidentId: first.incidentId } : {}) });
        }
        expect(dup.counts.duplicate).toBe(withCopies.length - lines.length);
      }),
      { numRuns: 100 },
    );
  });

  it('a snapshot carries the remembered ids: a restored pipeline still recognizes a duplicate', async () => {
    const set = await ruleset(BRUTE_FORCE);
    const first = pipelineOver(set);
    first.feed([JSON.stringify(failure('k', 0))]);
    const saved = PipelineSnapshot.parse(JSON.parse(JSON.stringify(first.pipeline.snapshot())));
    expect(saved.version).toBe(2);
    const second = pipelineOver(set);
    second.pipeline.restore(saved);
    second.feed([JSON.stringify(failure('k', 0))]);
    expect(second.decisions[0]).toMatchObject({ decision: 'duplicate', explanation: { duplicateOf: { decision: 'promote', ruleId: 'brute', incidentId: first.decisions[0]!.incidentId } } });
  });

  it('a version 1 checkpoint (written before deduplication) is still restored, and the pipeline continues as one that saw its input', async () => {
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures/snapshot-v1.json'), 'utf8')) as { rules: Record<string, object>; lines: string[]; snapshot: unknown };
    const set = await ruleset(Object.fromEntries(Object.entries(fixture.rules).map(([file, r]) => [file, rule(r as Record<string, unknown>)])));
    const snapshot = PipelineSnapshot.parse(fixture.snapshot);
    expect((fixture.snapshot as { version: number }).version).toBe(1);
    const later = [8, 9, 10].map((m) => JSON.stringify(alert({ id: `later-${m}`, time: at(m), name: 'sshd: authentication failed', entities: { src_ip: '203.0.113.9', user: 'eve' } })));
    const restored = pipelineOver(set);
    expect(restored.pipeline.restore(snapshot)).toEqual({ kept: ['burst'], reset: [] });
    restored.feed(later);
    restored.pipeline.finish();
    const whole = pipelineOver(set);
    whole.feed([...fixture.lines, ...later]);
    whole.pipeline.finish();
    expect(restored.decisions).toEqual(whole.decisions.slice(fixture.lines.length));
    expect(restored.incidents).toEqual(whole.incidents);
    expect(restored.pipeline.counts).toEqual(whole.pipeline.counts);
  });
});
