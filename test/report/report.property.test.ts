import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionCount, ReportIncident, TuningChange } from '../../src/ledger/records.js';
import { reportOf, type ReportData } from '../../src/report/build.js';
import { renderReport, ReportFormat } from '../../src/report/render.js';
import { Report } from '../../src/report/report.js';
import { DAY, HOUR, T0 } from './fixtures.js';
import { markdownTables, markupIn, renderedText } from './tables.js';

const RULES = ['a', 'b', 'c'];
const SPAN_HOURS = 7 * 24;

const incidentArb = fc.record({
  ruleId: fc.constantFrom(...RULES),
  hour: fc.integer({ min: 0, max: SPAN_HOURS - 1 }),
  minute: fc.integer({ min: 0, max: 59 }),
  alertCount: fc.integer({ min: 1, max: 20 }),
  verdict: fc.constantFrom('true_positive', 'benign_positive', 'false_positive', null),
  feedbackMinutes: fc.integer({ min: -30, max: 600 }),
  // Any text: signatures and entity values come from the alerts, so from anyone.
  name: fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('<script>x</script>', 'a|b', 'ET SCAN', '[x](http://e.example)', '![i](y)', '`c` *e* _u_', 'a@b www.x.example', '\\*')), { nil: undefined }),
  host: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('web-1', '<b>"h"</b>')),
});

const countArb = fc.record({
  ruleId: fc.constantFrom(...RULES, ''),
  decision: fc.constantFrom('promote', 'suppress'),
  hour: fc.integer({ min: 0, max: SPAN_HOURS - 1 }),
  count: fc.integer({ min: 1, max: 500 }),
});

const dataArb = fc.record({
  incidents: fc.array(incidentArb, { maxLength: 40 }),
  counts: fc.array(countArb, { maxLength: 60 }),
  changes: fc.array(fc.record({ ruleId: fc.constantFrom(...RULES), hour: fc.integer({ min: 0, max: SPAN_HOURS - 1 }) }), { maxLength: 3 }),
  fromHour: fc.integer({ min: 0, max: SPAN_HOURS - 1 }),
  lengthHours: fc.integer({ min: 0, max: SPAN_HOURS }),
  minutesPerIncident: fc.integer({ min: 0, max: 60 }),
  top: fc.integer({ min: 0, max: 4 }),
});

type Input = typeof dataArb extends fc.Arbitrary<infer T> ? T : never;

function build(input: Input) {
  const incidents: ReportIncident[] = input.incidents.map((i) => {
    const firstSeenMs = T0 + i.hour * HOUR + i.minute * 60_000;
    return {
      ruleId: i.ruleId,
      firstSeenMs,
      alertCount: i.alertCount,
      groupKey: { 'entities.host': i.host },
      verdict: i.verdict,
      openingAlert: i.name === undefined ? undefined : { name: i.name, source: 's', severity: 'low', entities: { host: i.host } },
      firstFeedbackMs: i.verdict === null ? undefined : firstSeenMs + i.feedbackMinutes * 60_000,
    };
  });
  // Pass decisions have no rule; a rule's decisions are promote or suppress.
  const counts: DecisionCount[] = input.counts.map((c) => ({ ruleId: c.ruleId, decision: c.ruleId === '' ? 'pass' : c.decision, bucketMs: T0 + c.hour * HOUR, count: c.count }));
  const changes: TuningChange[] = input.changes.map((c, n) => ({
    id: `tc-${n}`,
    ruleId: c.ruleId,
    file: `${c.ruleId}.yaml`,
    param: 'p',
    from: 1,
    to: 2,
    versionBefore: 1,
    versionAfter: 2,
    beforeText: '',
    afterText: '',
    author: 'eng',
    reason: 'r',
    evidence: {},
    appliedAt: new Date(T0 + c.hour * HOUR).toISOString(),
    reverted: null,
  }));
  const fromMs = T0 + input.fromHour * HOUR;
  const data: ReportData = { incidents, counts, changes };
  return { data, options: { fromMs, toMs: fromMs + input.lengthHours * HOUR, minutesPerIncident: input.minutesPerIncident, top: input.top } };
}

const sum = <T>(items: readonly T[], pick: (t: T) => number) => items.reduce((n, t) => n + pick(t), 0);

describe('report properties', () => {
  it('per-day figures add up to the totals, and per-rule figures too', () => {
    fc.assert(
      fc.property(dataArb, (input) => {
        const { data, options } = build(input);
        const report = reportOf(data, options);
        const { totals, days, rules } = report;
        for (const key of ['promoted', 'suppressed', 'alertsMatched', 'incidents', 'truePositive', 'benignPositive', 'falsePositive', 'unreviewed'] as const) {
          expect(sum(days, (d) => d[key]), `days ${key}`).toBe(totals[key]);
          expect(sum(rules, (r) => r[key]), `rules ${key}`).toBe(totals[key]);
        }
        expect(sum(days, (d) => d.passed)).toBe(totals.passed);
        expect(sum(days, (d) => d.alerts)).toBe(totals.alertsMatched + totals.passed);
        expect(sum(rules, (r) => r.analystMinutes)).toBeCloseTo(totals.analystMinutes, 6);
        // Every day of the period, once, in order.
        expect(days.length).toBe(Math.floor(options.toMs / DAY) - Math.floor(options.fromMs / DAY) + 1);
        for (const r of rules) {
          expect(r.signatures.length).toBeLessThanOrEqual(options.top);
          if (r.medianMinutesToFeedback !== null) expect(r.medianMinutesToFeedback).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('deterministic: the same data gives byte-identical output in every format; JSON is the Report itself', () => {
    fc.assert(
      fc.property(dataArb, (input) => {
        const first = build(input);
        const again = build(input);
        const report = reportOf(first.data, first.options);
        for (const format of ReportFormat.options) expect(renderReport(reportOf(again.data, again.options), format)).toBe(renderReport(report, format));
        expect(Report.parse(JSON.parse(renderReport(report, 'json')))).toEqual(report);
      }),
      { numRuns: 60 },
    );
  });

  it('whatever the signatures and entities: the HTML has no script and markup from them, the markdown tables keep their columns', () => {
    fc.assert(
      fc.property(dataArb, (input) => {
        const { data, options } = build(input);
        const report = reportOf(data, options);
        const html = renderReport(report, 'html');
        expect(html).not.toMatch(/<script/i);
        expect(html).not.toContain('<b>');
        const tables = markdownTables(renderReport(report, 'md'));
        for (const table of tables) {
          for (const row of table.rows) expect(row.length, table.rows.join('\n')).toBe(table.head.length);
        }
        // Signatures and entities render as their text (line breaks as spaces; a cell's edges are trimmed, as GFM does) and make no markup.
        const keys = report.rules.flatMap((r) => [...r.signatures, ...r.entities].map((k) => k.key.replace(/[\r\n]+/g, ' ').trim()));
        const noise = tables.find((t) => t.head[1] === 'kind')?.rows ?? [];
        expect(noise.map((r) => renderedText(r[2]!))).toEqual(keys);
        for (const row of noise) expect(markupIn(row[2]!), row[2]).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
