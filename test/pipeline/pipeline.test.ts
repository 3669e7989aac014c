import { describe, expect, it } from 'vitest';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

const burst = (overrides: Record<string, unknown> = {}) =>
  rule({
    id: 'burst',
    params: { minCount: { value: 3, min: 1, max: 100, step: 1 } },
    match: { all: [{ fact: 'name', operator: 'equal', value: 'ET SCAN test' }] },
    window: { groupBy: ['entities.src_ip'], size: '5m', allowedLateness: '1m' },
    aggregates: { hits: { kind: 'count' } },
    conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
    incident: { groupBy: ['entities.src_ip'], window: '30m', title: 'Burst from {{entities.src_ip}}' },
    ...overrides,
  });

describe('pipeline decisions', () => {
  it('promotes the alert that reaches the threshold, and the ones after it, into one incident', async () => {
    const set = await ruleset({ 'burst.yaml': burst() });
    const out = runPipeline(set, [0, 1, 2, 3].map((m) => alert({ id: `a${m}`, time: at(m) })));
    expect(out.decisions.map((d) => d.decision)).toEqual(['pass', 'pass', 'promote', 'promote']);
    expect(out.decisions[2]!.explanation.aggregates).toEqual({ hits: 3 });
    expect(out.decisions[2]!.explanation.params).toEqual({ minCount: 3 });
    expect(out.decisions[0]!.explanation.nearMisses).toEqual([{ ruleId: 'burst', aggregates: { hits: 1 } }]);
    expect(out.decisions[2]!.incidentId).toBe(out.decisions[3]!.incidentId);
    expect(out.incidents).toHaveLength(1);
    expect(out.incidents[0]).toMatchObject({ ruleId: 'burst', alertCount: 2, alertIds: ['a2', 'a3'], title: 'Burst from 203.0.113.7', groupKey: { 'entities.src_ip': '203.0.113.7' } });
  });

  it('counts per group key and forgets events older than the window', async () => {
    const set = await ruleset({ 'burst.yaml': burst() });
    const other = { src_ip: '198.51.100.1', host: 'web-01' };
    const out = runPipeline(set, [
      alert({ id: 'a', time: at(0) }),
      alert({ id: 'b', time: at(1), entities: other }),
      alert({ id: 'c', time: at(2) }),
      alert({ id: 'd', time: at(8) }), // a and c are out of the 5m window
      alert({ id: 'e', time: at(9) }),
      alert({ id: 'f', time: at(10) }),
    ]);
    expect(out.decisions.map((d) => `${d.alertId}:${d.decision}`)).toEqual(['a:pass', 'b:pass', 'c:pass', 'd:pass', 'e:pass', 'f:promote']);
  });

  it('opens a new incident once the grouping gap has passed', async () => {
    const set = await ruleset({ 'burst.yaml': burst({ params: { minCount: { value: 1, min: 1, max: 100 } } }) });
    const out = runPipeline(set, [alert({ id: 'a', time: at(0) }), alert({ id: 'b', time: at(30) }), alert({ id: 'c', time: at(61) })]);
    expect(out.decisions[0]!.incidentId).toBe(out.decisions[1]!.incidentId);
    expect(out.decisions[2]!.incidentId).not.toBe(out.decisions[1]!.incidentId);
    expect(out.incidents.map((i) => [i.alertCount, i.status])).toEqual([
      [2, 'closed'],
      [1, 'open'],
    ]);
  });

  it('applies precedence: exceptions, then suppress rules, then promote rules by priority then id', async () => {
    const set = await ruleset({
      'promote.yaml': [rule({ id: 'b-promote' }), rule({ id: 'a-promote' }), rule({ id: 'z-urgent', priority: 9 })],
      'suppress.yaml': rule({
        id: 'quiet-host',
        decision: 'suppress',
        conditions: { all: [{ fact: 'entities', path: '$.host', operator: 'equal', value: 'noisy-01' }] },
      }),
      'exceptions.yaml': {
        kind: 'exception',
        id: 'pentest',
        reason: 'authorized pentest',
        owner: 'soc',
        expires: '2026-11-21T00:00:00Z',
        match: { entities: { src_ip: '192.0.2.99' } },
      },
    });
    // The hour before the exception expires, then its expiry (a longer jump after three alerts would be future-dated: eventTime).
    const before = '2026-11-20T23:00:00.000Z';
    const out = runPipeline(set, [
      alert({ id: 'plain', time: before }),
      alert({ id: 'noisy', time: before, entities: { host: 'noisy-01' } }),
      alert({ id: 'pentest', time: before, entities: { src_ip: '192.0.2.99', host: 'noisy-01' } }),
      alert({ id: 'after-expiry', time: '2026-11-21T00:00:00.000Z', entities: { src_ip: '192.0.2.99' } }),
    ]);
    expect(out.decisions.map((d) => [d.alertId, d.decision, d.ruleId])).toEqual([
      ['plain', 'promote', 'z-urgent'],
      ['noisy', 'suppress', 'quiet-host'],
      ['pentest', 'suppress', 'pentest'],
      ['after-expiry', 'promote', 'z-urgent'],
    ]);
    expect(out.decisions[0]!.explanation.alsoFired).toEqual(['a-promote', 'b-promote']);
    expect(out.decisions[2]!.explanation).toMatchObject({ by: 'exception', exception: { id: 'pentest', reason: 'authorized pentest' } });
  });

  it('accounts for every input line: alerts = promoted + suppressed + passed + invalid', async () => {
    const set = await ruleset({ 'r.yaml': rule({ conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const out = runPipeline(set, [
      alert({ severity: 'high' }),
      alert({ severity: 'low' }),
      '{"time": ',
      '[1,2,3]',
      JSON.stringify(alert({ time: 'yesterday' })),
      '\u0000\u0001binary\uFFFD',
    ]);
    const c = out.counts;
    expect(c.alerts).toBe(6);
    expect([c.promoted, c.passed, c.invalid]).toEqual([1, 1, 4]);
    expect(c.promoted + c.suppressed + c.passed + c.invalid).toBe(c.alerts);
    expect(out.deadLetters.map((d) => d.line)).toEqual([3, 4, 5, 6]);
    expect(out.deadLetters[2]!.reason).toMatch(/time/);
  });

  it('does not let a missing group-by field lump alerts together', async () => {
    const set = await ruleset({ 'burst.yaml': burst({ params: { minCount: { value: 1, min: 1, max: 100 } } }) });
    const out = runPipeline(set, [alert({ entities: { host: 'web-01' } })]);
    expect(out.decisions[0]!.decision).toBe('pass');
  });
});

describe('aggregate inputs and lateness', () => {
  it('sums numbers and numeric strings, and adds nothing for other values', async () => {
    const set = await ruleset({
      'exfil.yaml': rule({
        id: 'exfil',
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '10m' },
        aggregates: { bytes: { kind: 'sum', field: 'raw.bytes_out' } },
        conditions: { all: [{ fact: 'bytes', operator: 'greaterThanInclusive', value: 3000 }] },
      }),
    });
    const out = runPipeline(set, [
      alert({ id: 'a', time: at(0), raw: { bytes_out: 1000 } }),
      alert({ id: 'b', time: at(1), raw: { bytes_out: '1500' } }),
      alert({ id: 'c', time: at(2), raw: { bytes_out: 'lots' } }),
      alert({ id: 'd', time: at(3), raw: { bytes_out: ' ' } }),
      alert({ id: 'e', time: at(4), raw: { bytes_out: 500 } }),
    ]);
    expect(out.decisions.map((d) => d.decision)).toEqual(['pass', 'pass', 'pass', 'pass', 'promote']);
    expect(out.decisions[4]!.explanation.aggregates).toEqual({ bytes: 3000 });
  });

  it('counts an alert later than the allowed lateness as late, decides it, and does not count it in the window', async () => {
    const set = await ruleset({ 'burst.yaml': burst({ params: { minCount: { value: 2, min: 1, max: 100 } } }) });
    const out = runPipeline(set, [
      alert({ id: 'a', time: at(10) }),
      alert({ id: 'late', time: at(7) }), // 3m behind, allowed lateness 1m
      alert({ id: 'b', time: at(10.5) }),
    ]);
    expect(out.counts.late).toBe(1);
    expect(out.decisions.map((d) => `${d.alertId}:${d.decision}`)).toEqual(['a:pass', 'late:pass', 'b:promote']);
    expect(out.decisions[2]!.explanation.aggregates).toEqual({ hits: 2 });
  });
});

describe('reloading rules between alerts', () => {
  async function reloadRun(before: Record<string, unknown>, after: Record<string, unknown>) {
    const { createNormalizer } = await import('../../src/normalize/index.js');
    const { Pipeline } = await import('../../src/pipeline/pipeline.js');
    const { parseDecision } = await import('../../src/decide/decision-record.js');
    const decisions: ReturnType<typeof parseDecision>[] = [];
    const incidents: unknown[] = [];
    const pipeline = new Pipeline({
      ruleset: await ruleset({ 'burst.yaml': before }),
      normalize: createNormalizer({ format: 'canonical' }),
      sinks: { decision: (json) => decisions.push(parseDecision(json)), incident: (r) => incidents.push(r), deadLetter: () => {} },
    });
    const line = (n: number, minute: number) => ({ line: n, text: JSON.stringify(alert({ id: `a${n}`, time: at(minute) })) });
    pipeline.processBatch([line(1, 0), line(2, 1)]);
    const report = pipeline.reload(await ruleset({ 'burst.yaml': after }));
    pipeline.processBatch([line(3, 2), line(4, 3)]);
    pipeline.finish();
    return { decisions, incidents, report };
  }
  const withThreshold = (minCount: number, size = '5m') =>
    burst({ params: { minCount: { value: minCount, min: 1, max: 100 } }, window: { groupBy: ['entities.src_ip'], size, allowedLateness: '1m' } });

  it('keeps a window’s counts when only a threshold changes, so the new threshold applies at once', async () => {
    const { decisions, report } = await reloadRun(withThreshold(5), withThreshold(3));
    expect(report).toEqual({ kept: ['burst'], reset: [] });
    expect(decisions.map((d) => d.decision)).toEqual(['pass', 'pass', 'promote', 'promote']);
    expect(decisions[2]!.explanation).toMatchObject({ aggregates: { hits: 3 }, params: { minCount: 3 } });
  });

  it('starts a window afresh when what it counts changes', async () => {
    const { decisions, report } = await reloadRun(withThreshold(3), withThreshold(3, '6m'));
    expect(report).toEqual({ kept: [], reset: ['burst'] });
    const hits = decisions.map((d) => (d.explanation.aggregates ?? d.explanation.nearMisses?.[0]?.aggregates)?.hits);
    expect(hits).toEqual([1, 2, 1, 2]);
  });

  it('keeps open incidents open: alerts after the reload join them', async () => {
    const { decisions, incidents } = await reloadRun(withThreshold(1), withThreshold(2));
    expect(new Set(decisions.map((d) => d.incidentId))).toEqual(new Set([decisions[0]!.incidentId]));
    expect(incidents).toHaveLength(1);
  });
});
