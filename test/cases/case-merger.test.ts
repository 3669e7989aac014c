import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseIdOf } from '../../src/cases/case-id.js';
import { CaseMerger, CaseMergerSnapshot } from '../../src/cases/case-merger.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';

const MIN = 60_000;
const T0 = Date.parse(at(0));

describe('CaseMerger', () => {
  it('files an incident that shares an entity value with a case within the window into that case', () => {
    const merger = new CaseMerger({ mergeBy: ['host', 'src_ip'], windowMs: 30 * MIN });
    const first = merger.open('inc-a', { src_ip: '203.0.113.7', host: 'web-1' }, T0);
    expect(first).toBe(caseIdOf('inc-a'));
    // Another rule's incident on the same host 20 minutes later: the same case.
    expect(merger.open('inc-b', { host: 'web-1', user: 'root' }, T0 + 20 * MIN)).toBe(first);
    // Shares nothing: a case of its own.
    expect(merger.open('inc-c', { host: 'db-1' }, T0 + 21 * MIN)).toBe(caseIdOf('inc-c'));
  });

  it('does not merge outside the window, counted from the case\'s last alert', () => {
    const merger = new CaseMerger({ mergeBy: ['host'], windowMs: 30 * MIN });
    const c = merger.open('inc-a', { host: 'web-1' }, T0);
    merger.join(c, { host: 'web-1' }, T0 + 40 * MIN);
    // 30 minutes after the last alert (a gap of exactly the window joins)...
    expect(merger.open('inc-b', { host: 'web-1' }, T0 + 70 * MIN)).toBe(c);
    // ...31 minutes after it does not.
    expect(merger.open('inc-c', { host: 'web-1' }, T0 + 101 * MIN)).toBe(caseIdOf('inc-c'));
  });

  it('merges the same past more distinct entity values than its key memo holds (the memo is emptied, not consulted stale)', () => {
    const merger = new CaseMerger({ mergeBy: ['host', 'src_ip'], windowMs: 30 * MIN });
    const first = merger.open('inc-a', { host: 'web-1', src_ip: '203.0.113.7' }, T0);
    for (let i = 0; i < 70_000; i++) merger.open(`inc-x${i}`, { host: `h-${i}`, src_ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` }, T0 + MIN);
    expect(merger.open('inc-b', { host: 'web-1' }, T0 + 2 * MIN)).toBe(first);
    expect(merger.open('inc-c', { src_ip: '203.0.113.7' }, T0 + 3 * MIN)).toBe(first);
    expect(merger.open('inc-d', { host: 'h-5' }, T0 + 4 * MIN)).toBe(caseIdOf('inc-x5'));
    expect(merger.open('inc-e', { host: 'h-69999' }, T0 + 4 * MIN)).toBe(caseIdOf('inc-x69999'));
  });

  it('links the entities of alerts that join a case: a later incident on any of them joins it', () => {
    const merger = new CaseMerger({ mergeBy: ['host', 'src_ip'], windowMs: 30 * MIN });
    const c = merger.open('inc-a', { src_ip: '203.0.113.7', host: 'web-1' }, T0);
    merger.join(c, { src_ip: '203.0.113.7', host: 'web-2' }, T0 + 5 * MIN);
    expect(merger.open('inc-b', { host: 'web-2' }, T0 + 10 * MIN)).toBe(c);
  });

  it('gives an incident that could join two cases to the oldest, and never merges the two', () => {
    const merger = new CaseMerger({ mergeBy: ['host', 'user'], windowMs: 60 * MIN });
    const older = merger.open('inc-a', { host: 'web-1' }, T0);
    const newer = merger.open('inc-b', { user: 'alice' }, T0 + MIN);
    expect(merger.open('inc-c', { host: 'web-1', user: 'alice' }, T0 + 2 * MIN)).toBe(older);
    expect(merger.open('inc-d', { user: 'alice' }, T0 + 3 * MIN)).toBe(newer);
  });

  it('keeps a rule with merge off apart: its incidents are cases of their own and link nothing', () => {
    const merger = new CaseMerger({ mergeBy: ['host'], windowMs: 60 * MIN });
    expect(merger.open('inc-a', { host: 'web-1' }, T0, false)).toBe(caseIdOf('inc-a'));
    expect(merger.open('inc-b', { host: 'web-1' }, T0 + MIN)).toBe(caseIdOf('inc-b'));
    expect(merger.open('inc-c', { host: 'web-1' }, T0 + 2 * MIN, false)).toBe(caseIdOf('inc-c'));
    expect(merger.size).toBe(1);
  });

  it('merges nothing with mergeBy [] and holds no state', () => {
    const merger = new CaseMerger({ mergeBy: [], windowMs: 60 * MIN });
    expect(merger.open('inc-a', { host: 'web-1' }, T0)).toBe(caseIdOf('inc-a'));
    expect(merger.open('inc-b', { host: 'web-1' }, T0)).toBe(caseIdOf('inc-b'));
    expect(merger.size).toBe(0);
  });

  it('forgets cases once the watermark passes their last alert plus the window, and stops linking past the key cap', () => {
    const merger = new CaseMerger({ mergeBy: ['host'], windowMs: 10 * MIN, maxKeysPerCase: 2 });
    const c = merger.open('inc-a', { host: 'h1' }, T0);
    merger.join(c, { host: 'h2' }, T0 + MIN);
    merger.join(c, { host: 'h3' }, T0 + 2 * MIN);
    expect(merger.snapshot().cases[0]!.keys).toEqual(['host\u0000h1', 'host\u0000h2']);
    merger.advance(T0 + 12 * MIN);
    expect(merger.size).toBe(1);
    merger.advance(T0 + 12 * MIN + 1);
    expect(merger.size).toBe(0);
    expect(merger.open('inc-b', { host: 'h1' }, T0 + 13 * MIN)).toBe(caseIdOf('inc-b'));
  });

  it('restored from its snapshot, files the following incidents exactly as the uninterrupted merger', () => {
    const event = fc.record({
      kind: fc.constantFrom('open', 'join', 'advance'),
      minute: fc.integer({ min: 0, max: 300 }),
      host: fc.constantFrom('h1', 'h2', 'h3', undefined),
      user: fc.constantFrom('u1', 'u2', undefined),
      mergeable: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 80 }), fc.nat(), (events, cut) => {
        const play = (merger: CaseMerger, list: typeof events, offset: number, opened: string[]) =>
          list.map((e, i) => {
            const entities: Record<string, string> = {};
            if (e.host) entities.host = e.host;
            if (e.user) entities.user = e.user;
            if (e.kind === 'advance') {
              merger.advance(T0 + e.minute * MIN);
              return `advance ${merger.size}`;
            }
            if (e.kind === 'join' && opened.length > 0) {
              merger.join(opened[(i + offset) % opened.length]!, entities, T0 + e.minute * MIN);
              return `join ${merger.size}`;
            }
            const id = merger.open(`inc-${i + offset}`, entities, T0 + e.minute * MIN, e.mergeable);
            if (e.mergeable) opened.push(id);
            return id;
          });
        const options = { mergeBy: ['host', 'user'], windowMs: 20 * MIN, maxKeysPerCase: 3 };
        const whole = play(new CaseMerger(options), events, 0, []);
        const at = events.length === 0 ? 0 : cut % (events.length + 1);
        const first = new CaseMerger(options);
        const opened: string[] = [];
        const before = play(first, events.slice(0, at), 0, opened);
        const second = new CaseMerger(options);
        second.restore(CaseMergerSnapshot.parse(JSON.parse(JSON.stringify(first.snapshot()))));
        const after = play(second, events.slice(at), at, opened);
        expect([...before, ...after]).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});

describe('cases in the pipeline', () => {
  const RULES = {
    'brute.yaml': rule({
      id: 'brute',
      severity: 'high',
      category: 'unauthorized-access',
      match: { all: [{ fact: 'name', operator: 'equal', value: 'ssh failed' }] },
      window: { groupBy: ['entities.src_ip'], size: '10m' },
      aggregates: { fails: { kind: 'count' } },
      conditions: { all: [{ fact: 'fails', operator: 'greaterThanInclusive', value: 2 }] },
      incident: { groupBy: ['entities.src_ip'], window: '30m' },
    }),
    'malware.yaml': rule({
      id: 'malware',
      severity: 'critical',
      category: 'malware',
      conditions: { all: [{ fact: 'name', operator: 'equal', value: 'mimikatz' }] },
      incident: { groupBy: ['entities.host'], window: '30m' },
    }),
    'scan.yaml': rule({
      id: 'scan',
      severity: 'low',
      category: 'recon',
      conditions: { all: [{ fact: 'name', operator: 'equal', value: 'port scan' }] },
      incident: { groupBy: ['entities.src_ip'], window: '30m', merge: false },
    }),
  };
  const attack = [
    alert({ id: 'a1', time: at(0), name: 'ssh failed', entities: { src_ip: '203.0.113.7', host: 'web-1' } }),
    alert({ id: 'a2', time: at(1), name: 'ssh failed', entities: { src_ip: '203.0.113.7', host: 'web-1' } }),
    alert({ id: 'a3', time: at(2), name: 'port scan', entities: { src_ip: '203.0.113.7', host: 'web-1' } }),
    alert({ id: 'a4', time: at(20), name: 'mimikatz', entities: { host: 'web-1', user: 'root' } }),
    alert({ id: 'a5', time: at(25), name: 'mimikatz', entities: { host: 'db-9', user: 'svc' } }),
  ];

  const runWith = async (mergeBy: string[]) => {
    const set = await ruleset(RULES);
    const incidents: IncidentRecord[] = [];
    const pipeline = new Pipeline({
      ruleset: set,
      normalize: createNormalizer({ format: 'canonical' }),
      cases: { mergeBy, windowMs: 60 * MIN },
      sinks: { decision() {}, incident: (r) => incidents.push(r), deadLetter() {} },
    });
    pipeline.processBatch(attack.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })));
    pipeline.finish();
    return incidents;
  };

  it('merges two rules\' incidents on one host into one case; merge: false and an unrelated host stay apart', async () => {
    const incidents = await runWith(['host', 'src_ip']);
    const byRule = (ruleId: string, host?: string) => incidents.find((i) => i.ruleId === ruleId && (host === undefined || i.groupKey['entities.host'] === host))!;
    const brute = byRule('brute');
    expect(brute.caseId).toBe(caseIdOf(brute.id));
    expect(byRule('malware', 'web-1').caseId).toBe(brute.caseId);
    expect(byRule('scan').caseId).toBe(caseIdOf(byRule('scan').id));
    expect(byRule('malware', 'db-9').caseId).toBe(caseIdOf(byRule('malware', 'db-9').id));
  });

  it('gives every incident a case of its own with mergeBy []', async () => {
    const incidents = await runWith([]);
    expect(incidents).toHaveLength(4);
    for (const i of incidents) expect(i.caseId).toBe(caseIdOf(i.id));
  });

  it('is deterministic: the same input gives the same case ids', async () => {
    expect(await runWith(['host', 'src_ip'])).toEqual(await runWith(['host', 'src_ip']));
    // Without options, runPipeline still files every incident under a case.
    const { incidents } = runPipeline(await ruleset(RULES), attack);
    expect(incidents.every((i) => i.caseId === caseIdOf(i.id))).toBe(true);
  });
});
