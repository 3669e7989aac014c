import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventTimeConfig } from '../../src/config/event-time.js';
import { parseDecision, type DecisionRecord } from '../../src/decide/decision-record.js';
import { createNormalizer } from '../../src/normalize/index.js';
import type { DeadLetterRecord } from '../../src/pipeline/dead-letter.js';
import { Pipeline, type PipelineCounts } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';

/**
 * Issue #9, item 3: one alert dated in the future moved the watermark, and every alert after it was
 * late (5,249 of 8,929 in the SOC week; promotions 791 → 186, five rules opened no incident). These
 * run the starter rules over the bundled week, with and without the bad clocks.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEEK = readFileSync(join(ROOT, 'fixtures/soc-week.ndjson'), 'utf8').trim().split('\n');
const DAY_MS = 86_400_000;

interface Run {
  decisions: Map<string, string>;
  incidents: string[];
  deadLetters: DeadLetterRecord[];
  counts: PipelineCounts;
}

let rules: CompiledRuleSet;
beforeAll(async () => {
  rules = await loadRulesOrThrow(join(ROOT, 'rules'));
});

function run(lines: readonly string[], eventTime?: Partial<EventTimeConfig>): Run {
  const decisions = new Map<string, string>();
  const incidents: string[] = [];
  const deadLetters: DeadLetterRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: rules,
    normalize: createNormalizer({ format: 'auto' }),
    ...(eventTime ? { eventTime: { maxFutureSkew: '6h', onFutureDated: 'clamp', recentAlerts: 1000, ...eventTime } } : {}),
    sinks: { decision: (json, id) => decisions.set(id, json), incident: (r) => incidents.push(JSON.stringify(r)), deadLetter: (r) => deadLetters.push(r) },
  });
  pipeline.processBatch(lines.map((text, i) => ({ line: i + 1, text })));
  pipeline.finish();
  return { decisions, incidents, deadLetters, counts: pipeline.counts };
}

/** What was decided, without how: decision and deciding rule per alert. */
const verdicts = (r: Run) => new Map([...r.decisions].map(([id, json]) => [id, `${parseDecision(json).decision} ${parseDecision(json).ruleId}`]));
const perRule = (r: Run) => Object.fromEntries([...r.counts.byRule].sort());
const omit = <V>(map: ReadonlyMap<string, V>, id: string) => new Map([...map].filter(([key]) => key !== id));

/** The week with a copy of its first alert dated 9999-12-31 as line 2 (the repro), or after `at` lines. */
function weekWith9999(at = 1): string[] {
  const copy = { ...(JSON.parse(WEEK[0]!) as object), id: 'future-9999', time: '9999-12-31T23:59:59.000Z' };
  return [...WEEK.slice(0, at), JSON.stringify(copy), ...WEEK.slice(at)];
}

/** The week with every alert of `source` one day fast (its times are ISO strings in the fixture). */
function weekWithFastSource(source: string): { lines: string[]; ids: Set<string>; original: Map<string, number> } {
  const ids = new Set<string>();
  const original = new Map<string, number>();
  const lines = WEEK.map((line) => {
    let alert: { id?: string; source?: string; time?: unknown };
    try {
      alert = JSON.parse(line) as typeof alert;
    } catch {
      return line;
    }
    if (alert?.source !== source || typeof alert.time !== 'string') return line;
    const ms = Date.parse(alert.time);
    ids.add(alert.id!);
    original.set(alert.id!, ms);
    return JSON.stringify({ ...alert, time: new Date(ms + DAY_MS).toISOString() });
  });
  return { lines, ids, original };
}

describe('an alert dated 9999-12-31 in the SOC week (issue #9)', () => {
  it('does not blind windowed detection: the promotions, suppressions and incidents of the week without it; it is clamped and says so', () => {
    const clean = run(WEEK);
    for (const at of [1, Math.floor(WEEK.length / 2)]) {
      const poisoned = run(weekWith9999(at));
      expect(poisoned.counts.late, `9999 after line ${at}`).toBe(clean.counts.late);
      expect(omit(verdicts(poisoned), 'future-9999')).toEqual(verdicts(clean));
      expect(poisoned.incidents).toEqual(clean.incidents);
      expect(perRule(poisoned)).toEqual(perRule(clean));
      expect(poisoned.counts).toMatchObject({ futureDated: 1, clamped: 1, promoted: clean.counts.promoted, suppressed: clean.counts.suppressed, incidents: clean.counts.incidents });
      const own: DecisionRecord = parseDecision(poisoned.decisions.get('future-9999')!);
      expect(own.time).toBe('9999-12-31T23:59:59.000Z');
      expect(own.explanation.clamped).toEqual({ decidedAt: expect.stringMatching(/^2026-11-/), maxFutureSkew: '6h' });
    }
    // As line 2, nothing it could have been counted with decides differently: every other record is the same bytes.
    expect(omit(run(weekWith9999(1)).decisions, 'future-9999')).toEqual(clean.decisions);
  });

  it('with onFutureDated: dead-letter, every other decision is the same bytes, and the dead letter names the skew and the setting', () => {
    const clean = run(WEEK);
    const lines = weekWith9999(Math.floor(WEEK.length / 2));
    const poisoned = run(lines, { onFutureDated: 'dead-letter' });
    expect(poisoned.decisions).toEqual(clean.decisions);
    expect(poisoned.incidents).toEqual(clean.incidents);
    const dead = poisoned.deadLetters.filter((d) => d.raw.includes('future-9999'));
    expect(dead).toHaveLength(1);
    expect(dead[0]!.line).toBe(lines.findIndex((l) => l.includes('future-9999')) + 1);
    expect(dead[0]!.reason).toMatch(/^\/time: event time 9999-12-31T23:59:59\.000Z is 79\d\d\.\d years ahead of the stream's event time 2026-11-\d\dT[\d:.]+Z, more than eventTime\.maxFutureSkew \(6h\); /);
    expect(poisoned.counts).toMatchObject({ futureDated: 1, clamped: 0, invalid: clean.counts.invalid + 1 });
  });
});

describe('a source whose clock is a day fast', () => {
  // zscaler: a tenth of the week's alerts, between the other sources' all week.
  const FAST = 'zscaler';

  it('clamp (the default): its alerts are decided at the stream\'s time, none of the week is late, and every rule promotes, suppresses and opens incidents as with its clock right', () => {
    const right = run(WEEK);
    const { lines, ids, original } = weekWithFastSource(FAST);
    expect(ids.size).toBeGreaterThan(500);
    const fast = run(lines);
    expect(fast.counts.late).toBe(right.counts.late);
    expect(fast.counts).toMatchObject({ futureDated: ids.size, clamped: ids.size, promoted: right.counts.promoted, suppressed: right.counts.suppressed, incidents: right.counts.incidents });
    expect(perRule(fast)).toEqual(perRule(right));
    expect(verdicts(fast)).toEqual(verdicts(right));
    for (const id of ids) {
      const decided = Date.parse(parseDecision(fast.decisions.get(id)!).explanation.clamped!.decidedAt);
      // At the newest time decided before it, which is never after its true time in this week (in time order).
      expect(decided, id).toBeLessThanOrEqual(original.get(id)!);
      expect(original.get(id)! - decided, id).toBeLessThan(DAY_MS / 24);
    }
  });

  it('dead-letter: its alerts are dead letters, and every other alert is decided as in the week without that source', () => {
    const { lines, ids } = weekWithFastSource(FAST);
    const withoutSource = run(WEEK.filter((line, i) => lines[i] === line));
    const fast = run(lines, { onFutureDated: 'dead-letter' });
    expect(fast.decisions).toEqual(withoutSource.decisions);
    expect(fast.incidents).toEqual(withoutSource.incidents);
    expect(fast.deadLetters.filter((d) => /^\/time: event time .* ahead of the stream's event time .*eventTime\.maxFutureSkew \(6h\)/.test(d.reason))).toHaveLength(ids.size);
  });
});
