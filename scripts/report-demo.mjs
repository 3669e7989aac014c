#!/usr/bin/env node
// A ledger worth reporting on, and the README's picture of the HTML report, through the CLI only:
//
//   node scripts/report-demo.mjs [--out out/report-demo] [--screenshot docs/report-example.png]
//
//  1. the labelled fortnight of scripts/tuning-fixture.mjs: the training week replayed into a SQLite
//     ledger with the starter rules, 4 of every 5 incidents given a verdict from the ground truth
//  2. alertgate tune --apply, recorded as applied at the end of that week (2026-11-07T00:00:00Z)
//  3. the held-out week replayed into the same ledger with the tuned rules, and its verdicts
//  4. alertgate report over both weeks in every format: report.txt, .md, .html, .json in --out
//  5. with --screenshot: headless chromium's screenshot of the top of report.html (1200 × 1000)
//
// Deterministic: the same build gives the same ledger numbers and report bytes. Needs a build.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runChromium } from './chromium.mjs';
import { alertgate, parseArgs, readNdjson, ROOT } from './demo-kit.mjs';
import { simulatedVerdicts, tuningWeek } from './tuning-fixture.mjs';

const REPORT_PERIOD = ['--since', '2026-11-02T00:00:00Z', '--now', '2026-11-13T23:59:59.999Z'];
const APPLIED_AT = '2026-11-07T00:00:00.000Z';

/** Replays one week into the ledger and gives its incidents their simulated verdicts. */
function recordWeek(name, rules, db, out) {
  const week = tuningWeek(name);
  writeFileSync(join(out, `${name}.ndjson`), `${week.lines.join('\n')}\n`);
  const incidents = join(out, `${name}-incidents.ndjson`);
  alertgate('replay', '--rules', rules, '--input', join(out, `${name}.ndjson`), '--incidents', incidents, '--summary', 'json', '--db', db);
  const verdicts = join(out, `${name}-feedback.ndjson`);
  writeFileSync(verdicts, simulatedVerdicts(readNdjson(incidents), week.truth).map((f) => `${JSON.stringify(f)}\n`).join(''));
  alertgate('feedback', 'import', verdicts, '--db', db);
}

function main() {
  const opts = parseArgs({ out: join(ROOT, 'out', 'report-demo'), screenshot: undefined });
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const rules = join(opts.out, 'rules');
  // Without the starter rules' scenario tests, which pin the thresholds tune --apply moves (docs/tuning.md).
  cpSync(join(ROOT, 'rules'), rules, { recursive: true, filter: (src) => basename(src) !== 'tests' });
  const db = join(opts.out, 'ledger.sqlite');

  recordWeek('train', rules, db, opts.out);
  alertgate('tune', '--rules', rules, '--db', db, '--apply', '--at', APPLIED_AT, '--author', 'report-demo', '--changelog', join(opts.out, 'CHANGELOG.md'));
  recordWeek('holdout', rules, db, opts.out);

  for (const format of ['text', 'md', 'html', 'json']) {
    alertgate('report', '--db', db, ...REPORT_PERIOD, '--format', format, '--out', join(opts.out, `report.${format === 'text' ? 'txt' : format}`));
  }
  if (opts.screenshot) runChromium(join(opts.out, 'report.html'), [`--screenshot=${opts.screenshot}`], { width: 1200, height: 1000 });
  process.stdout.write(`ledger ${db}; reports ${join(opts.out, 'report.{txt,md,html,json}')}${opts.screenshot ? `; screenshot ${opts.screenshot}` : ''}\n`);
}

main();
