import type { Command } from 'commander';
import { DRILL_FORMATS, renderDrillReport, type DrillFormat, type DrillReport } from '../drills/drill-report.js';
import { DrillLoadError } from '../drills/load.js';
import { drillFiles, drillRunId, runDrillFile } from '../drills/run-files.js';
import { EXIT } from './exit-codes.js';
import { openLedger } from './ledger-cli.js';
import { reporting, UserError } from './setup.js';

interface DrillOptions {
  format: string;
  keep?: string;
  db?: string;
  dbSchema?: string;
}

/** `alertgate drill <file…>`: tabletop drills on a simulated clock (docs/drills.md). */
export function registerDrill(program: Command, setExit: (code: number) => void): void {
  program
    .command('drill')
    .description(
      'Runs tabletop drills: each drill file\'s alerts through the real pipeline, cases, escalation and deadlines on a simulated clock, every receiver capturing instead of sending; prints a pass/fail report with the gaps it found. Exit 1 when a drill fails. docs/drills.md.',
    )
    .argument('<files...>', 'drill files (YAML), or directories of them')
    .option('--format <format>', DRILL_FORMATS.join(', '), 'text')
    .option('--keep <dir>', "keep each drill's own ledger and captured notifications under <dir>/<drill name>/")
    .option('--db <ledger>', 'record each run in this ledger (kind drill: never counted with its cases)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger')
    .action(reporting(setExit, (paths: string[], opts: DrillOptions) => drill(paths, opts, setExit)));
}

async function drill(paths: readonly string[], opts: DrillOptions, setExit: (code: number) => void): Promise<void> {
  if (!(DRILL_FORMATS as readonly string[]).includes(opts.format)) throw new UserError(`--format: expected ${DRILL_FORMATS.join(', ')}, got "${opts.format}"`);
  const files = await drillFiles(paths).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${err.path ?? paths.join(', ')}: ${err.code ?? err.message}`);
  });
  if (files.length === 0) throw new UserError(`no drill files in ${paths.join(', ')}`);
  const reports: DrillReport[] = [];
  for (const file of files) {
    const report = await runDrillFile(file, { keep: opts.keep }).catch((err: unknown) => {
      throw err instanceof DrillLoadError ? new UserError(`invalid drill ${file}:\n${err.message}`) : err;
    });
    reports.push(report);
    process.stdout.write(`${renderDrillReport(report, opts.format as DrillFormat)}${opts.format === 'json' ? '' : '\n'}`);
  }
  if (opts.db !== undefined) {
    const ledger = await openLedger(opts.db, opts.dbSchema);
    try {
      for (const report of reports) {
        const runAtMs = Date.now();
        await ledger.drills.record({ id: drillRunId(report, runAtMs), name: report.drill, file: report.file, runAtMs, passed: report.passed, failures: report.expectations.filter((e) => !e.passed).length, gaps: report.gaps.length, report });
      }
    } finally {
      await ledger.close();
    }
  }
  if (reports.some((r) => !r.passed)) setExit(EXIT.invalid);
}
