import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { applyJoint, revertChange } from '../../src/tune/apply.js';
import { formatReport } from '../../src/tune/format.js';
import { alert, at, rule, ruleset, tempDir, writeRules } from '../helpers.js';
import { pipelineTune } from './fixtures.js';

const threshold = (fact: string, param: string) => ({ fact, operator: 'greaterThanInclusive', value: { fact: 'params', path: `$.${param}` } });

/** `either` fires on 10 alerts or 3 users of one host within 10 minutes: raising one threshold alone leaves the other firing. */
const EITHER = rule({
  id: 'either',
  params: { minHits: { value: 10, min: 1, max: 100 }, minUsers: { value: 3, min: 1, max: 20 } },
  match: { all: [] },
  window: { groupBy: ['entities.host'], size: '10m' },
  aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' } },
  conditions: { any: [threshold('hits', 'minHits'), threshold('users', 'minUsers')] },
});

/** Four false-positive bursts (12 alerts, 3 users) and one attack (40 alerts, 8 users), an hour apart. */
const BURSTS: { host: string; size: number; users: number; verdict: Verdict }[] = [
  ...['fp-1', 'fp-2', 'fp-3', 'fp-4'].map((host) => ({ host, size: 12, users: 3, verdict: 'false_positive' as const })),
  { host: 'tp-1', size: 40, users: 8, verdict: 'true_positive' },
];

async function report() {
  const set = await ruleset({ 'either.yaml': EITHER });
  const alerts = BURSTS.flatMap((b, i) => Array.from({ length: b.size }, (_, k) => alert({ id: `${b.host}-${k}`, time: at(i * 60 + k * 0.1), entities: { host: b.host, user: `u${k % b.users}` } })));
  return pipelineTune(set, alerts, (host) => BURSTS.find((b) => b.host === host)!.verdict);
}

describe('joint changes of two params of one rule', () => {
  it('when neither threshold alone removes a false positive (an any of two), both move together, checked across the pipeline', async () => {
    const tuned = await report();
    expect(tuned.proposals).toEqual([]);
    expect(tuned.joint).toEqual([
      {
        ruleId: 'either',
        file: 'either.yaml',
        version: 1,
        changes: [
          { param: 'minHits', from: 10, to: 13 },
          { param: 'minUsers', from: 3, to: 4 },
        ],
        portability: 'carries-over',
        pipeline: { incidentsBefore: 5, incidentsAfter: 1, falsePositiveBefore: 4, falsePositiveAfter: 0, truePositiveSurvived: 1, truePositiveTotal: 1 },
      },
    ]);
    expect(formatReport(tuned, 'text')).toMatch(/joint changes \(two params of one rule together; --apply writes them\):\nrule +params +old → new +all rules: FP incidents +TP survived +incidents +scope\neither +minHits \+ minUsers +10 → 13, 3 → 4 +4 → 0 +1 of 1 +5 → 1 +carries over/);
  });

  it('--apply writes it as two changes (version +2); reverting the later one, then the first, restores the file byte for byte', async () => {
    const tuned = await report();
    const dir = writeRules({ 'either.yaml': EITHER });
    const before = readFileSync(join(dir, 'either.yaml'), 'utf8');
    const ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')), { now: () => 0 });
    try {
      const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: Date.UTC(2026, 11, 1) };
      const [first, second] = await applyJoint(tuned.joint[0]!, options);
      expect([first, second].map((c) => [c!.param, c!.from, c!.to, c!.versionBefore, c!.versionAfter])).toEqual([
        ['minHits', 10, 13, 1, 2],
        ['minUsers', 3, 4, 2, 3],
      ]);
      const loaded = (await loadRulesOrThrow(dir)).promoteRules[0]!;
      expect([loaded.params, loaded.rule.version]).toEqual([{ minHits: 13, minUsers: 4 }, 3]);
      await expect(revertChange(first!.id, options)).rejects.toThrow(/revert it first/);
      await revertChange(second!.id, options);
      await revertChange(first!.id, options);
      expect(readFileSync(join(dir, 'either.yaml'), 'utf8')).toBe(before);
    } finally {
      await ledger.close();
    }
  });
});
