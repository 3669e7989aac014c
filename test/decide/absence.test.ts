import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../../src/decide/decision-record.js';
import { Evaluator } from '../../src/decide/evaluator.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline, PipelineSnapshot } from '../../src/pipeline/pipeline.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { formatProblem } from '../../src/rules/problems.js';
import { runScenarioFiles } from '../../src/ruletest/index.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline, writeRules } from '../helpers.js';

/** "A sensor went quiet for 30 minutes": any Suricata alert shows its host alive. */
const SENSOR_QUIET = rule({
  id: 'sensor-quiet',
  severity: 'medium',
  match: { all: [{ fact: 'source', operator: 'equal', value: 'suricata' }] },
  absence: { groupBy: ['entities.host'], after: '30m', allowedLateness: '1m' },
  conditions: { all: [] },
});

const suricata = (id: string, minute: number, host: string) => alert({ id, time: at(minute), source: 'suricata', entities: { host } });
/** Another detector's alerts every 5 minutes until `to`: they move the watermark. */
const ticks = (to: number) => Array.from({ length: to / 5 + 1 }, (_, i) => alert({ id: `tick-${i * 5}`, time: at(i * 5), source: 'wazuh', name: 'tick', entities: { host: 'dc-1' } }));
const byTime = (alerts: Record<string, unknown>[]) => [...alerts].sort((a, b) => String(a.time).localeCompare(String(b.time)));

const silencesOf = (decisions: readonly DecisionRecord[]) => decisions.filter((d) => d.alertId.startsWith('absence:'));

describe('absence rules', () => {
  it('a host seen before and silent for 30 minutes is decided once, when the watermark passes the silence plus lateness', async () => {
    const { decisions, incidents } = runPipeline(await ruleset({ 'r.yaml': SENSOR_QUIET }), byTime([
      ...[0, 10, 20].map((m) => suricata(`a-${m}`, m, 'sensor-a')),
      ...[0, 10, 20, 30, 40, 50, 60].map((m) => suricata(`b-${m}`, m, 'sensor-b')),
      ...ticks(120),
    ]));
    const silences = silencesOf(decisions);
    expect(silences.map((d) => [d.time, d.decision, d.ruleId])).toEqual([
      [at(50), 'promote', 'sensor-quiet'],
      [at(90), 'promote', 'sensor-quiet'],
    ]);
    // Decided before the first alert at or after 50 + 1 minute of lateness: the tick at 55.
    const ids = decisions.map((d) => d.alertId);
    expect(ids.indexOf(silences[0]!.alertId)).toBe(ids.indexOf('tick-55') - 1);
    expect(incidents.filter((i) => i.ruleId === 'sensor-quiet').map((i) => i.groupKey)).toEqual([{ 'entities.host': 'sensor-a' }, { 'entities.host': 'sensor-b' }]);
  });

  it('the silence says what went quiet: source, entities, group, since when; ids are the same on every run', async () => {
    const set = await ruleset({ 'r.yaml': SENSOR_QUIET });
    const input = byTime([suricata('a-0', 0, 'sensor-a'), ...ticks(40)]);
    const first = silencesOf(runPipeline(set, input).decisions);
    expect(first).toHaveLength(1);
    const evaluator = new Evaluator(set);
    evaluator.evaluate({ alert: { ...(suricata('a-0', 0, 'sensor-a') as object), severityOriginal: null, category: 'recon', tags: [], raw: {} } as never, timeMs: Date.parse(at(0)) });
    expect(evaluator.silences(Date.parse(at(30)))).toEqual([]);
    const [silence] = evaluator.silences(Date.parse(at(31)));
    expect(silence!.alert).toMatchObject({
      id: first[0]!.alertId,
      time: at(30),
      source: 'suricata',
      name: 'absence: sensor-quiet',
      severity: 'medium',
      entities: { host: 'sensor-a' },
      tags: ['absence'],
      raw: { rule: 'sensor-quiet', group: { 'entities.host': 'sensor-a' }, lastSeen: at(0), silentFor: '30m' },
    });
    expect(evaluator.silences(Date.parse(at(200)))).toEqual([]);
    expect(silencesOf(runPipeline(set, input).decisions)).toEqual(first);
  });

  it('a host never seen does not fall silent; one that comes back is armed again; an alert within lateness breaks the silence', async () => {
    const set = await ruleset({ 'r.yaml': SENSOR_QUIET });
    const comesBack = runPipeline(set, byTime([suricata('a-0', 0, 'sensor-a'), suricata('a-60', 60, 'sensor-a'), ...ticks(100)])).decisions;
    expect(silencesOf(comesBack).map((d) => d.time)).toEqual([at(30), at(90)]);
    const lateButInTime = runPipeline(set, [
      suricata('a-0', 0, 'sensor-a'),
      alert({ id: 't-30', time: at(30.5), source: 'wazuh', entities: { host: 'dc-1' } }),
      suricata('a-29', 29, 'sensor-a'), // out of order, before the watermark is 1 minute past 30
      alert({ id: 't-31', time: at(31), source: 'wazuh', entities: { host: 'dc-1' } }),
      alert({ id: 't-40', time: at(40), source: 'wazuh', entities: { host: 'dc-1' } }),
    ]).decisions;
    // At 30.5 the watermark is not yet 1 minute past 30: the alert dated 29 arrives in time to show the host alive.
    expect(silencesOf(lateButInTime)).toEqual([]);
  });

  it('an exception silences the silence (a sensor under maintenance)', async () => {
    const set = await ruleset({
      'r.yaml': SENSOR_QUIET,
      // Its match names the silence: an exception on the host alone would also silence the host's alerts, and nothing would be seen.
      'e.yaml': { kind: 'exception', id: 'sensor-a-maintenance', reason: 'rebuilt', owner: 'netops', expires: '2027-01-01', match: { name: 'absence: sensor-quiet', entities: { host: 'sensor-a' } } },
    });
    const silences = silencesOf(runPipeline(set, byTime([suricata('a-0', 0, 'sensor-a'), ...ticks(40)])).decisions);
    expect(silences.map((d) => [d.decision, d.ruleId])).toEqual([['suppress', 'sensor-a-maintenance']]);
  });

  it('a snapshot restored into a fresh pipeline continues exactly, silences included', async () => {
    const set = await ruleset({ 'r.yaml': SENSOR_QUIET });
    const hosts = ['s1', 's2', 's3'];
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 0, max: 20 }), host: fc.constantFrom(...hosts), sensor: fc.boolean() }), { maxLength: 40 }), fc.nat(), (items, cut) => {
        let minute = 0;
        const lines = items.map((it, i) => JSON.stringify(it.sensor ? suricata(`x${i}`, (minute += it.gap), it.host) : alert({ id: `x${i}`, time: at((minute += it.gap)), source: 'wazuh' })));
        const whole = runLines(set, lines);
        const split = cut % (lines.length + 1);
        const first = runLines(set, lines.slice(0, split));
        const second = runLines(set, lines.slice(split), JSON.stringify(first.pipeline.snapshot()));
        expect([...first.out, ...second.out]).toEqual(whole.out);
      }),
      { numRuns: 200 },
    );
  });

  it('problems: an absence rule without match, or with a window', async () => {
    const problems = await problemsOf({
      'a.yaml': rule({ id: 'a', absence: { groupBy: ['entities.host'], after: '30m' } }),
      'b.yaml': rule({ id: 'b', match: { all: [] }, absence: { groupBy: ['entities.host'], after: '1h' }, window: { groupBy: ['entities.host'], size: '1h' }, aggregates: { n: { kind: 'count' } } }),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/a\.yaml: \/match: an absence rule needs match conditions/));
    expect(lines).toContainEqual(expect.stringMatching(/b\.yaml: \/absence: an absence rule decides the silence/));
  });
});

function runLines(set: CompiledRuleSet, lines: readonly string[], from?: string) {
  const out: string[] = [];
  const pipeline = new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'canonical' }),
    sinks: { decision: (json) => out.push(json), incident: (r) => out.push(JSON.stringify(r)), deadLetter: (r) => out.push(JSON.stringify(r)) },
  });
  if (from !== undefined) pipeline.restore(PipelineSnapshot.parse(JSON.parse(from)));
  pipeline.processBatch(lines.map((text, i) => ({ line: i + 1, text })));
  return { out, pipeline };
}


describe('absence rules in scenario tests', () => {
  it('a silence is decided before the alert that revealed it; the alerts keep their own expectations and the silence its incident', async () => {
    const rulesDir = writeRules({ 'r.yaml': { ...SENSOR_QUIET, incident: { groupBy: ['entities.host'], title: '{{entities.host}} went quiet' } } });
    mkdirSync(join(rulesDir, 'tests'));
    writeFileSync(
      join(rulesDir, 'tests', 'quiet.yaml'),
      [
        'name: a sensor silent for 30 minutes opens an incident',
        'start: 2026-11-20T10:00:00Z',
        'defaults: { source: suricata, name: "ET SCAN", severity: low, category: recon, entities: { host: sensor-a } }',
        'alerts:',
        '  - { id: first }',
        '  - { id: other, time: +45m, source: wazuh, entities: { host: dc-1 } }',
        'expect:',
        '  decisions:',
        '    - { at: first, decision: pass }',
        '    - { at: other, decision: pass }',
        '  incidents:',
        '    - { rule: sensor-quiet, groupKey: { entities.host: sensor-a }, title: sensor-a went quiet }',
      ].join('\n'),
    );
    const report = await runScenarioFiles({ rulesDir, testsDir: join(rulesDir, 'tests') });
    expect(report.scenarios.flatMap((s) => s.failures)).toEqual([]);
    expect(report.passed).toBe(1);
  });
});
