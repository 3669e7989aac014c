import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { LedgerStats } from '../../src/metrics/ledger-stats.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { PipelineStats } from '../../src/metrics/pipeline-stats.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { KafkaWorkerStats } from '../../src/worker/kafka-worker.js';
import { scrapeAfterInput } from '../cli/run-process.js';
import { tempDir } from '../helpers.js';
import { CASE_STATS, DRILL_STATS, OBLIGATION_STATS, TALLY } from './case-stats-stub.js';
import { parseExposition } from './exposition.js';
import { metricNamesIn } from './promql-names.js';

/**
 * The metrics, the Prometheus rules and the Grafana dashboard checked with a real `promtool` (Debian
 * package `prometheus`; .ci/run installs it). With CI=true a missing promtool fails; elsewhere these
 * tests are skipped with one line saying so.
 */
const ROOT = join(import.meta.dirname, '../..');
const RULES_FILE = join(ROOT, 'prometheus/alertgate.rules.yml');
const DASHBOARD = join(ROOT, 'dashboards/alertgate.json');

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasPromtool && process.env.CI !== 'true') {
  console.log('skipping the promtool tests: promtool is not on PATH (apt-get install prometheus)');
}

function promtool(args: string[], input?: string) {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Series Prometheus makes itself for every target: not the worker's to export. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Panel {
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  schemaVersion: number;
  uid: string;
  panels: (Panel & { id: number })[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

const rulesFile = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { record?: string; alert?: string; expr: string }[] }[] };
const ruleEntries = rulesFile.groups.flatMap((g) => g.rules);
const recorded = new Set(ruleEntries.flatMap((r) => (r.record ? [r.record] : [])));

/** Grafana's variables, as a query would run (for promtool's syntax check). */
function asRun(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replaceAll('$job', 'alertgate');
}

/** An in-process worker with every family present: pipeline counts, a fake Kafka lag provider and a ledger stub. */
async function everyFamilyScrape(): Promise<string> {
  const set = await loadRulesOrThrow(join(ROOT, 'rules'));
  // Hosts stand in for tenants, so that the tenant family has series (bounded: 5 and "other").
  const stats = new PipelineStats({ tenantLabel: { field: 'entities.host', maxValues: 5 } });
  const pipeline = new Pipeline({ ruleset: set, normalize: createNormalizer({ format: 'auto' }), sinks: { decision() {}, incident() {}, deadLetter() {} }, stats });
  const lines = readFileSync(join(ROOT, 'fixtures/soc-week.ndjson'), 'utf8').trim().split('\n');
  // And a Falco alert without output_fields, so the mapped fields' absence counts have a series.
  lines.push(JSON.stringify({ output: 'x', priority: 'Notice', rule: 'Terminal shell in container', time: '2026-11-27T10:00:00Z' }));
  pipeline.processBatch(lines.map((text, i) => ({ line: i + 1, text })));
  const metrics = new WorkerMetrics();
  metrics.attach(pipeline, set);
  const kafka: KafkaWorkerStats = {
    chunks: 1,
    replayedChunks: 0,
    recoveries: 0,
    checkpoints: 1,
    lastCheckpointBytes: 10,
    commits: 1,
    commitFailures: 0,
    transactionsAborted: 0,
    rejected: 0,
    produceRequests: 1,
    sendRetries: 0,
    consumerRestarts: 0,
    retries: { commit: 1, produce: 0, takeover: 0, transaction: 0, consumer_restart: 0 },
    failing: ['commit'],
    owner: true,
  };
  metrics.attachKafka(() => kafka);
  metrics.attachKafkaLag(() => [{ topic: 'alerts', partition: 0, lag: 3 }]);
  const ledger: LedgerStats = {
    feedbackCounts: async () => [{ ruleId: 'recon-scan', verdict: 'false_positive', count: 2 }],
    precision: async () => [{ ruleId: 'recon-scan', precision: 0.5 }],
    tuningChangesApplied: async () => [{ ruleId: 'recon-scan', count: 1 }],
    caseStats: async () => CASE_STATS,
    notificationTally: async () => TALLY,
    obligationStats: async () => OBLIGATION_STATS,
    drillStats: async () => DRILL_STATS,
  };
  metrics.attachLedger(ledger, { precisionHorizonMs: 30 * 86_400_000 });
  return metrics.registry.metrics();
}

/** Runs `alertgate run --serve` on the week of SOC alerts and returns one scrape of its /metrics. */
function scrapeRunningWorker(): Promise<string> {
  return scrapeAfterInput(['--rules', join(ROOT, 'rules'), '--input', join(ROOT, 'fixtures/soc-week.ndjson'), '--port', '0'], {
    env: { ALERTGATE_LOG_LEVEL: 'info', ALERTGATE_WATCH_RULES: 'false' },
  });
}

describe.runIf(!hasPromtool && process.env.CI === 'true')('promtool on CI', () => {
  it('is installed (CI=true): .ci/run installs the Debian prometheus package', () => {
    expect(hasPromtool, 'promtool not on PATH').toBe(true);
  });
});

describe.runIf(hasPromtool)('promtool', () => {
  it('passes `promtool check metrics` on what a running worker serves', async () => {
    const text = await scrapeRunningWorker();
    expect(text).toMatch(/^alertgate_alerts_received_total 8929$/m);
    expect(text).toMatch(/^alertgate_incidents_opened_total\{rule="recon-scan",severity="medium",category="recon"\} \d+$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    const r = promtool(['check', 'metrics'], text);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('passes `promtool check metrics` with every family present (Kafka and ledger attached)', async () => {
    const r = promtool(['check', 'metrics'], await everyFamilyScrape());
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('fails `promtool check metrics` on a misnamed metric (the check is real)', () => {
    const r = promtool(['check', 'metrics'], '# HELP bad_total A gauge.\n# TYPE bad_total gauge\nbad_total 1\n');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/non-counter metrics should not have "_total" suffix/);
  });

  it('passes `promtool check rules` on prometheus/alertgate.rules.yml', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('passes `promtool test rules`: every alerting rule fires on its input series, and not on the harmless ones', () => {
    const alerts = ruleEntries.flatMap((r) => (r.alert ? [r.alert] : []));
    const tests = readFileSync(join(ROOT, 'prometheus/alertgate.rules.test.yml'), 'utf8');
    for (const alert of alerts) expect(tests, `a test of ${alert}`).toMatch(new RegExp(`alertname: ${alert}\\n`));
    const r = promtool(['test', 'rules', join(ROOT, 'prometheus/alertgate.rules.test.yml')]);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  });

  it("passes `promtool check config` on the README's scrape configuration, with the rules file beside it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const monitoring = readme.slice(readme.indexOf('## Monitoring'));
    const snippet = /```yaml\n(# prometheus\.yml\n[\s\S]*?)```/.exec(monitoring)?.[1];
    expect(snippet).toBeDefined();
    const dir = tempDir();
    writeFileSync(join(dir, 'prometheus.yml'), snippet!);
    writeFileSync(join(dir, 'alertgate.rules.yml'), readFileSync(RULES_FILE, 'utf8'));
    const r = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
    expect(r.out).toMatch(/SUCCESS: 1 rule files found/);
    expect(r.code).toBe(0);
  });

  it('has only dashboard queries promtool parses', () => {
    const dir = tempDir();
    const file = join(dir, 'dashboard-queries.yml');
    const rules = dashboardExprs.map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: asRun(expr) }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = promtool(['check', 'rules', file]);
    expect(r.out).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    expect(r.code).toBe(0);
  });
});

describe('docs/metrics.md', () => {
  it('lists every alertgate family the worker exports, with its type and HELP text, and no other', async () => {
    const families = [...parseExposition(await everyFamilyScrape()).values()].filter((f) => f.name.startsWith('alertgate_'));
    const doc = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
    const rows = new Map([...doc.matchAll(/^\| `(alertgate_\w+)` \| (\w+) \|[^|]*\|[^|]*\| (.*) \|$/gm)].map((m) => [m[1]!, { type: m[2], help: m[3] }]));
    expect([...rows.keys()].sort()).toEqual(families.map((f) => f.name).sort());
    for (const f of families) expect(rows.get(f.name), f.name).toEqual({ type: f.type, help: f.help });
  });
});

describe('dashboards/alertgate.json', () => {
  it('is a Grafana dashboard on a Prometheus datasource variable, with the panels the issue names', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.uid).toBe('alertgate');
    expect(dashboard.templating.list).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]));
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((panel) => panel.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(t.datasource?.uid, p.title).toBe('${datasource}');
    }
    const titles = dashboard.panels.map((p) => p.title);
    for (const wanted of [/alerts per incident/i, /alert-to-incident ratio/i, /false-positive rate per rule/i, /top rules by volume/i, /incidents per severity/i, /kafka consumer lag/i, /event time to decision/i, /evaluation time/i, /dead letters/i, /open cases by state/i, /oldest unacknowledged/i, /MTTA, MTTR/, /escalations by level/i, /notifications per receiver/i]) {
      expect(titles.some((t) => wanted.test(t)), String(wanted)).toBe(true);
    }
  });

  it('queries only metrics the worker exports or the rules file records (and the rules file too)', async () => {
    const exported = new Set([...parseExposition(await everyFamilyScrape()).values()].flatMap((f) => f.samples.map((s) => s.name)));
    const known = (name: string) => exported.has(name) || recorded.has(name) || PROMETHEUS_SERIES.has(name);
    const used = [
      ...dashboardExprs.map(({ panel, expr }) => ({ where: `dashboard panel "${panel}"`, expr })),
      ...ruleEntries.map((r) => ({ where: `rules file ${r.record ?? r.alert}`, expr: r.expr })),
    ];
    let names = 0;
    for (const { where, expr } of used) {
      for (const name of metricNamesIn(expr)) {
        names++;
        expect(known(name), `${where}: ${name} is neither exported by the worker nor a recording rule`).toBe(true);
      }
    }
    expect(names).toBeGreaterThan(50);
    // The reader finds names where they are, and only there.
    expect(metricNamesIn('topk(10, sum by (rule) (rate(alertgate_rule_decisions_total{job=~"$job",rule!="x"}[5m])) / on(job) up offset 5m)')).toEqual([
      'alertgate_rule_decisions_total',
      'up',
    ]);
  });
});
