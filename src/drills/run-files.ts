import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drillReportOf } from './check.js';
import type { DrillReport } from './drill-report.js';
import { loadDrill } from './load.js';
import { runDrill } from './simulation.js';

export interface DrillFilesOptions {
  /** Keep each drill's own ledger and capture file under `<keep>/<drill name>/` (default: a temporary directory, removed). */
  readonly keep?: string | undefined;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The drill files given: files as they are, a directory's *.yaml / *.yml files in name order. */
export async function drillFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      files.push(...(await readdir(path)).filter((f) => /\.ya?ml$/i.test(f)).sort().map((f) => join(path, f)));
    } else files.push(path);
  }
  return files;
}

/** Loads and runs one drill file; its report. */
export async function runDrillFile(file: string, options: DrillFilesOptions = {}): Promise<DrillReport> {
  const setup = await loadDrill(file);
  const dir = options.keep !== undefined ? join(options.keep, setup.drill.name) : await mkdtemp(join(tmpdir(), 'alertgate-drill-'));
  if (options.keep !== undefined) {
    // A kept drill starts from nothing: its ledger and capture of an earlier run are replaced.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  try {
    return drillReportOf(setup, await runDrill(setup, { dir, ...(options.sleep ? { sleep: options.sleep } : {}) }));
  } finally {
    if (options.keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** The id a drill run is recorded under: its name and when it ran. */
export function drillRunId(report: DrillReport, runAtMs: number): string {
  return `drill-${createHash('sha256').update(JSON.stringify([report.drill, runAtMs])).digest('hex').slice(0, 24)}`;
}
