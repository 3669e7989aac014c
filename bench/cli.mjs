// bench/cli: `alertgate replay` end to end as a user runs it (a new process: start, load and compile
// the rules, read, parse, normalize, decide, write decisions and incidents) beside a naive CLI on
// json-rules-engine (bench/cli-json-rules-engine.mjs: read, parse, run, write), on the same input and
// the same 50-rule pack, unpinned (every rule runs on every alert, as in bench/eval's unpinned pack).
// Each is timed from spawn to exit; alertgate's time is the median of 3 runs, and its startup alone
// (an empty input) the median of 5. Input sizes: BENCH_CLI_ALERTS (comma-separated).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeAlerts, rulePack } from './rule-pack.mjs';

const RULES = 50;
const SIZES = (process.env.BENCH_CLI_ALERTS ?? '20000,100000').split(',').map(Number);
const dataDir = join(import.meta.dirname, '.data', 'cli');
const packDir = join(dataDir, 'rules');
mkdirSync(packDir, { recursive: true });
writeFileSync(join(packDir, 'pack.json'), JSON.stringify(rulePack(false, RULES)));

/** Runs `node <args>` to its exit: wall seconds and its last stdout line, parsed. */
function timed(args) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { seconds, out: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

function median(runs, args) {
  const all = Array.from({ length: runs }, () => timed(args)).sort((a, b) => a.seconds - b.seconds);
  return all[runs >> 1];
}

const replayArgs = (input) => [
  join(import.meta.dirname, '..', 'bin', 'alertgate.js'), 'replay', '--rules', packDir, '--input', input, '--summary', 'json',
  '--decisions', join(dataDir, 'decisions.ndjson'), '--incidents', join(dataDir, 'incidents.ndjson'), '--dead-letters', join(dataDir, 'dead-letters.ndjson'),
];

const empty = join(dataDir, 'empty.ndjson');
writeFileSync(empty, '');
const startupSeconds = median(5, replayArgs(empty)).seconds;
const alerts = makeAlerts(Math.max(...SIZES)).map(({ alert }) => JSON.stringify(alert) + '\n');
const results = [];
for (const size of SIZES) {
  const input = join(dataDir, `alerts-${size}.ndjson`);
  writeFileSync(input, alerts.slice(0, size).join(''));
  const naive = timed([join(import.meta.dirname, 'cli-json-rules-engine.mjs'), join(packDir, 'pack.json'), input, join(dataDir, 'naive-decisions.ndjson')]);
  const alertgate = median(3, replayArgs(input));
  if (alertgate.out.promoted !== naive.out.promoted) throw new Error(`promoted differ: alertgate ${alertgate.out.promoted}, json-rules-engine ${naive.out.promoted}`);
  const result = {
    bench: 'cli',
    rules: RULES,
    alerts: size,
    jsonRulesEngineSeconds: Number(naive.seconds.toFixed(2)),
    alertgateSeconds: Number(alertgate.seconds.toFixed(3)),
    alertgateStartupSeconds: Number(startupSeconds.toFixed(3)),
    ratio: Math.round(naive.seconds / alertgate.seconds),
    promoted: naive.out.promoted,
  };
  results.push(result);
  console.log(
    `cli (${RULES} unpinned rules, ${size} alerts, spawn to exit): json-rules-engine CLI ${result.jsonRulesEngineSeconds} s, ` +
      `alertgate replay ${result.alertgateSeconds} s (startup on an empty input ${result.alertgateStartupSeconds} s): ` +
      `ratio ${result.ratio}x, target >= 100x ${result.ratio >= 100 ? 'met' : 'NOT met'} (same ${result.promoted} promoted)`,
  );
}
for (const r of results) console.log(JSON.stringify(r));
