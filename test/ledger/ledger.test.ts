import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { FeedbackLine } from '../../src/feedback/feedback.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { describeLedger } from './backends.js';
import { incidentRecord, incidentsBatch } from './fixtures.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

const fb = (incidentId: string, overrides: Partial<FeedbackLine> = {}): FeedbackLine => ({
  incidentId,
  verdict: 'false_positive',
  reason: 'backup agent',
  analyst: 'ana',
  ...overrides,
});

describeLedger('ledger', (fresh, backend) => {
  it('migrates an empty database and reads it back empty; opening it again migrates nothing', async () => {
    const ledger = await fresh();
    expect(await ledger.incidents()).toEqual([]);
    expect(await ledger.latestEventTimeMs()).toBeUndefined();
    expect(await ledger.feedbackCounts()).toEqual([]);
    expect(await ledger.precision(HOUR, T0)).toEqual([]);
    expect(await ledger.tuningChangesApplied()).toEqual([]);
    expect(await ledger.ruleIds()).toEqual([]);
    expect(await ledger.ruleStats('nothing')).toMatchObject({ incidents: 0, precision: null, firstSeen: null, decisionsByDay: [] });
    await ledger.writeBatch(incidentsBatch([incidentRecord()]));
    await ledger.close();
    const again = await Ledger.open(ledger.location);
    expect(await again.incidents()).toHaveLength(1);
    await again.close();
  });

  it('stores incident records exactly and upserts them by id, never replacing a closed record with an open one', async () => {
    const ledger = await fresh();
    const open = incidentRecord({ status: 'open', alertCount: 3, facts: { hits: { opened: 20, peak: 22 } } });
    await ledger.writeBatch(incidentsBatch([open]));
    expect((await ledger.incident(open.id))?.incident).toEqual(open);
    const closed = { ...open, status: 'closed' as const, alertCount: 5, facts: { hits: { opened: 20, peak: 30 } } };
    await ledger.writeBatch(incidentsBatch([closed]));
    expect((await ledger.incident(open.id))?.incident).toEqual(closed);
    // A redelivered, older state.
    await ledger.writeBatch(incidentsBatch([open]));
    expect((await ledger.incident(open.id))?.incident).toEqual(closed);
    expect(await ledger.latestEventTimeMs()).toBe(Date.parse(closed.lastSeen));
  });

  it('the newest decision time is the end of the newest decision-count hour, or the newest incident if later; undefined when empty', async () => {
    const ledger = await fresh();
    expect(await ledger.latestDecisionTimeMs()).toBeUndefined();
    const incident = incidentRecord({ firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 10 * 60_000).toISOString() });
    await ledger.writeBatch(incidentsBatch([incident]));
    expect(await ledger.latestDecisionTimeMs()).toBe(T0 + 10 * 60_000);
    // Passes three hours after the incident's last alert.
    await ledger.writeBatch({ incidents: [], openings: [], counts: [{ ruleId: '', decision: 'pass', bucketMs: T0 + 3 * HOUR, count: 4 }], source: 'test' });
    expect(await ledger.latestDecisionTimeMs()).toBe(T0 + 4 * HOUR - 1);
    expect(await ledger.latestEventTimeMs()).toBe(T0 + 10 * 60_000);
  });

  it('keeps the opening decision: explanation and alert', async () => {
    const ledger = await fresh();
    const incident = incidentRecord();
    const decisionJson = JSON.stringify({
      alertId: 'a-1',
      time: incident.firstSeen,
      decision: 'promote',
      ruleId: 'r1',
      ruleVersion: 1,
      incidentId: incident.id,
      explanation: { by: 'rule', rule: { id: 'r1', version: 1, priority: 1, file: 'r1.yaml' }, aggregates: { hits: 20 }, params: { minCount: 20 } },
    });
    const alert = { name: 'ET SCAN x', source: 'suricata', severity: 'medium', entities: { host: 'host-1' } };
    await ledger.writeBatch({ incidents: [incident], openings: [{ incidentId: incident.id, alertId: 'a-1', decisionJson, alert }], counts: [], source: 's' });
    const stored = await ledger.incident(incident.id);
    expect(stored?.opening).toEqual({ alertId: 'a-1', alert, explanation: JSON.parse(decisionJson).explanation });
    expect((await ledger.tuningIncidents())[0]).toMatchObject({ openingAlert: alert, verdict: null });
    expect(await ledger.incident('inc-000000000000000000000000')).toBeUndefined();
  });

  it('adds decision counts per source and hour; a reset forgets one source', async () => {
    const ledger = await fresh();
    const counts = [
      { ruleId: 'r1', decision: 'promote' as const, bucketMs: T0, count: 3 },
      { ruleId: 'r1', decision: 'suppress' as const, bucketMs: T0 + 25 * HOUR, count: 2 },
      { ruleId: '', decision: 'pass' as const, bucketMs: T0, count: 7 },
    ];
    await ledger.writeBatch({ incidents: [], openings: [], counts, source: 'a' });
    await ledger.writeBatch({ incidents: [], openings: [], counts, source: 'a' });
    await ledger.writeBatch({ incidents: [], openings: [], counts: counts.slice(0, 1), source: 'b' });
    expect((await ledger.ruleStats('r1')).decisionsByDay).toEqual([
      { day: '2026-11-20', promote: 9, suppress: 0 },
      { day: '2026-11-21', promote: 0, suppress: 4 },
    ]);
    await ledger.resetDecisionCounts('a');
    expect((await ledger.ruleStats('r1')).decisionsByDay).toEqual([{ day: '2026-11-20', promote: 3, suppress: 0 }]);
    expect(await ledger.ruleIds()).toEqual(['r1']);
  });

  it('report reads: incidents in a closed range with their opening alert and first verdict time; decision counts per hour summed over sources', async () => {
    const ledger = await fresh();
    expect(await ledger.eventTimeSpan()).toBeUndefined();
    const records = [1, 2, 3].map((n) => incidentRecord({ n, firstSeen: new Date(T0 + n * HOUR).toISOString() }));
    const alert = { name: 'ET SCAN x', source: 'suricata', severity: 'medium', entities: { host: 'host-1' } };
    await ledger.writeBatch({ incidents: records, openings: [{ incidentId: records[0]!.id, alertId: 'a-1', decisionJson: '{}', alert }], counts: [], source: 's' });
    const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
    await ledger.addFeedback(fb(records[0]!.id, { at: at(5) }), 'test');
    await ledger.addFeedback(fb(records[0]!.id, { verdict: 'true_positive', reason: 'attack', at: at(4) }), 'test');
    // Pages of one row: the third incident (at +3h) is after the end.
    const pages = [];
    for await (const page of ledger.reportIncidentPages(T0 + HOUR, T0 + 2 * HOUR, 1)) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([1, 1]);
    const read = pages.flat();
    expect(read.map((r) => [r.ruleId, r.firstSeenMs, r.alertCount, r.groupKey])).toEqual(records.slice(0, 2).map((r) => [r.ruleId, Date.parse(r.firstSeen), r.alertCount, r.groupKey]));
    const all = [];
    for await (const page of ledger.reportIncidentPages(T0, T0 + 9 * HOUR, 2)) all.push(page.map((r) => r.firstSeenMs));
    expect(all).toEqual([[T0 + HOUR, T0 + 2 * HOUR], [T0 + 3 * HOUR]]);
    // The current verdict is the latest by time (FP at +5h); the first one was given at +4h.
    expect(read[0]).toMatchObject({ verdict: 'false_positive', openingAlert: alert, firstFeedbackMs: T0 + 4 * HOUR });
    expect(read[1]).toMatchObject({ verdict: null, openingAlert: undefined, firstFeedbackMs: undefined });

    const counts = [
      { ruleId: 'r1', decision: 'promote' as const, bucketMs: T0, count: 3 },
      { ruleId: 'r1', decision: 'promote' as const, bucketMs: T0 + HOUR, count: 1 },
      { ruleId: '', decision: 'pass' as const, bucketMs: T0 + HOUR, count: 7 },
      { ruleId: 'r1', decision: 'suppress' as const, bucketMs: T0 + 3 * HOUR, count: 2 },
    ];
    await ledger.writeBatch({ incidents: [], openings: [], counts, source: 'a' });
    await ledger.writeBatch({ incidents: [], openings: [], counts: counts.slice(0, 1), source: 'b' });
    // The data spans the first decision hour to the last alert of the last incident.
    expect(await ledger.eventTimeSpan()).toEqual({ oldestMs: T0, newestMs: Date.parse(records[2]!.lastSeen) });
    // From the middle of the first hour: that hour counts; the hour at +3h starts after the end.
    expect(await ledger.decisionCountsBetween(T0 + HOUR / 2, T0 + 3 * HOUR - 1)).toEqual([
      { ruleId: 'r1', decision: 'promote', bucketMs: T0, count: 6 },
      { ruleId: '', decision: 'pass', bucketMs: T0 + HOUR, count: 7 },
      { ruleId: 'r1', decision: 'promote', bucketMs: T0 + HOUR, count: 1 },
    ]);
  });

  it('feedback: unknown incident, created, duplicate, superseded with history, back-dated', async () => {
    const ledger = await fresh({ now: () => T0 + 10 * HOUR });
    const incident = incidentRecord();
    await ledger.writeBatch(incidentsBatch([incident]));
    expect(await ledger.addFeedback(fb('inc-000000000000000000000000'), 'test')).toEqual({ status: 'not_found', incidentId: 'inc-000000000000000000000000' });

    const first = await ledger.addFeedback(fb(incident.id), 'api:ana');
    expect(first).toMatchObject({ status: 'created', feedback: { verdict: 'false_positive', source: 'api:ana', at: new Date(T0 + 10 * HOUR).toISOString() } });
    expect(first.status !== 'not_found' && first.superseded).toBeUndefined();
    const again = await ledger.addFeedback(fb(incident.id), 'cli');
    expect(again).toMatchObject({ status: 'duplicate', feedback: { id: first.status === 'created' ? first.feedback.id : '', source: 'api:ana' } });

    const later = await ledger.addFeedback(fb(incident.id, { verdict: 'true_positive', reason: 'it was the attacker after all', at: new Date(T0 + 11 * HOUR).toISOString() }), 'cli');
    expect(later).toMatchObject({ status: 'created', current: { verdict: 'true_positive' }, superseded: { verdict: 'false_positive' } });
    const backdated = await ledger.addFeedback(fb(incident.id, { verdict: 'benign_positive', reason: 'older ticket', at: new Date(T0).toISOString() }), 'import:t.ndjson');
    expect(backdated).toMatchObject({ status: 'created', current: { verdict: 'true_positive' } });
    expect(backdated.status !== 'not_found' && backdated.superseded).toBeUndefined();

    const stored = await ledger.incident(incident.id);
    expect(stored?.verdict).toBe('true_positive');
    expect(stored?.feedback.map((f) => f.verdict)).toEqual(['benign_positive', 'false_positive', 'true_positive']);
    expect(await ledger.incidents({ verdict: 'true_positive' })).toHaveLength(1);
    expect(await ledger.incidents({ verdict: 'false_positive' })).toHaveLength(0);
  });

  it('lists incidents by status, verdict, rule and time, newest first', async () => {
    const ledger = await fresh();
    const records = [
      incidentRecord({ n: 1, ruleId: 'a' }),
      incidentRecord({ n: 2, ruleId: 'a', status: 'open' }),
      incidentRecord({ n: 3, ruleId: 'b' }),
    ];
    await ledger.writeBatch(incidentsBatch(records));
    await ledger.addFeedback(fb(records[0]!.id), 'test');
    const ids = async (filter: Parameters<Ledger['incidents']>[0]) => (await ledger.incidents(filter)).map((i) => i.incident.id);
    expect(await ids({})).toEqual([records[2]!.id, records[1]!.id, records[0]!.id]);
    expect(await ids({ ruleId: 'a' })).toEqual([records[1]!.id, records[0]!.id]);
    expect(await ids({ status: 'open' })).toEqual([records[1]!.id]);
    expect(await ids({ verdict: 'unreviewed' })).toEqual([records[2]!.id, records[1]!.id]);
    expect(await ids({ verdict: 'false_positive' })).toEqual([records[0]!.id]);
    expect(await ids({ sinceMs: Date.parse(records[1]!.firstSeen) })).toEqual([records[2]!.id, records[1]!.id]);
    expect(await ids({ limit: 1, offset: 1 })).toEqual([records[1]!.id]);
  });

  it('feedback counts, precision over a horizon and rule stats follow the current verdicts', async () => {
    const ledger = await fresh();
    const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
    const records = [0, 1, 2, 3, 30].map((h, n) => incidentRecord({ n, ruleId: 'r', firstSeen: at(h), lastSeen: at(h) }));
    await ledger.writeBatch(incidentsBatch(records));
    await ledger.addFeedback(fb(records[0]!.id, { verdict: 'true_positive' }), 't');
    await ledger.addFeedback(fb(records[1]!.id), 't');
    await ledger.addFeedback(fb(records[2]!.id), 't');
    await ledger.addFeedback(fb(records[3]!.id, { verdict: 'benign_positive' }), 't');
    await ledger.addFeedback(fb(records[4]!.id, { verdict: 'true_positive' }), 't');
    expect(await ledger.feedbackCounts()).toEqual([
      { ruleId: 'r', verdict: 'benign_positive', count: 1 },
      { ruleId: 'r', verdict: 'false_positive', count: 2 },
      { ruleId: 'r', verdict: 'true_positive', count: 2 },
    ]);
    // The last 24 hours before hour 30 hold only the hour-30 TP; hours 0..30 hold 2 TP and 2 FP.
    expect(await ledger.precision(24 * HOUR, T0 + 30 * HOUR)).toEqual([{ ruleId: 'r', precision: 1 }]);
    expect(await ledger.precision(31 * HOUR, T0 + 30 * HOUR)).toEqual([{ ruleId: 'r', precision: 0.5 }]);
    expect(await ledger.ruleStats('r', T0 + HOUR)).toMatchObject({ incidents: 4, truePositive: 1, falsePositive: 2, benignPositive: 1, unreviewed: 0, precision: 1 / 3 });
  });

  it('records tuning changes, lists them and marks one reverted once', async () => {
    const ledger = await fresh({ now: () => T0 });
    const change = {
      id: 'tc-1',
      ruleId: 'r',
      file: 'rules/r.yaml',
      param: 'minCount',
      from: 20,
      to: 30,
      versionBefore: 1,
      versionAfter: 2,
      beforeText: 'a\n',
      afterText: 'b\n',
      author: 'eng',
      reason: 'noise',
      evidence: { falsePositiveRemoved: 3 },
      appliedAtMs: T0,
    };
    await ledger.recordTuningChange(change);
    await ledger.recordTuningChange({ ...change, id: 'tc-2', ruleId: 's', appliedAtMs: T0 + 1 });
    expect(await ledger.tuningChangesApplied()).toEqual([
      { ruleId: 'r', count: 1 },
      { ruleId: 's', count: 1 },
    ]);
    expect(await ledger.tuningChange('tc-1')).toMatchObject({ to: 30, evidence: { falsePositiveRemoved: 3 }, reverted: null, beforeText: 'a\n' });
    expect(await ledger.markReverted('tc-1', 'eng', 'too strict')).toBe(true);
    expect(await ledger.markReverted('tc-1', 'eng', 'again')).toBe(false);
    expect(await ledger.markReverted('nope', 'eng', 'x')).toBe(false);
    expect(await ledger.tuningChange('tc-1')).toMatchObject({ reverted: { by: 'eng', reason: 'too strict', at: new Date(T0).toISOString() } });
    expect(await ledger.tuningChangesApplied()).toEqual([{ ruleId: 's', count: 1 }]);
    expect((await ledger.ruleStats('r')).tuningChanges).toHaveLength(1);
  });

  it('records each rule definition once per version and fingerprint', async () => {
    const ledger = await fresh();
    const row = { rule_id: 'r', version: 1, fingerprint: 'f1', file: 'r.yaml', definition: '{}' };
    await ledger.recordRuleVersions([row, row]);
    await ledger.recordRuleVersions([row, { ...row, fingerprint: 'f2' }, { ...row, version: 2 }]);
    expect((await ledger.ruleVersions('r')).map((r) => [r.version, r.fingerprint])).toEqual([
      [1, 'f1'],
      [1, 'f2'],
      [2, 'f1'],
    ]);
  });

  it('records concurrent feedback on one incident without losing any', async () => {
    const ledger = await fresh();
    const incident = incidentRecord();
    await ledger.writeBatch(incidentsBatch([incident]));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ledger.addFeedback(fb(incident.id, { reason: `reason ${i}` }), 't')));
    expect(results.every((r) => r.status === 'created')).toBe(true);
    expect(await ledger.feedbackHistory(incident.id)).toHaveLength(8);
  });

  it(`property: feedback ingestion is idempotent (${backend})`, async () => {
    const ledger = await fresh({ now: () => T0 });
    const incidents = [1, 2, 3].map((n) => incidentRecord({ n }));
    await ledger.writeBatch(incidentsBatch(incidents));
    const line = fc.record({
      incident: fc.integer({ min: 0, max: 2 }),
      verdict: fc.constantFrom('true_positive' as const, 'benign_positive' as const, 'false_positive' as const),
      reason: fc.constantFrom('r1', 'r2'),
      analyst: fc.constantFrom('ana', 'bob'),
      atHour: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), async (lines, repeats) => {
        // Each run works on its own incidents' verdicts: the reason carries the run number.
        run++;
        const feedback = lines.map((l) => fb(incidents[l.incident]!.id, {
          verdict: l.verdict,
          reason: `${l.reason} #${run}`,
          analyst: l.analyst,
          ...(l.atHour !== undefined ? { at: new Date(T0 + l.atHour * HOUR).toISOString() } : {}),
        }));
        const state = async () => Promise.all(incidents.map(async (i) => ({ verdict: (await ledger.incident(i.id))?.verdict, history: (await ledger.feedbackHistory(i.id)).map((f) => f.id) })));
        for (const f of feedback) await ledger.addFeedback(f, 'prop');
        const once = await state();
        // Again, and again with lines repeated at random.
        for (const f of feedback) expect((await ledger.addFeedback(f, 'prop')).status).toBe('duplicate');
        for (const i of repeats) await ledger.addFeedback(feedback[i % feedback.length]!, 'prop');
        expect(await state()).toEqual(once);
      }),
      { numRuns: 15 },
    );
  });
});
