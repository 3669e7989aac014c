import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { PipelineStats } from '../../src/metrics/pipeline-stats.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { alert, at, rule, ruleset } from '../helpers.js';
import { parseExposition } from './exposition.js';

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

/** Decides `alerts` (each `[tenant or undefined, severity]`) with one rule promoting high alerts, and scrapes the metrics. */
async function scrape(tenantLabel: ConstructorParameters<typeof PipelineStats>[0], alerts: readonly [string | undefined, string][]) {
  const set = await ruleset({ 'r.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
  const pipeline = new Pipeline({ ruleset: set, normalize: createNormalizer({ format: 'canonical' }), sinks: { decision() {}, incident() {}, deadLetter() {} }, stats: new PipelineStats(tenantLabel) });
  const lines = alerts.map(([tenant, severity], i) => JSON.stringify(alert({ id: `a${i}`, time: at(i), severity, entities: { host: 'h', ...(tenant === undefined ? {} : { tenant }) } })));
  // One alert twice: a duplicate decision.
  lines.push(lines[0]!);
  pipeline.processBatch(lines.map((text, i) => ({ line: i + 1, text })));
  const metrics = new WorkerMetrics();
  metrics.attach(pipeline, set);
  const text = await metrics.registry.metrics();
  const family = parseExposition(text).get('alertgate_tenant_decisions_total')!;
  return { text, series: Object.fromEntries(family.samples.map((s) => [`${s.labels.tenant}/${s.labels.decision}`, s.value])) };
}

describe('alertgate_tenant_decisions_total (metrics.tenantLabel)', () => {
  it('counts decisions by tenant: configured tenants, then the first maxValues seen, then "other" (with alerts without a tenant and odd values)', async () => {
    const { series } = await scrape({ tenantLabel: { field: 'entities.tenant', values: ['acme'], maxValues: 2 } }, [
      ['t1', 'high'],
      ['acme', 'low'],
      ['t2', 'high'],
      ['t3', 'high'], // past maxValues: other
      [undefined, 'high'], // no tenant: other
      ['not a name!', 'low'], // not label-like: other, and takes no slot
      ['t1', 'low'],
      ['acme', 'high'],
    ]);
    expect(series).toEqual({
      'acme/promote': 1,
      'acme/pass': 1,
      't1/promote': 1,
      't1/pass': 1,
      't1/duplicate': 1,
      't2/promote': 1,
      'other/promote': 2,
      'other/pass': 1,
    });
  });

  it('the series stay bounded whatever the stream holds: 10,000 distinct tenants make at most maxValues + 1 tenant labels', async () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) => [`tenant-${i}`, i % 2 === 0 ? 'high' : 'low'] as [string, string]);
    const { series } = await scrape({ tenantLabel: { field: 'entities.tenant', maxValues: 100 } }, alerts);
    expect(new Set(Object.keys(series).map((k) => k.split('/')[0])).size).toBe(101);
    expect(series['other/promote']! + series['other/pass']!).toBe(10_000 - 100);
  });

  it('without metrics.tenantLabel the family has no series', async () => {
    const { series } = await scrape({}, [['acme', 'high']]);
    expect(series).toEqual({});
  });

  it('the config takes metrics.tenantLabel with a bound; its field is an alert field path', () => {
    expect(Config.parse({ metrics: { tenantLabel: { field: 'entities.tenant' } } }).metrics.tenantLabel).toEqual({ field: 'entities.tenant', values: [], maxValues: 100 });
    expect(Config.safeParse({ metrics: { tenantLabel: { field: 'entities.tenant', maxValues: 5000 } } }).success).toBe(false);
    expect(Config.safeParse({ metrics: { tenantLabel: { field: 'entities..tenant' } } }).success).toBe(false);
  });

  it.runIf(hasPromtool)('passes `promtool check metrics`', async () => {
    const { text } = await scrape({ tenantLabel: { field: 'entities.tenant', maxValues: 3 } }, [['acme', 'high'], ['globex', 'low'], [undefined, 'high']]);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
