// bench/tune-pipeline: how long `alertgate tune --replay` takes when every proposal is checked across the
// whole pipeline (docs/tuning.md, "Whole-pipeline check"), on 4 days of a generated signature stream
// (scripts/eval-data.mjs, the test network's rates) with the starter rules and a simulated analyst's
// verdicts on 30 % of the incidents; beside one `alertgate replay` of the same file in the same run.
// Each command runs in its own child process (one core), with its peak RSS.
//
//   node bench/tune-pipeline.mjs              ~530 k alerts (430 hosts × 4 days)
//   BENCH_TUNE_HOSTS=2440 node bench/tune-pipeline.mjs    ~2.7 M alerts: a month of a busy SOC by count (docs/tuning.md, "Cost")
//   BENCH_TUNE_REPORT=<file>                  also writes the whole report (compare two versions of the tuner)
//   BENCH_PRINT_ARGS=1                        prints each child's command line (node --cpu-prof bench/replay-child.mjs <args>)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES_DEFAULTS, caseMergeOptionsOf } from '../dist/config/cases.js';
import { simulatedVerdicts } from '../dist/eval/analyst.js';
import { EvalLabels } from '../dist/eval/labels.js';
import { evaluateLines } from '../dist/eval/run-eval.js';
import { createNormalizer, loadMapping } from '../dist/normalize/index.js';
import { loadRulesOrThrow } from '../dist/rules/load.js';
import { generateNetwork } from '../scripts/eval-data.mjs';

const HOSTS = Number(process.env.BENCH_TUNE_HOSTS ?? 430);
const DAYS = 4;
const ROOT = join(import.meta.dirname, '..');
const MAP = join(ROOT, 'fixtures', 'mappings', 'signature-stream.yaml');
const dir = join(import.meta.dirname, '.data', `tune-pipeline-${HOSTS}`);
const alerts = join(dir, 'alerts.ndjson');
mkdirSync(dir, { recursive: true });
if (!existsSync(alerts)) {
  console.error(`generating ${HOSTS} hosts × ${DAYS} days into ${alerts} ...`);
  const { lines, labels } = generateNetwork('test', { hosts: HOSTS, days: DAYS });
  writeFileSync(alerts, `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(labels));
}

function child(...args) {
  // BENCH_PRINT_ARGS=1: the child's command line, to profile it alone (node --cpu-prof bench/replay-child.mjs <args>).
  if (process.env.BENCH_PRINT_ARGS) console.error(`bench/replay-child.mjs ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'replay-child.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`alertgate ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// The ledger of the period and a simulated analyst's verdicts on 30 % of its incidents.
const rules = join(dir, 'rules');
rmSync(rules, { recursive: true, force: true });
cpSync(join(ROOT, 'rules'), rules, { recursive: true });
const db = join(dir, 'ledger.sqlite');
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
const replay = child('replay', '--rules', rules, '--format', 'generic', '--map', MAP, '--input', alerts, '--db', db, '--summary', 'json');
const lines = readFileSync(alerts, 'utf8').split('\n').filter(Boolean).map((text, i) => ({ line: i + 1, text }));
const labels = EvalLabels.parse(JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')));
const normalize = createNormalizer({ format: 'generic', mapping: await loadMapping(MAP) });
const scorer = evaluateLines(lines, { ruleset: await loadRulesOrThrow(rules), normalize, labels, cases: caseMergeOptionsOf(CASES_DEFAULTS) });
const verdicts = simulatedVerdicts(scorer.incidents.values(), 0.3);
writeFileSync(join(dir, 'verdicts.ndjson'), verdicts.map((v) => `${JSON.stringify(v)}\n`).join(''));
const imported = spawnSync(process.execPath, [join(ROOT, 'bin', 'alertgate.js'), 'feedback', 'import', join(dir, 'verdicts.ndjson'), '--db', db], { encoding: 'utf8' });
if (imported.status !== 0) throw new Error(`feedback import failed: ${imported.stderr}`);

// BENCH_TUNE_MAX_STEP=300% searches wider than the default 50%: more runs of the whole pipeline.
const MAX_STEP = process.env.BENCH_TUNE_MAX_STEP ?? '50%';
const tuned = child('tune', '--rules', rules, '--db', db, '--replay', alerts, '--input-format', 'generic', '--map', MAP, '--max-step', MAX_STEP, '--format', 'json');
const report = tuned.summary;
// The whole report, to compare two versions of the tuner on the same data (BENCH_TUNE_REPORT=<file>).
if (process.env.BENCH_TUNE_REPORT) writeFileSync(process.env.BENCH_TUNE_REPORT, `${JSON.stringify(report, null, 1)}\n`);
const result = {
  bench: 'tune-pipeline',
  maxStep: MAX_STEP,
  alerts: replay.summary.alerts,
  days: DAYS,
  incidents: replay.summary.incidents,
  verdicts: verdicts.length,
  replaySeconds: Math.round(replay.ms / 100) / 10,
  // CPU time of the whole process (startup included): on a shared machine, steadier than wall time.
  replayCpuSeconds: Math.round(replay.cpuMs / 100) / 10,
  replayPeakRssMB: Math.round(replay.maxRssKB / 1024),
  tuneSeconds: Math.round(tuned.ms / 100) / 10,
  tuneCpuSeconds: Math.round(tuned.cpuMs / 100) / 10,
  tunePeakRssMB: Math.round(tuned.maxRssKB / 1024),
  proposals: report.proposals.map((p) => ({ rule: p.ruleId, param: p.param, from: p.from, to: p.to, pipeline: p.pipeline })),
  // Beside the thresholds (absent from reports before them): what else the tuner proposed or refused.
  others: Object.fromEntries(['joint', 'refusedJoint', 'windows', 'refusedWindows', 'disable', 'refusedDisable', 'exceptions', 'refusedExceptions'].map((k) => [k, report[k]?.length ?? null])),
  refused: report.refused.map((r) => ({ rule: r.ruleId, param: r.param, tried: r.tried, reason: r.reason })),
};
console.log(
  `tune --replay --max-step ${MAX_STEP} over ${result.alerts} alerts (${DAYS} days): ${result.tuneSeconds} s (CPU ${result.tuneCpuSeconds} s), peak RSS ${result.tunePeakRssMB} MB; ` +
    `one replay of the same file (with --db): ${result.replaySeconds} s (CPU ${result.replayCpuSeconds} s, ${result.replayPeakRssMB} MB); tune/replay CPU ${(result.tuneCpuSeconds / result.replayCpuSeconds).toFixed(1)}×`,
);
for (const p of result.proposals) console.log(`  accepted ${p.rule} ${p.param} ${p.from} → ${p.to}: FP incidents ${p.pipeline.falsePositiveBefore} → ${p.pipeline.falsePositiveAfter}, TP ${p.pipeline.truePositiveSurvived}/${p.pipeline.truePositiveTotal}, incidents ${p.pipeline.incidentsBefore} → ${p.pipeline.incidentsAfter}`);
for (const r of result.refused) console.log(`  refused ${r.rule} ${r.param} (tried ${r.tried.join(', ')}): ${r.reason}`);
console.log(JSON.stringify(result));
