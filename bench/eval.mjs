// bench/eval: alertgate's compiled evaluation beside naive json-rules-engine (one Engine, run() per
// alert) on the same rule pack and the same alerts, in one process. Prints alerts/s for both and the ratio.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRulesOrThrow } from '../dist/rules/load.js';
import { Evaluator } from '../dist/decide/evaluator.js';
import { makeAlerts, naiveEngine, rulePack } from './rule-pack.mjs';

const RULES = Number(process.env.BENCH_RULES ?? 60);
const SCALING_RULES = [50, 200, 800];
const ALERTS = Number(process.env.BENCH_ALERTS ?? 20_000);

async function runJsonRulesEngine(rules, alerts) {
  const engine = naiveEngine(rules);
  let fired = 0;
  const started = performance.now();
  for (const { alert } of alerts) {
    const { events } = await engine.run({ ...alert, aggregates: {}, params: {} });
    fired += events.length;
  }
  return { seconds: (performance.now() - started) / 1000, fired };
}

function runAlertgate(ruleset, alerts, rounds) {
  const evaluator = new Evaluator(ruleset);
  let fired = 0;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const a of alerts) {
      const v = evaluator.evaluate(a);
      if (v.kind === 'rule') fired += 1 + v.alsoFired.length;
    }
  }
  return { seconds: (performance.now() - started) / 1000, fired: fired / rounds };
}

async function loadPack(rules) {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-'));
  writeFileSync(join(dir, 'pack.json'), JSON.stringify(rules));
  return loadRulesOrThrow(dir);
}

const alerts = makeAlerts(ALERTS);
const results = [];
for (const pinned of [true, false]) {
  const rules = rulePack(pinned, RULES);
  const ruleset = await loadPack(rules);
  const jre = await runJsonRulesEngine(rules, alerts);
  runAlertgate(ruleset, alerts, 2); // warm-up
  const rounds = 20;
  const ag = runAlertgate(ruleset, alerts, rounds);
  if (ag.fired !== jre.fired) throw new Error(`rules fired differ: alertgate ${ag.fired}, json-rules-engine ${jre.fired}`);
  const jreRate = ALERTS / jre.seconds;
  const agRate = (ALERTS * rounds) / ag.seconds;
  const result = {
    bench: 'eval',
    pack: pinned ? 'pinned' : 'unpinned',
    rules: RULES,
    alerts: ALERTS,
    jsonRulesEngineAlertsPerSec: Math.round(jreRate),
    alertgateAlertsPerSec: Math.round(agRate),
    ratio: Number((agRate / jreRate).toFixed(1)),
    firedPerRun: jre.fired,
  };
  results.push(result);
  console.log(
    `eval (${result.pack}, ${RULES} rules x 3 conditions, ${ALERTS} alerts): json-rules-engine ${result.jsonRulesEngineAlertsPerSec} alerts/s, ` +
      `alertgate ${result.alertgateAlertsPerSec} alerts/s, ratio ${result.ratio}x (same ${jre.fired} rule firings)`,
  );
}

// Rule indexing: with pinned rules, cost should grow far slower than the rule count.
const scaling = { bench: 'eval-scaling', alerts: ALERTS, alertsPerSec: {} };
for (const count of SCALING_RULES) {
  for (const pinned of [true, false]) {
    const ruleset = await loadPack(rulePack(pinned, count));
    runAlertgate(ruleset, alerts, 1);
    const run = runAlertgate(ruleset, alerts, 5);
    scaling.alertsPerSec[`${count}-${pinned ? 'pinned' : 'unpinned'}`] = Math.round((ALERTS * 5) / run.seconds);
  }
}
console.log(
  `eval scaling (alertgate alerts/s by rule count): ` +
    SCALING_RULES.map((n) => `${n} rules: ${scaling.alertsPerSec[`${n}-pinned`]} pinned, ${scaling.alertsPerSec[`${n}-unpinned`]} unpinned`).join('; '),
);
for (const r of [...results, scaling]) console.log(JSON.stringify(r));
