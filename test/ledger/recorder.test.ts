import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/incidents/index.js';
import type { LedgerBatch } from '../../src/ledger/ledger.js';
import { LedgerRecorder, recordingSinks } from '../../src/ledger/recorder.js';
import { createNormalizer } from '../../src/normalize/index.js';
import type { DecisionFacts } from '../../src/pipeline/pipeline.js';
import { runStream } from '../../src/pipeline/run-stream.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { describeLedger } from './backends.js';
import { incidentRecord } from './fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const HOUR = 3_600_000;

describeLedger('LedgerRecorder over soc-week', (fresh) => {
  it('writes every incident as the pipeline wrote it, each with its opening decision, and decision counts that add up to the run', async () => {
    const ledger = await fresh();
    const recorder = new LedgerRecorder(ledger, { source: 'replay:soc-week', flushIntervalMs: 0 });
    const written: IncidentRecord[] = [];
    const run = runStream(createReadStream(join(ROOT, 'fixtures/soc-week.ndjson')), {
      ruleset: await loadRulesOrThrow(join(ROOT, 'rules')),
      normalize: createNormalizer({ format: 'auto' }),
      maxLineBytes: 1 << 20,
      outputs: {},
      onIncident: (i) => written.push(i),
      recorder,
    });
    await run.done;
    expect(recorder.stats.flushes).toBeGreaterThan(1);
    const stored = await ledger.incidents({ limit: 1000 });
    expect(stored.map((s) => s.incident).sort(byId)).toEqual([...written].sort(byId));
    for (const incident of written) {
      const full = await ledger.incident(incident.id);
      expect(full?.opening?.alertId).toBe(incident.alertIds[0]);
      expect(full?.opening?.explanation.rule?.id).toBe(incident.ruleId);
    }
    for (const [ruleId, counts] of run.pipeline.counts.byRule) {
      const days = (await ledger.ruleStats(ruleId)).decisionsByDay;
      expect(days.reduce((n, d) => n + d.promote, 0), ruleId).toBe(counts.promoted);
      expect(days.reduce((n, d) => n + d.suppress, 0), ruleId).toBe(counts.suppressed);
    }
  });
});

describeLedger('LedgerRecorder counting each alert once (Kafka)', (fresh) => {
  const T0 = Date.UTC(2026, 10, 20, 10);
  /** Alert `n`'s decision, the same whenever it is decided (a redelivered chunk is decided as before). */
  const decide = (recorder: LedgerRecorder, n: number) => {
    const [ruleId, decision] = n % 3 === 0 ? ['burst', 'promote'] : n % 3 === 1 ? ['quiet-hours', 'suppress'] : [null, 'pass'];
    recorder.decision('{}', `a-${n}`, {
      ruleId,
      decision: decision as DecisionFacts['decision'],
      timeMs: T0 + n * 60_000,
      incidentId: undefined,
      opened: false,
      incident: undefined,
      alert: { id: `a-${n}`, time: '', source: 's', name: 'n', severity: 'low', severityOriginal: null, category: 'c', entities: {}, tags: [], raw: {} },
    });
  };
  const total = async (ledger: Awaited<ReturnType<typeof fresh>>) => {
    const byKind: Record<string, number> = {};
    for (const c of await ledger.decisionCountsBetween(T0 - HOUR, T0 + 100 * HOUR)) byKind[c.decision] = (byKind[c.decision] ?? 0) + c.count;
    return byKind;
  };

  it('does not count a chunk decided and sent again after a crash twice: the second worker counts only the alert ids not counted yet; each duplicate copy still counts', async () => {
    const ledger = await fresh();
    const source = 'kafka:alertgate';
    // The first decider counts alerts 0-199 and flushes, then crashes before committing 100-199.
    const first = new LedgerRecorder(ledger, { source, countEachAlertOnce: true });
    for (let n = 0; n < 200; n++) decide(first, n);
    await first.flush();
    // The next decider sends 100-199 again (their chunk records are in the state topic), then goes on to 299.
    const second = new LedgerRecorder(ledger, { source, countEachAlertOnce: true });
    for (let n = 100; n < 300; n++) decide(second, n);
    // Duplicates (an alert id sent twice by a forwarder) are counted per copy.
    for (let copy = 0; copy < 2; copy++) second.decision('{}', 'a-5', dupFacts(T0));
    await second.flush();
    expect(await total(ledger)).toEqual({ promote: 100, suppress: 100, pass: 100, duplicate: 2 });
    // Counted in the first flush already, within one batch too: an alert id twice in one flush counts once.
    const third = new LedgerRecorder(ledger, { source, countEachAlertOnce: true });
    decide(third, 300);
    decide(third, 300);
    await third.flush();
    expect((await total(ledger)).promote).toBe(101);
    // Another source (a replay of the same input) counts the same ids for itself.
    const replay = new LedgerRecorder(ledger, { source: 'replay:input', countEachAlertOnce: true });
    decide(replay, 0);
    await replay.flush();
    expect((await total(ledger)).promote).toBe(102);
  });
});

function dupFacts(timeMs: number): DecisionFacts {
  return {
    ruleId: null,
    decision: 'duplicate',
    timeMs,
    incidentId: undefined,
    opened: false,
    incident: undefined,
    alert: { id: 'a-5', time: '', source: 's', name: 'n', severity: 'low', severityOriginal: null, category: 'c', entities: {}, tags: [], raw: {} },
  };
}

describe('LedgerRecorder buffering', () => {
  const facts = (ruleId: string | null, decision: DecisionFacts['decision'], timeMs: number, opened = false): DecisionFacts => ({
    ruleId,
    decision,
    timeMs,
    incidentId: opened ? 'inc-1' : undefined,
    opened,
    incident: undefined,
    alert: { id: 'a', time: '', source: 's', name: 'n', severity: 'low', severityOriginal: null, category: 'c', entities: { host: 'h' }, tags: [], raw: {} },
  });

  it('counts decisions per rule, decision and hour; keeps the last record per incident', async () => {
    const batches: LedgerBatch[] = [];
    const recorder = new LedgerRecorder({ writeBatch: async (b) => void batches.push(b) }, { source: 's' });
    recorder.decision('{}', 'a1', facts('r', 'promote', 10, true));
    recorder.decision('{}', 'a2', facts('r', 'promote', HOUR - 1));
    recorder.decision('{}', 'a3', facts('r', 'promote', HOUR));
    recorder.decision('{}', 'a4', facts(null, 'pass', 20));
    recorder.decision('{}', 'a5', facts('x', 'suppress', 30));
    recorder.incident(incidentRecord({ status: 'open', alertCount: 1 }));
    recorder.incident(incidentRecord({ status: 'closed', alertCount: 2 }));
    await recorder.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.counts).toEqual([
      { ruleId: 'r', decision: 'promote', bucketMs: 0, count: 2 },
      { ruleId: '', decision: 'pass', bucketMs: 0, count: 1 },
      { ruleId: 'x', decision: 'suppress', bucketMs: 0, count: 1 },
      { ruleId: 'r', decision: 'promote', bucketMs: HOUR, count: 1 },
    ]);
    expect(batches[0]!.incidents.map((i) => [i.status, i.alertCount])).toEqual([['closed', 2]]);
    expect(batches[0]!.openings).toEqual([{ incidentId: 'inc-1', alertId: 'a1', decisionJson: '{}', alert: { name: 'n', source: 's', severity: 'low', entities: { host: 'h' }, tags: [] } }]);
    await recorder.flush();
    expect(batches).toHaveLength(1);
  });

  it('with counting off (a silent re-decision) records openings and incidents but counts nothing', async () => {
    const batches: LedgerBatch[] = [];
    const recorder = new LedgerRecorder({ writeBatch: async (b) => void batches.push(b) }, { source: 's' });
    recorder.setCounting(false);
    recorder.decision('{}', 'a1', facts('r', 'promote', 0, true));
    recorder.incident(incidentRecord());
    recorder.setCounting(true);
    recorder.decision('{}', 'a2', facts('r', 'promote', 0));
    await recorder.flush();
    expect(batches[0]!.counts).toEqual([{ ruleId: 'r', decision: 'promote', bucketMs: 0, count: 1 }]);
    expect(batches[0]!.openings.map((o) => o.alertId)).toEqual(['a1']);
    expect(batches[0]!.incidents).toHaveLength(1);
  });

  it('keeps a failed flush for the next one, under what arrived since', async () => {
    const batches: LedgerBatch[] = [];
    let fail = true;
    const recorder = new LedgerRecorder(
      {
        writeBatch: async (b) => {
          if (fail) throw new Error('database is away');
          batches.push(b);
        },
      },
      { source: 's' },
    );
    recorder.decision('{}', 'a1', facts('r', 'promote', 0, true));
    recorder.incident(incidentRecord({ n: 1, alertCount: 1, status: 'open' }));
    await expect(recorder.flush()).rejects.toThrow('database is away');
    expect(recorder.stats.failedFlushes).toBe(1);
    fail = false;
    recorder.decision('{}', 'a2', facts('r', 'promote', 0));
    recorder.incident(incidentRecord({ n: 1, alertCount: 2, status: 'closed' }));
    recorder.incident(incidentRecord({ n: 2 }));
    await recorder.flush();
    expect(batches[0]!.counts).toEqual([{ ruleId: 'r', decision: 'promote', bucketMs: 0, count: 2 }]);
    expect(batches[0]!.incidents.map((i) => [i.title, i.alertCount])).toEqual([
      ['Incident 1', 2],
      ['Incident 2', 1],
    ]);
    expect(batches[0]!.openings.map((o) => o.alertId)).toEqual(['a1']);
  });

  it('is due after its interval or once enough is buffered', () => {
    let now = 0;
    const recorder = new LedgerRecorder({ writeBatch: async () => {} }, { source: 's', flushIntervalMs: 100, maxBuffered: 2, now: () => now });
    expect(recorder.due).toBe(false);
    now = 100;
    expect(recorder.due).toBe(true);
    now = 0;
    const fresh = new LedgerRecorder({ writeBatch: async () => {} }, { source: 's', flushIntervalMs: 100, maxBuffered: 2, now: () => now });
    fresh.incident(incidentRecord({ n: 1 }));
    expect(fresh.due).toBe(false);
    fresh.incident(incidentRecord({ n: 2 }));
    expect(fresh.due).toBe(true);
  });

  it('recordingSinks passes everything on to the sinks as well', () => {
    const seen: string[] = [];
    const sinks = { decision: (_j: string, id: string) => void seen.push(`d:${id}`), incident: (r: IncidentRecord) => void seen.push(`i:${r.title}`), deadLetter: () => void seen.push('dl') };
    expect(recordingSinks(sinks, undefined)).toBe(sinks);
    const recorder = new LedgerRecorder({ writeBatch: async () => {} }, { source: 's' });
    const both = recordingSinks(sinks, recorder);
    both.decision('{}', 'a1', facts('r', 'promote', 0));
    both.incident(incidentRecord());
    both.deadLetter({ line: 1, reason: 'x', raw: '', truncated: false });
    expect(seen).toEqual(['d:a1', 'i:Incident 1', 'dl']);
  });
});

function byId(a: IncidentRecord, b: IncidentRecord): number {
  return a.id < b.id ? -1 : 1;
}
