// bench/cli: `alertgate replay` end to end as a user runs it (a new process: start, load and compile
// the rules, parse, normalize, decide, write decisions and incidents) beside the naive CLI on
// json-rules-engine (bench/cli-json-rules-engine.mjs: parse, run, write) on the same input and the
// same 50-rule pack (unpinned: every rule runs on every alert), each timed from spawn to exit.
// Also replay --explanations compact, and an empty input (startup alone).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAlerts, rulePack } from './rule-pack.mjs';

const RULES = 50;
const ALERTS = Number(process.env.BENCH_CLI_ALERTS ?? 20_000);
const dataDir = join(import.meta.dirname, '.data', 'cli');
const packDir = join(dataDir, 'rules');
mkdirSync(packDir, { recursive: true });
const rules = rulePack(false, RULES);
writeFileSync(join(packDir, 'pack.json'), JSON.stringify(rules));
const input = join(dataDir, `alerts-${ALERTS}.ndjson`);
writeFileSync(input, makeAlerts(ALERTS).map(({ alert }) => JSON.stringify(alert) + '\n').join(''));
const empty = join(dataDir, 'empty.ndjson');
writeFileSync(empty, '');

/** Runs `node <args>`, returns its wall time (spawn to exit) and its last stdout line parsed. */
function timed(args) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { seconds, out: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

const alertgate = (inputFile, ...extra) =>
  timed([
    join(import.meta.dirname, '..', 'bin', 'alertgate.js'), 'replay', '--rules', packDir, '--input', inputFile, '--summary', 'json',
    '--decisions', join(dataDir, 'decisions.ndjson'), '--incidents', join(dataDir, 'incidents.ndjson'), '--dead-letters', join(dataDir, 'dead-letters.ndjson'),
    ...extra,
  ]);

const naive = timed([join(import.meta.dirname, 'cli-json-rules-engine.mjs'), join(packDir, 'pack.json'), input, join(dataDir, 'naive-decisions.ndjson')]);
const startup = alertgate(empty);
const full = alertgate(input);
const compact = alertgate(input, '--explanations', 'compact');
for (const run of [full, compact]) {
  if (run.out.promoted !== naive.out.promoted) throw new Error(`promoted differ: alertgate ${run.out.promoted}, json-rules-engine ${naive.out.promoted}`);
}
const result = {
  bench: 'cli',
  rules: RULES,
  alerts: ALERTS,
  naiveSeconds: Number(naive.seconds.toFixed(2)),
  alertgateSeconds: Number(full.seconds.toFixed(3)),
  alertgateCompactSeconds: Number(compact.seconds.toFixed(3)),
  startupSeconds: Number(startup.seconds.toFixed(3)),
  ratio: Math.round(naive.seconds / full.seconds),
  compactRatio: Math.round(naive.seconds / compact.seconds),
  promoted: naive.out.promoted,
};
console.log(
  `cli (${RULES} unpinned rules, ${ALERTS} alerts, spawn to exit): json-rules-engine CLI ${result.naiveSeconds} s; ` +
    `alertgate replay ${result.alertgateSeconds} s (of which startup on an empty input ${result.startupSeconds} s), ratio ${result.ratio}x (target >= 100x); ` +
    `with --explanations compact ${result.alertgateCompactSeconds} s, ratio ${result.compactRatio}x (same ${result.promoted} promoted)`,
);
console.log(JSON.stringify(result));
