import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { applyWindow, editRule, revertChange } from '../../src/tune/apply.js';
import { formatReport } from '../../src/tune/format.js';
import { smallerSizes } from '../../src/tune/window.js';
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
});
