// bench/replay: end-to-end `alertgate replay` of 1M generated alerts (parse → normalize → decide → write
// NDJSON) on one core, beside a pass-through baseline (parse → stringify → write, no decisions) run on the
// same file, the same replay again recording into a SQLite ledger (--db), and once more with compact
// explanations (--explanations compact). Each runs in its own child process so peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateAlerts } from './generated-alerts.mjs';

const ALERTS = Number(process.env.BENCH_REPLAY_ALERTS ?? 1_000_000);
const dataDir = join(import.meta.dirname, '.data');
const input = join(dataDir, `replay-${ALERTS}.ndjson`);
mkdirSync(join(dataDir, 'out'), { recursive: true });

function child(script, args) {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (!existsSync(input)) {
  console.error(`generating ${ALERTS} alerts into ${input} ...`);
  await generateAlerts(input, ALERTS);
}
const bytes = statSync(input).size;
const baseline = child('replay-passthrough.mjs', [input, join(dataDir, 'out', 'passthrough.ndjson')]);
const replayArgs = [
  'replay', '--rules', join(import.meta.dirname, '..', 'rules'), '--input', input, '--summary', 'json',
  '--decisions', join(dataDir, 'out', 'decisions.ndjson'),
  '--incidents', join(dataDir, 'out', 'incidents.ndjson'),
  '--dead-letters', join(dataDir, 'out', 'dead-letters.ndjson'),
];
const alertgate = child('replay-child.mjs', replayArgs);
const ledgerFile = join(dataDir, 'out', 'ledger.sqlite');
for (const suffix of ['', '-wal', '-shm']) rmSync(ledgerFile + suffix, { force: true });
const withLedger = child('replay-child.mjs', [...replayArgs, '--db', ledgerFile]);
const fullDecisionBytes = statSync(join(dataDir, 'out', 'decisions.ndjson')).size;
const compact = child('replay-child.mjs', [...replayArgs, '--explanations', 'compact']);
const compactDecisionBytes = statSync(join(dataDir, 'out', 'decisions.ndjson')).size;
const result = {
  bench: 'replay',
  alerts: alertgate.summary.alerts,
  inputMB: Math.round(bytes / 1e6),
  alertgateAlertsPerSec: Math.round((alertgate.summary.alerts * 1000) / alertgate.ms),
  alertgatePeakRssMB: Math.round(alertgate.maxRssKB / 1024),
  passthroughAlertsPerSec: Math.round((baseline.lines * 1000) / baseline.ms),
  passthroughPeakRssMB: Math.round(baseline.maxRssKB / 1024),
  promoted: alertgate.summary.promoted,
  suppressed: alertgate.summary.suppressed,
  passed: alertgate.summary.passed,
  incidents: alertgate.summary.incidents,
  withLedgerAlertsPerSec: Math.round((withLedger.summary.alerts * 1000) / withLedger.ms),
  withLedgerPeakRssMB: Math.round(withLedger.maxRssKB / 1024),
  compactAlertsPerSec: Math.round((compact.summary.alerts * 1000) / compact.ms),
  fullDecisionsMB: Math.round(fullDecisionBytes / 1e6),
  compactDecisionsMB: Math.round(compactDecisionBytes / 1e6),
};
result.ratioToPassthrough = Number((result.alertgateAlertsPerSec / result.passthroughAlertsPerSec).toFixed(2));
result.ledgerRatio = Number((result.withLedgerAlertsPerSec / result.alertgateAlertsPerSec).toFixed(2));
result.compactRatio = Number((result.compactAlertsPerSec / result.alertgateAlertsPerSec).toFixed(2));
console.log(
  `replay (${result.alerts} alerts, ${result.inputMB} MB): alertgate ${result.alertgateAlertsPerSec} alerts/s, peak RSS ${result.alertgatePeakRssMB} MB; ` +
    `pass-through (parse+stringify+write) ${result.passthroughAlertsPerSec} lines/s; alertgate/pass-through ${result.ratioToPassthrough}; ` +
    `with --db (SQLite ledger) ${result.withLedgerAlertsPerSec} alerts/s, ${result.ledgerRatio} of without; ` +
    `with --explanations compact ${result.compactAlertsPerSec} alerts/s, ${result.compactRatio} of full, decisions ${result.compactDecisionsMB} MB against ${result.fullDecisionsMB} MB`,
);
console.log(JSON.stringify(result));
