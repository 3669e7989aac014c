import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { applyWindow, editRule, revertChange } from '../../src/tune/apply.js';
import { formatReport } from '../../src/tune/format.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { Rule } from '../../src/rules/schema.js';
import { shrinkingLoosens, smallerSizes, withWindowSize } from '../../src/tune/window.js';
import { alert, at, rule, ruleset, tempDir, writeRules } from '../helpers.js';
import { pipelineTune } from './fixtures.js';

/** `slow` promotes from the 5th alert of a host within 10 minutes (a constant threshold: no param to raise). */
const SLOW = rule({
  id: 'slow',
  match: { all: [] },
  window: { groupBy: ['entities.host'], size: '10m' },
  aggregates: { hits: { kind: 'count' } },
  conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 5 }] },
});

/** False positives trickle (5 alerts over 6 minutes); the attack is a burst (10 alerts in 90 seconds). */
const HOSTS: { host: string; gapMin: number; size: number; verdict: Verdict }[] = [
  ...['fp-1', 'fp-2', 'fp-3', 'fp-4'].map((host) => ({ host, gapMin: 1.5, size: 5, verdict: 'false_positive' as const })),
  { host: 'tp-1', gapMin: 1 / 6, size: 10, verdict: 'true_positive' },
];

async function report() {
  const set = await ruleset({ 'slow.yaml': SLOW });
  const alerts = HOSTS.flatMap((h, i) => Array.from({ length: h.size }, (_, k) => alert({ id: `${h.host}-${k}`, time: at(i * 60 + k * h.gapMin), entities: { host: h.host } })));
  return pipelineTune(set, alerts, (host) => HOSTS.find((b) => b.host === host)!.verdict);
}

describe('window changes', () => {
  it('the sizes tried: 3/4 and 1/2 of the current, within max step, whole milliseconds', () => {
    expect(smallerSizes(600_000, 0.5)).toEqual([450_000, 300_000]);
    expect(smallerSizes(600_000, 0.3)).toEqual([450_000]);
    expect(smallerSizes(1, 0.5)).toEqual([]);
  });

  it('shrinks a window when that removes the trickling false positives and the burst survives, nearest size first, across the pipeline', async () => {
    const tuned = await report();
    expect(tuned.windows).toEqual([
      { ruleId: 'slow', file: 'slow.yaml', version: 1, from: '10m', to: '5m', portability: 'carries-over', pipeline: { incidentsBefore: 5, incidentsAfter: 1, falsePositiveBefore: 4, falsePositiveAfter: 0, truePositiveSurvived: 1, truePositiveTotal: 1 } },
    ]);
    expect(formatReport(tuned, 'text')).toMatch(/smaller windows \(--apply writes them\):\nrule +window\.size +all rules: FP incidents +TP survived +incidents +scope\nslow +10m → 5m +4 → 0 +1 of 1 +5 → 1 +carries over/);
  });

  it('--apply writes window.size in place (its quoting kept) and the version; revert restores the file byte for byte', async () => {
    const text = (size: string, version: number) => `id: slow\nversion: ${version}\ntitle: t\nowner: o\nseverity: low\ncategory: other\ndecision: promote\nmatch: { all: [] }\nwindow: { groupBy: [entities.host], size: ${size} }   # keep\naggregates: { hits: { kind: count } }\nconditions: { all: [{ fact: hits, operator: greaterThanInclusive, value: 5 }] }\n`;
    expect(editRule(text('"10m"', 1), 'slow', { windowSize: '5m' }).text).toBe(text('"5m"', 2));
    const tuned = await report();
    const dir = writeRules({ 'slow.yaml': text('10m', 1) });
    const ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')), { now: () => 0 });
    try {
      const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: Date.UTC(2026, 11, 1) };
      const change = await applyWindow(tuned.windows[0]!, options);
      expect(change).toMatchObject({ param: 'window.size', from: 600_000, to: 300_000, versionBefore: 1, versionAfter: 2 });
      expect(readFileSync(join(dir, 'slow.yaml'), 'utf8')).toBe(text('5m', 2));
      expect((await loadRulesOrThrow(dir)).promoteRules[0]!.window!.sizeMs).toBe(300_000);
      expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain(`${change.id}: slow window.size 10m → 5m (version 1 → 2)`);
      await revertChange(change.id, options);
      expect(readFileSync(join(dir, 'slow.yaml'), 'utf8')).toBe(text('10m', 1));
    } finally {
      await ledger.close();
    }
  });

  it('a rule whose conditions hold for small counts (seen <= maxSeen) is not shrunk: a smaller window only loosens it', async () => {
    const FIRST = { ...SLOW, id: 'first', params: { maxSeen: { value: 6, min: 1, max: 20, step: 1 } }, conditions: { all: [{ fact: 'hits', operator: 'lessThanInclusive', value: { fact: 'params', path: '$.maxSeen' } }] } };
    const set = await ruleset({ 'first.yaml': FIRST });
    const alerts = HOSTS.flatMap((h, i) => Array.from({ length: h.size }, (_, k) => alert({ id: `${h.host}-${k}`, time: at(i * 60 + k * h.gapMin), entities: { host: h.host } })));
    const tuned = await pipelineTune(set, alerts, (host) => HOSTS.find((b) => b.host === host)!.verdict);
    expect(tuned.rules.find((r) => r.ruleId === 'first')!.falsePositive).toBeGreaterThan(0);
    expect(tuned.windows).toEqual([]);
    expect(tuned.refusedWindows).toEqual([]);
  });

  it('shrinkingLoosens: exact counts and distinct counts compared with < or <=, outside not, and nothing else read from the window', () => {
    const loosens = (conditions: unknown, aggregates: unknown = { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' }, bytes: { kind: 'sum', field: 'raw.bytes' } }) =>
      shrinkingLoosens(Rule.parse({ ...SLOW, params: { n: { value: 3, min: 1, max: 9, step: 1 } }, aggregates, conditions }));
    const leaf = (fact: string, operator: string, value: unknown = 3) => ({ fact, operator, value });
    expect(loosens({ all: [leaf('hits', 'lessThanInclusive', { fact: 'params', path: '$.n' })] })).toBe(true);
    expect(loosens({ any: [leaf('hits', 'lessThan'), leaf('users', 'lessThanInclusive')] })).toBe(true);
    expect(loosens({ all: [leaf('severity', 'equal', 'high'), leaf('users', 'lessThan')] })).toBe(true);
    // Not a window comparison at all: nothing to loosen, so shrinking is tried (the pipeline decides).
    expect(loosens({ all: [leaf('severity', 'equal', 'high')] })).toBe(false);
    expect(loosens({ all: [leaf('hits', 'greaterThanInclusive')] })).toBe(false);
    expect(loosens({ any: [leaf('hits', 'lessThan'), leaf('users', 'greaterThan')] })).toBe(false);
    expect(loosens({ not: leaf('hits', 'lessThan') })).toBe(false);
    expect(loosens({ not: { not: leaf('hits', 'lessThan') } })).toBe(true);
    // A sum can grow when the window shrinks (negative values); an approximate distinct count is an estimate.
    expect(loosens({ all: [leaf('bytes', 'lessThan')] })).toBe(false);
    expect(loosens({ all: [leaf('users', 'lessThan')] }, { users: { kind: 'distinct', field: 'entities.user', approximate: true } })).toBe(false);
    expect(loosens({ all: [leaf('hits', 'lessThan'), leaf('hits', 'equal')] })).toBe(false);
    expect(loosens({ all: [leaf('severity', 'lessThan', { fact: 'hits' })] })).toBe(false);
    expect(loosens({ all: [leaf('hits', 'lessThan'), { condition: 'quiet' }] })).toBe(false);
  });

  it('property: such a rule, alone, fires with a smaller window on every alert it fired on before', async () => {
    const normalize = createNormalizer({ format: 'canonical' });
    const fired = (set: CompiledRuleSet, lines: { line: number; text: string }[]) => {
      const ids = new Set<string>();
      const pipeline = new Pipeline({ ruleset: set, normalize, sinks: { decision: (_json, id, facts) => void (facts.decision === 'promote' && ids.add(id)), incident: () => {}, deadLetter: () => {} } });
      pipeline.processBatch(lines);
      pipeline.finish();
      return ids;
    };
    const arbConditions = fc.constantFrom(
      { all: [{ fact: 'hits', operator: 'lessThanInclusive', value: 2 }] },
      { all: [{ fact: 'users', operator: 'lessThan', value: 3 }] },
      { any: [{ fact: 'hits', operator: 'lessThan', value: 2 }, { fact: 'users', operator: 'lessThanInclusive', value: 1 }] },
      { all: [{ fact: 'severity', operator: 'equal', value: 'high' }, { fact: 'hits', operator: 'lessThanInclusive', value: 3 }] },
    );
    const arbStream = fc.array(fc.record({ gapS: fc.integer({ min: 0, max: 900 }), host: fc.constantFrom('h1', 'h2', 'h3'), user: fc.constantFrom('u1', 'u2', 'u3'), severity: fc.constantFrom('low', 'high') }), { minLength: 5, maxLength: 80 });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(arbConditions, arbStream, fc.constantFrom(3 / 4, 1 / 2, 1 / 10), async (conditions, stream, share) => {
        const set = await ruleset({ 'r.yaml': { ...SLOW, id: 'r', window: { groupBy: ['entities.host'], size: '30m' }, aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' } }, conditions } });
        expect(shrinkingLoosens(set.promoteRules[0]!.rule)).toBe(true);
        let t = Date.UTC(2026, 10, 20, 10);
        const lines = stream.map((a, i) => ({ line: i + 1, text: JSON.stringify(alert({ id: `a${i}`, time: new Date((t += a.gapS * 1000)).toISOString(), severity: a.severity, entities: { host: a.host, user: a.user } })) }));
        const before = fired(set, lines);
        const after = fired(withWindowSize(set, 'r', Math.floor(1_800_000 * share)), lines);
        for (const id of before) expect(after.has(id)).toBe(true);
        checked += before.size;
      }),
      { numRuns: 100 },
    );
    expect(checked).toBeGreaterThan(100);
  });
});
