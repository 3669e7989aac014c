import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDecision } from '../../src/decide/decision-record.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline, PipelineSnapshot } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { alert, at, rule, ruleset } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEEK = readFileSync(join(ROOT, 'fixtures/soc-week.ndjson'), 'utf8').trim().split('\n');
const NINES = Date.UTC(9999, 11, 31, 23, 59, 59);
/**
 * A checkpoint the base commit (0703d3b, before the skew bound) wrote: its pipeline's snapshot (version 1)
 * after the first 300 lines of fixtures/soc-week.ndjson with a copy of the first alert dated
 * 9999-12-31T23:59:59Z as line 2. Its watermark, and every window's, is 9999; 187 of the alerts were late.
 */
const BASE_POISONED = readFileSync(join(ROOT, 'test/fixtures/base-0703d3b-poisoned-snapshot.json'), 'utf8');

function pipelineOf(set: CompiledRuleSet, format: 'auto' | 'canonical', out: { decisions: string[]; incidents: IncidentRecord[] }, maxFutureSkew = '6h') {
  return new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format }),
    eventTime: { maxFutureSkew, onFutureDated: 'clamp', recentAlerts: 1000 },
    sinks: { decision: (json) => out.decisions.push(json), incident: (r) => out.incidents.push(structuredClone(r)), deadLetter: () => {} },
  });
}

const feed = (pipeline: Pipeline, lines: readonly string[], first = 1) => pipeline.processBatch(lines.map((text, i) => ({ line: first + i, text })));

describe('a watermark poisoned before the skew bound (a version-1 checkpoint)', () => {
  it('restores, keeps deciding alerts late, and after resetWatermark to the stream\'s time counts them again: no alert of the rest of the week is late', async () => {
    const rules = await loadRulesOrThrow(join(ROOT, 'rules'));
    const snapshot = PipelineSnapshot.parse(JSON.parse(BASE_POISONED));
    expect(snapshot).toMatchObject({ version: 2, watermarkMs: NINES, counts: { futureDated: 0, clamped: 0, late: 187 }, futureSkew: { recent: [], decided: [], run: [] } });

    const out = { decisions: [] as string[], incidents: [] as IncidentRecord[] };
    const pipeline = pipelineOf(rules, 'auto', out);
    pipeline.restore(snapshot);
    expect(pipeline.watermark).toBe(NINES);
    // Poisoned: the next day of alerts is late (the bound cannot help once the watermark is there).
    feed(pipeline, WEEK.slice(300, 1300), 301);
    const lateWhilePoisoned = pipeline.counts.late - 187;
    expect(lateWhilePoisoned).toBeGreaterThan(500);

    const stream = pipeline.eventTime.streamTime();
    expect(stream).toBeLessThan(Date.UTC(2026, 11, 1));
    const reset = pipeline.resetWatermark(stream);
    expect(reset).toMatchObject({ fromMs: NINES, toMs: stream });
    // The 9999 alert's own window event is dropped; the incident the poisoned pipeline held (last alert before it) stays open.
    expect(reset.windowEventsDropped).toBe(1);
    expect(reset.incidentsClosed).toEqual([]);
    expect(pipeline.windowStats().every(({ stats }) => stats.events === 0)).toBe(true);

    const late = pipeline.counts.late;
    feed(pipeline, WEEK.slice(1300), 1301);
    expect(pipeline.counts.late).toBe(late);
    // Detection works again: the rest of the week promotes with every windowed rule that promotes on it in a clean run.
    const clean = { decisions: [] as string[], incidents: [] as IncidentRecord[] };
    feed(pipelineOf(rules, 'auto', clean), WEEK);
    const rest = (decisions: string[]) => new Set(decisions.map((d) => parseDecision(d)).filter((d) => d.decision === 'promote' && Date.parse(d.time) > stream + 86_400_000).map((d) => d.ruleId));
    expect(rest(out.decisions)).toEqual(rest(clean.decisions));
  });
});

describe('Pipeline.resetWatermark', () => {
  const set = () =>
    ruleset({
      'hosts.yaml': rule({
        id: 'hosts',
        match: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] },
        window: { groupBy: ['entities.host'], size: '1h' },
        aggregates: { hits: { kind: 'count' } },
        conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 1 }] },
        incident: { groupBy: ['entities.host'], window: '30m' },
      }),
    });
  const line = (id: string, time: string, host: string) => JSON.stringify(alert({ id, time, severity: 'high', entities: { host } }));

  it('drops the window events after the new watermark and closes the incidents opened or grown after it; the others stay and keep counting', async () => {
    const out = { decisions: [] as string[], incidents: [] as IncidentRecord[] };
    // Without the bound, as the base commit decided: an alert half an hour ahead moves the watermark there
    // (not so far that web-1's window has gone idle and been swept: that a reset cannot bring back).
    const pipeline = pipelineOf(await set(), 'canonical', out, 'off');
    feed(pipeline, [line('a1', at(0), 'web-1'), line('a2', at(1), 'web-1'), line('ahead', at(30), 'web-2')]);
    expect(out.incidents).toEqual([]);
    expect(pipeline.windowStats()[0]!.stats).toMatchObject({ keys: 2, events: 3 });

    const reset = pipeline.resetWatermark(Date.parse(at(1)));
    expect(reset).toMatchObject({ fromMs: Date.parse(at(30)), toMs: Date.parse(at(1)), windowEventsDropped: 1 });
    expect(reset.incidentsClosed).toHaveLength(1);
    expect(pipeline.windowStats()[0]!.stats).toMatchObject({ keys: 1, events: 2 });

    feed(pipeline, [line('a3', at(2), 'web-1'), line('b1', at(3), 'web-2')], 4);
    const decided = out.decisions.slice(-2).map((d) => parseDecision(d));
    // web-1's window still holds a1 and a2; web-2's lost the alert from ahead: b1 is its first.
    expect(decided.map((d) => [d.alertId, d.explanation.aggregates, d.explanation.window?.late])).toEqual([
      ['a3', { hits: 3 }, false],
      ['b1', { hits: 1 }, false],
    ]);
    // The incident the alert from ahead opened comes out closed with the next decision that moved the watermark; b1 opens a new one.
    expect(out.incidents.map((i) => [i.id, i.status, i.lastSeen])).toEqual([[reset.incidentsClosed[0], 'closed', at(30)]]);
    pipeline.finish();
    expect(out.incidents.slice(1).map((i) => [i.groupKey['entities.host'], i.status, i.alertCount])).toEqual([
      ['web-1', 'open', 3],
      ['web-2', 'open', 1],
    ]);
    expect(pipeline.counts.late).toBe(0);
  });

  it('only moves the watermark back', async () => {
    const pipeline = pipelineOf(await set(), 'canonical', { decisions: [], incidents: [] });
    expect(() => pipeline.resetWatermark(0)).toThrow(/can only be moved back: it is none/);
    feed(pipeline, [line('a1', at(0), 'web-1')]);
    expect(() => pipeline.resetWatermark(Date.parse(at(0)))).toThrow(/can only be moved back: it is 2026-11-20T10:00:00.000Z, asked for 2026-11-20T10:00:00.000Z/);
    expect(() => pipeline.resetWatermark(Number.NaN)).toThrow(RangeError);
  });
});
