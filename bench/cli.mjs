// bench/cli: `alertgate replay` end to end as a user runs it (a new process: start, load and compile
// the rules, read, parse, normalize, decide, write decisions and incidents) beside a naive CLI on
// json-rules-engine (bench/cli-json-rules-engine.mjs: read, parse, run, write), on the same input and
// the same 50-rule pack, unpinned (every rule runs on every alert, as bench/eval's unpinned pack).
// Each is timed from spawn to exit (wall) and by its process's CPU time (startup included), which
// holds up better on a shared machine; alertgate's figures are the median of 3 runs, its startup alone
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

/** Runs `node <args>` to its exit: wall seconds, and its last stdout line parsed (with cpuMs). */
function timed(args) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return { seconds, cpuSeconds: out.cpuMs / 1000, out };
}

/** The median run by wall time, and the median CPU time (of possibly another run). */
function median(runs, args) {
  const all = Array.from({ length: runs }, () => timed(args));
  const mid = (values) => values.sort((a, b) => a - b)[runs >> 1];
  return { seconds: mid(all.map((r) => r.seconds)), cpuSeconds: mid(all.map((r) => r.cpuSeconds)), out: all[0].out };
}

const replay = (input) =>
  median(input.endsWith('empty.ndjson') ? 5 : 3, [
    join(import.meta.dirname, 'replay-child.mjs'), 'replay', '--rules', packDir, '--input', input, '--summary', 'json',
    '--decisions', join(dataDir, 'decisions.ndjson'), '--incidents', join(dataDir, 'incidents.ndjson'), '--dead-letters', join(dataDir, 'dead-letters.ndjson'),
  ]);

const empty = join(dataDir, 'empty.ndjson');
writeFileSync(empty, '');
const startup = replay(empty);
const alerts = makeAlerts(Math.max(...SIZES)).map(({ alert }) => JSON.stringify(alert) + '\n');
const round = (x, digits) => Number(x.toFixed(digits));
const results = [];
for (const size of SIZES) {
  const input = join(dataDir, `alerts-${size}.ndjson`);
  writeFileSync(input, alerts.slice(0, size).join(''));
  const naive = timed([join(import.meta.dirname, 'cli-json-rules-engine.mjs'), join(packDir, 'pack.json'), input, join(dataDir, 'naive-decisions.ndjson')]);
  const alertgate = replay(input);
  if (alertgate.out.summary.promoted !== naive.out.promoted) throw new Error(`promoted differ: alertgate ${alertgate.out.summary.promoted}, json-rules-engine ${naive.out.promoted}`);
  const result = {
    bench: 'cli',
    rules: RULES,
    alerts: size,
    jsonRulesEngineSeconds: round(naive.seconds, 2),
    jsonRulesEngineCpuSeconds: round(naive.cpuSeconds, 2),
    alertgateSeconds: round(alertgate.seconds, 3),
    alertgateCpuSeconds: round(alertgate.cpuSeconds, 3),
    alertgateStartupSeconds: round(startup.seconds, 3),
    alertgateStartupCpuSeconds: round(startup.cpuSeconds, 3),
    ratio: Math.round(naive.seconds / alertgate.seconds),
    cpuRatio: Math.round(naive.cpuSeconds / alertgate.cpuSeconds),
    promoted: naive.out.promoted,
  };
  results.push(result);
  console.log(
    `cli (${RULES} unpinned rules, ${size} alerts, spawn to exit): json-rules-engine CLI ${result.jsonRulesEngineSeconds} s (CPU ${result.jsonRulesEngineCpuSeconds} s), ` +
      `alertgate replay ${result.alertgateSeconds} s (CPU ${result.alertgateCpuSeconds} s; startup on an empty input ${result.alertgateStartupSeconds} s, CPU ${result.alertgateStartupCpuSeconds} s): ` +
      `ratio ${result.ratio}x wall, ${result.cpuRatio}x CPU; target >= 100x ${Math.min(result.ratio, result.cpuRatio) >= 100 ? 'met' : 'NOT met'} (same ${result.promoted} promoted)`,
  );
}
for (const r of results) console.log(JSON.stringify(r));
