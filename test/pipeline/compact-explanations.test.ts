import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FULL_EXPLANATIONS, ExplanationsConfig } from '../../src/config/explanations.js';
import { parseDecision, type DecisionRecord } from '../../src/decide/decision-record.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** A week of alerts with every kind of decision: promotions, suppressions by rule and by exception, passes with and without near misses. */
const LINES = readFileSync(join(ROOT, 'fixtures', 'soc-week.ndjson'), 'utf8')
  .split('\n')
  .map((text, i) => ({ line: i + 1, text }))
  .filter((l) => l.text !== '');

let starterRules: CompiledRuleSet;
beforeAll(async () => {
  starterRules = await loadRulesOrThrow(join(ROOT, 'rules'));
});

/** The decisions' JSON as the pipeline writes it, with these explanation settings. */
function decisionsWith(explanations: Partial<ExplanationsConfig>): string[] {
  const out: string[] = [];
  const pipeline = new Pipeline({
    ruleset: starterRules,
    normalize: createNormalizer({ format: 'auto' }),
    explanations: ExplanationsConfig.parse(explanations),
    sinks: { decision: (json) => out.push(json), incident: () => {}, deadLetter: () => {} },
  });
  pipeline.processBatch(LINES);
  pipeline.finish();
  return out;
}

/** What a compact explanation keeps of the full one: who decided, and a clamped alert's decision time. */
function keptOf(explanation: DecisionRecord['explanation']) {
  const { by, rule, exception, clamped } = explanation;
  return JSON.parse(JSON.stringify({ by, rule, exception, clamped }));
}

describe('compact explanations (outputs.explanations: compact)', () => {
  it('are what full mode writes by default', () => {
    expect(decisionsWith({})).toEqual(decisionsWith({ explanations: 'full' }));
    expect(FULL_EXPLANATIONS.explanations).toBe('full');
  });

  it('keep promotions whole and reduce the other decisions to who decided, marked compact, every record schema-valid', () => {
    const full = decisionsWith({});
    const compact = decisionsWith({ explanations: 'compact' });
    expect(compact).toHaveLength(full.length);
    const shortened = new Map<string, number>();
    for (let i = 0; i < full.length; i++) {
      const whole = parseDecision(full[i]!);
      const short = parseDecision(compact[i]!);
      if (whole.decision === 'promote' || compact[i] === full[i]) {
        expect(compact[i]).toBe(full[i]);
        continue;
      }
      const { explanation: a, ...restOfWhole } = whole;
      const { explanation: b, ...restOfShort } = short;
      expect(restOfShort).toEqual(restOfWhole);
      expect(b).toEqual({ ...keptOf(a), compact: true });
      const kind = `${short.decision}:${short.explanation.by}`;
      shortened.set(kind, (shortened.get(kind) ?? 0) + 1);
    }
    // The fixture has suppressions by rule and passes with near misses: both were shortened.
    expect([...shortened.keys()].sort()).toEqual(['pass:none', 'suppress:rule']);
    expect(compact.join('\n').length).toBeLessThan(0.8 * full.join('\n').length);
  });

  it('leave an explanation with nothing to drop unmarked (exceptions, passes without near misses)', () => {
    const compact = decisionsWith({ explanations: 'compact' }).map(parseDecision);
    const exceptions = compact.filter((d) => d.explanation.by === 'exception');
    expect(exceptions.length).toBeGreaterThan(0);
    for (const d of exceptions) expect(d.explanation.compact).toBeUndefined();
    expect(compact.some((d) => d.decision === 'pass' && d.explanation.compact === undefined && d.explanation.nearMisses === undefined)).toBe(true);
  });

  it('explain a deterministic sample of alerts in full: the same alerts on every run, more of them as the share grows, all at 1', () => {
    const full = decisionsWith({});
    const unsampled = decisionsWith({ explanations: 'compact' });
    // The decisions compact mode shortens; of those, the ones a sample explains in full.
    const shortened = full.flatMap((json, i) => (json !== unsampled[i] ? [i] : []));
    const inFull = (decisions: string[]) => new Set(shortened.filter((i) => decisions[i] === full[i]));
    const tenth = decisionsWith({ explanations: 'compact', explanationSample: 0.1 });
    expect(decisionsWith({ explanations: 'compact', explanationSample: 0.1 })).toEqual(tenth);
    const sampled = inFull(tenth);
    const half = inFull(decisionsWith({ explanations: 'compact', explanationSample: 0.5 }));
    expect(sampled.size).toBeGreaterThan(0.05 * shortened.length);
    expect(sampled.size).toBeLessThan(0.15 * shortened.length);
    for (const i of sampled) expect(half.has(i)).toBe(true);
    expect(half.size).toBeGreaterThan(0.4 * shortened.length);
    expect(half.size).toBeLessThan(0.6 * shortened.length);
    expect(decisionsWith({ explanations: 'compact', explanationSample: 1 })).toEqual(full);
  });

  it('explain in full the decisions of the rules asked for, and the passes they nearly fired on', () => {
    const full = decisionsWith({});
    const rules = new Set(['policy-noise', 'auth-brute-force']);
    const asked = decisionsWith({ explanations: 'compact', explainRules: [...rules] }).map(parseDecision);
    let nearMisses = 0;
    asked.forEach((d, i) => {
      const named = rules.has(d.ruleId ?? '') || d.explanation.nearMisses?.some((m) => rules.has(m.ruleId));
      if (d.explanation.nearMisses) nearMisses++;
      if (named) expect(JSON.stringify(d)).toBe(full[i]);
      else if (d.decision !== 'promote') expect(d.explanation.nearMisses).toBeUndefined();
    });
    expect(nearMisses).toBeGreaterThan(0);
    expect(asked.filter((d) => d.ruleId === 'policy-noise').every((d) => d.explanation.conditions !== undefined)).toBe(true);
  });
});

