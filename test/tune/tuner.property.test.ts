import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import type { InputLine } from '../../src/source/index.js';
import { analyzeParams, survives } from '../../src/tune/counterfactual.js';
import { parseDuration } from '../../src/state/index.js';
import { exceptionOf } from '../../src/tune/exceptions.js';
import { withWindowSize } from '../../src/tune/window.js';
import { ReplayEvaluator, withException, withoutRule, withParam } from '../../src/tune/replay.js';
import { replayable } from '../../src/tune/tape.js';
import { tune } from '../../src/tune/tuner.js';
import { alert, rule, ruleset } from '../helpers.js';

const normalize = createNormalizer({ format: 'canonical' });
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

/** Runs the pipeline: the alerts each rule promoted, and the incidents written. */
function run(set: CompiledRuleSet, lines: readonly InputLine[]) {
  const promoted = new Map<string, string | null>();
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize,
    maxAlertIdsPerIncident: 10_000,
    sinks: {
      decision: (_json, alertId, facts) => {
        if (facts.decision === 'promote') promoted.set(alertId, facts.ruleId);
      },
      incident: (r) => incidents.push(r),
      deadLetter: () => {},
    },
  });
  pipeline.processBatch(lines);
  pipeline.finish();
  return { promoted, incidents };
}

const arbAlerts = fc
  .array(
    fc.record({
      // Bursts (seconds apart) separated by quiet spells: many incidents of different sizes.
      gapS: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 30 }) }, { weight: 1, arbitrary: fc.integer({ min: 600, max: 3600 }) }),
      host: fc.constantFrom('h1', 'h2', 'h3', 'h4', 'h5', 'h6'),
      user: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
      severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
      bytes: fc.constantFrom(10, 100, 1000),
    }),
    { minLength: 40, maxLength: 200 },
  )
  .map((items) => {
    let t = T0;
    return items.map((a, i): InputLine => {
      t += a.gapS * 1000;
      const record = alert({ id: `a${i}`, time: new Date(t).toISOString(), severity: a.severity, entities: { host: a.host, user: a.user }, raw: { bytes: a.bytes } });
      return { line: i + 1, text: JSON.stringify(record) };
    });
  });

/** The alerts with some sent twice (the same id and time, at once or a few alerts later): the dedup stage decides the copies. */
const arbAlertsWithCopies = arbAlerts.chain((lines) =>
  fc.array(fc.record({ of: fc.nat(lines.length - 1), after: fc.nat(3) }), { maxLength: 8 }).map((copies) => {
    const texts = lines.map((l) => ('text' in l ? l.text : ''));
    const out = texts.map((text) => [text]);
    for (const { of, after } of copies) out[Math.min(of + after, lines.length - 1)]!.push(texts[of]!);
    return out.flat().map((text, i): InputLine => ({ line: i + 1, text }));
  }),
);

const threshold = (fact: string, param: string) => ({ fact, operator: 'greaterThanInclusive', value: { fact: 'params', path: `$.${param}` } });
const arbConditions = fc.constantFrom(
  { all: [threshold('hits', 'minHits')] },
  { any: [threshold('hits', 'minHits'), threshold('users', 'minUsers')] },
  { all: [threshold('hits', 'minHits'), threshold('users', 'minUsers')] },
  { all: [{ fact: 'severity', operator: 'in', value: ['high', 'critical'] }, threshold('hits', 'minHits')] },
  { any: [threshold('hits', 'minHits'), { fact: 'severity', operator: 'equal', value: 'critical' }] },
  { any: [{ all: [threshold('hits', 'minHits')] }, { all: [threshold('users', 'minUsers'), { fact: 'severity', operator: 'equal', value: 'high' }] }] },
  // Both sides of the inner all are decided from peaks, which may come from different alerts.
  { any: [threshold('users', 'minUsers'), { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 4 }, { fact: 'bytes', operator: 'greaterThanInclusive', value: 1500 }] }] },
);

const arbRuleSet = fc
  .record({
    conditions: arbConditions,
    minHits: fc.integer({ min: 1, max: 6 }),
    minUsers: fc.integer({ min: 1, max: 4 }),
    windowMin: fc.constantFrom(5, 10, 30),
    incidentMin: fc.constantFrom(2, 5, 30),
    withOther: fc.boolean(),
  })
  .map((r) => ({
    'r.yaml': rule({
      id: 'r',
      priority: 10,
      params: { minHits: { value: r.minHits, min: 1, max: 40, step: 1 }, minUsers: { value: r.minUsers, min: 1, max: 40, step: 1 } },
      match: { all: [] },
      window: { groupBy: ['entities.host'], size: `${r.windowMin}m` },
      aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' }, bytes: { kind: 'sum', field: 'raw.bytes' } },
      conditions: r.conditions,
      incident: { groupBy: ['entities.host'], window: `${r.incidentMin}m` },
    }),
    // A lower-priority rule that takes what r lets go: precedence is part of what the tuner must respect.
    ...(r.withOther ? { 's.yaml': rule({ id: 's', priority: 1, conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'critical' }] } }) } : {}),
  }));

const arbVerdicts = fc.array(fc.constantFrom<Verdict | null>('true_positive', 'false_positive', 'false_positive', 'benign_positive', null), { minLength: 200, maxLength: 200 });

/**
 * A candidate run decided from the record of `set`'s run equals a whole run of it, incident for
 * incident; returns how many runs the record decided (0 when the candidate needed a whole run).
 */
function expectRecordEqualsWhole(lines: readonly InputLine[], set: CompiledRuleSet, candidate: CompiledRuleSet): number {
  const recorded = ReplayEvaluator.of(lines, normalize);
  recorded.run(set);
  const fromRecord = recorded.run(candidate);
  const whole = ReplayEvaluator.of(lines, normalize).run(candidate);
  expect(fromRecord.incidents).toEqual(whole.incidents);
  return recorded.stats.fromRecord;
}

describe('tuner properties', () => {
  it('raising a >= threshold never promotes more alerts (by the rule, or in all)', async () => {
    await fc.assert(
      fc.asyncProperty(arbRuleSet, arbAlerts, fc.integer({ min: 1, max: 10 }), async (files, lines, raise) => {
        const set = await ruleset(files);
        const base = run(set, lines).promoted;
        const current = set.promoteRules.find((r) => r.rule.id === 'r')!.params.minHits!;
        const raised = run(withParam(set, 'r', 'minHits', current + raise), lines).promoted;
        for (const [id, by] of raised) {
          expect(base.has(id)).toBe(true);
          if (by === 'r') expect(base.get(id)).toBe('r');
        }
        expect(raised.size).toBeLessThanOrEqual(base.size);
      }),
      { numRuns: 40 },
    );
  });

  it('a run decided from the recorded first run (params changed, rules left out; duplicates left out) is the run of the whole pipeline, incident for incident', async () => {
    let decidedFromRecord = 0;
    await fc.assert(
      fc.asyncProperty(arbRuleSet, arbAlertsWithCopies, fc.constantFrom('minHits', 'minUsers'), fc.integer({ min: -3, max: 8 }), fc.boolean(), async (files, lines, param, delta, disable) => {
        const set = await ruleset(files);
        const current = set.promoteRules.find((r) => r.rule.id === 'r')!.params[param]!;
        const changed = withParam(set, 'r', param, Math.max(1, current + delta));
        const candidate = disable && set.promoteRules.length > 1 ? withoutRule(changed, 's') : changed;
        decidedFromRecord += expectRecordEqualsWhole(lines, set, candidate);
      }),
      { numRuns: 60 },
    );
    expect(decidedFromRecord).toBe(60);
  });

  it('a run with added exceptions or a smaller window decided from the record (touched groups counted again) is the run of the whole pipeline, incident for incident', async () => {
    // A windowed suppress rule beside: an exception can touch its groups too (and an alert suppressed differently is run in full).
    const quiet = (maxKeys: object) => rule({
      id: 'q',
      decision: 'suppress',
      priority: 5,
      params: { minRepeats: { value: 3, min: 1, max: 10, step: 1 } },
      match: { all: [{ fact: 'severity', operator: 'equal', value: 'low' }] },
      window: { groupBy: ['entities.user'], size: '10m', ...maxKeys },
      aggregates: { repeats: { kind: 'count' } },
      conditions: { all: [{ fact: 'repeats', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minRepeats' } }] },
    });
    // A windowed promote rule below r: its windows count the alerts r promotes too.
    const users = (maxKeys: object) => rule({
      id: 'w',
      priority: 2,
      match: { all: [] },
      window: { groupBy: ['entities.user'], size: '30m', ...maxKeys },
      aggregates: { seen: { kind: 'count' } },
      conditions: { all: [{ fact: 'seen', operator: 'greaterThanInclusive', value: 4 }] },
    });
    const arbException = fc.oneof(
      fc.record({ host: fc.constantFrom('h1', 'h2', 'h3', 'h4', 'h5', 'h6') }).map((entities) => ({ entities })),
      fc.record({ user: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5') }).map((entities) => ({ entities })),
      fc.record({ host: fc.constantFrom('h1', 'h2'), user: fc.constantFrom('u1', 'u2') }).map((entities) => ({ entities })),
    );
    let fromRecord = 0;
    let runs = 0;
    let evictingWithExceptions = 0;
    let evictingFromRecord = 0;
    await fc.assert(
      fc.asyncProperty(
        arbRuleSet,
        fc.boolean(),
        fc.boolean(),
        arbAlertsWithCopies,
        fc.array(arbException, { minLength: 0, maxLength: 3 }),
        fc.constantFrom(undefined, 3 / 4, 1 / 2),
        fc.integer({ min: 0, max: 3 }),
        // Windows that evict keys (maxKeys below the hosts' and users' count) lose state: their groups cannot be counted apart, and a touched one is counted again whole.
        fc.boolean(),
        async (files, withQuiet, withUsers, lines, matches, share, raise, evicting) => {
          const maxKeys = evicting ? { maxKeys: 2 } : {};
          const r0 = files['r.yaml'] as { window: object };
          const set = await ruleset({
            ...files,
            'r.yaml': { ...r0, window: { ...r0.window, ...maxKeys } },
            ...(withQuiet ? { 'q.yaml': quiet(maxKeys) } : {}),
            ...(withUsers ? { 'w.yaml': users(maxKeys) } : {}),
          });
          const r = set.promoteRules.find((c) => c.rule.id === 'r')!;
          let candidate = withParam(set, 'r', 'minHits', r.params.minHits! + raise);
          matches.forEach((match, i) => (candidate = withException(candidate, exceptionOf({ id: `x${i}`, match, expires: '2026-11-21', yaml: '' }))));
          if (share !== undefined) candidate = withWindowSize(candidate, 'r', Math.floor(r.window!.sizeMs * share));
          const decided = expectRecordEqualsWhole(lines, set, candidate);
          fromRecord += decided;
          runs++;
          if (evicting && matches.length > 0) {
            evictingWithExceptions++;
            evictingFromRecord += decided;
          }
        },
      ),
      { numRuns: 120 },
    );
    // Most runs are decided from the record, evicting windows too: the property is not passing on whole runs.
    expect(fromRecord).toBeGreaterThan(runs * 0.7);
    expect(evictingFromRecord).toBeGreaterThan(evictingWithExceptions * 0.7);
  });

  it('a smaller window longer than the alerts\' event-time span keeps its record (not counted again); within the span it is counted again; both equal the whole run', async () => {
    let kept = 0;
    let counted = 0;
    await fc.assert(
      fc.asyncProperty(arbRuleSet, arbAlertsWithCopies, fc.constantFrom(1, 4, 12, 48, 480), fc.constantFrom(3 / 4, 1 / 2), async (files, lines, hours, share) => {
        const r0 = files['r.yaml'] as { window: object };
        const set = await ruleset({ ...files, 'r.yaml': { ...r0, window: { ...r0.window, size: `${hours}h` } } });
        const r = set.promoteRules.findIndex((c) => c.rule.id === 'r');
        const sizeMs = set.promoteRules[r]!.window!.sizeMs;
        const candidate = withWindowSize(set, 'r', Math.floor(sizeMs * share));
        const times = lines.map((l) => Date.parse(JSON.parse('text' in l ? l.text : '{}').time));
        const spanMs = Math.max(...times) - Math.min(...times);
        const recounted = replayable(set, candidate, spanMs)!.recounted[r];
        expect(recounted).toBe(!(Math.floor(sizeMs * share) > spanMs));
        if (recounted) counted++;
        else kept++;
        expect(expectRecordEqualsWhole(lines, set, candidate)).toBe(1);
      }),
      { numRuns: 80 },
    );
    // Both sides are exercised.
    expect(kept).toBeGreaterThan(10);
    expect(counted).toBeGreaterThan(10);
  });

  it('counterfactuals are sound: an incident said to be kept (removed) at a stricter value is (is not) opened again', async () => {
    let decided = 0;
    await fc.assert(
      fc.asyncProperty(arbRuleSet, arbAlerts, fc.constantFrom('minHits', 'minUsers'), fc.integer({ min: 1, max: 8 }), async (files, lines, param, raise) => {
        const set = await ruleset(files);
        const compiled = set.promoteRules.find((r) => r.rule.id === 'r')!;
        const use = analyzeParams(compiled.rule).find((a) => a.param === param);
        if (!use?.tunable) return;
        const value = compiled.params[param]! + raise;
        const { promoted } = run(withParam(set, 'r', param, value), lines);
        for (const incident of run(set, lines).incidents.filter((i) => i.ruleId === 'r')) {
          const claim = survives(compiled.rule, use, incident.facts, compiled.params, value);
          const reopened = incident.alertIds.some((id) => promoted.get(id) === 'r');
          if (claim !== 'unknown') decided++;
          if (claim === 'kept') expect(reopened, `${incident.id} said kept at ${param}=${value}`).toBe(true);
          if (claim === 'removed') expect(reopened, `${incident.id} said removed at ${param}=${value}`).toBe(false);
        }
      }),
      { numRuns: 80 },
    );
    // Most claims are decided: the property is not passing on unknowns.
    expect(decided).toBeGreaterThan(200);
  });

  for (const mode of ['counterfactual'] as const) {
    it(`${mode}: at min-recall 1.0 every confirmed true positive is kept and every claimed removal is real`, async () => {
      await fc.assert(
        fc.asyncProperty(arbRuleSet, arbAlerts, arbVerdicts, fc.constantFrom('50%', '200%'), async (files, lines, verdicts, maxStep) => {
          const set = await ruleset(files);
          const { incidents } = run(set, lines);
          const tuning: TuningIncident[] = incidents.map((record, i) => ({ record, verdict: verdicts[i % verdicts.length]!, entity: undefined, openingAlert: undefined }));
          const report = tune({
            ruleset: set,
            incidents: tuning,
            guardrails: { minRecall: 1, maxStep, minVerdicts: 1 },
            period: { fromMs: undefined, toMs: undefined },
            exceptions: { minIncidents: 3, expiresAtMs: T0, owner: 'soc' },
          });
          for (const p of report.proposals) {
            const { promoted } = run(withParam(set, p.ruleId, p.param, p.to), lines);
            const stillOpens = (i: IncidentRecord) => i.alertIds.some((id) => promoted.get(id) === i.ruleId);
            for (const t of tuning) {
              if (t.record.ruleId !== p.ruleId) continue;
              if (t.verdict === 'true_positive') expect(stillOpens(t.record), `TP ${t.record.id} lost at ${p.param}=${p.to}`).toBe(true);
              if (p.removedIncidents.includes(t.record.id)) expect(stillOpens(t.record), `${t.record.id} claimed removed`).toBe(false);
            }
            expect(p.truePositiveKept).toBe(p.truePositiveTotal);
            const declared = set.promoteRules.find((r) => r.rule.id === p.ruleId)!.rule.params[p.param]!;
            expect(p.to).toBeGreaterThanOrEqual(declared.min);
            expect(p.to).toBeLessThanOrEqual(declared.max);
            expect(Math.abs(p.to - p.from)).toBeLessThanOrEqual((maxStep === '50%' ? 0.5 : 2) * p.from + 1e-9);
          }
        }),
        { numRuns: 80 },
      );
    });
  }

  it('pipeline: the proposals applied together (thresholds, joint changes, windows, disabled rules, exceptions) keep every confirmed true positive and leave fewer false-positive incidents and no more incidents, every rule counted', async () => {
    let proposed = 0;
    const kinds = { threshold: 0, joint: 0, window: 0, disable: 0, exception: 0 };
    await fc.assert(
      fc.asyncProperty(arbRuleSet, arbAlerts, arbVerdicts, fc.constantFrom('50%', '200%'), fc.constantFrom(0.05, 0.5), async (files, lines, verdicts, maxStep, disableBelowPrecision) => {
        const set = await ruleset(files);
        const before = run(set, lines);
        const tuning: TuningIncident[] = before.incidents.map((record, i) => ({ record, verdict: verdicts[i % verdicts.length]!, entity: undefined, openingAlert: undefined }));
        const report = tune({
          ruleset: set,
          incidents: tuning,
          guardrails: { minRecall: 1, maxStep, minVerdicts: 1, disableBelowPrecision },
          period: { fromMs: undefined, toMs: undefined },
          replay: ReplayEvaluator.of(lines, normalize),
          exceptions: { minIncidents: 2, expiresAtMs: T0 + 86_400_000, owner: 'soc' },
        });
        if (report.proposals.length + report.joint.length + report.windows.length + report.disable.length + report.exceptions.length === 0) return;
        proposed++;
        kinds.threshold += report.proposals.length;
        kinds.joint += report.joint.length;
        kinds.window += report.windows.length;
        kinds.disable += report.disable.length;
        kinds.exception += report.exceptions.length;
        const disabled = report.disable.reduce((s, d) => withoutRule(s, d.ruleId), set);
        const singles = report.proposals.reduce((s, p) => withParam(s, p.ruleId, p.param, p.to), disabled);
        const thresholds = report.joint.flatMap((j) => j.changes.map((c) => ({ ruleId: j.ruleId, ...c }))).reduce((s, c) => withParam(s, c.ruleId, c.param, c.to), singles);
        const windows = report.windows.reduce((s, w) => withWindowSize(s, w.ruleId, parseDuration(w.to)), thresholds);
        const tuned = report.exceptions.reduce((s, e) => withException(s, exceptionOf(e)), windows);
        const after = run(tuned, lines);
        // Verdicts go with the alerts: a true positive's alert stays one.
        const label = new Map<string, Verdict>();
        for (const t of tuning) {
          for (const id of t.record.alertIds) {
            const known = label.get(id);
            if (t.verdict === null || known === 'true_positive' || (known === 'false_positive' && t.verdict === 'benign_positive')) continue;
            label.set(id, t.verdict);
          }
        }
        const falsePositives = (incidents: IncidentRecord[]) => incidents.filter((i) => i.alertIds.some((id) => label.get(id) === 'false_positive') && !i.alertIds.some((id) => label.get(id) === 'true_positive')).length;
        for (const t of tuning) if (t.verdict === 'true_positive') expect(t.record.alertIds.some((id) => after.promoted.has(id)), `TP ${t.record.id} lost`).toBe(true);
        expect(falsePositives(after.incidents)).toBeLessThan(falsePositives(before.incidents));
        expect(after.incidents.length).toBeLessThanOrEqual(before.incidents.length);
      }),
      // Seeded: window proposals are rare in random rule sets (about one run in 60 or fewer), so an unseeded
      // run sometimes made none and the coverage check below failed by chance (CI, 2026-12-03). The seed
      // fixes which 200 cases run (more than the 60 before, as they are cheap); the property is checked on each.
      { numRuns: 200, seed: 20261203 },
    );
    // Enough runs propose something, of every kind: the property is not passing on empty reports.
    expect(proposed).toBeGreaterThan(3);
    expect(kinds.threshold).toBeGreaterThan(0);
    expect(kinds.disable).toBeGreaterThan(0);
    expect(kinds.exception).toBeGreaterThan(0);
    expect(kinds.window).toBeGreaterThan(0);
  });
});
