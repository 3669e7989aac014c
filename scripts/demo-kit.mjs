// What the demo scripts (scripts/tuning-demo.mjs, scripts/report-demo.mjs) share: their command
// line, the built CLI run as a child process, and NDJSON read back.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'alertgate.js');

/**
 * `--name value` options over `defaults` (camelCase keys: `--db-schema` is `dbSchema`); a key whose
 * default is `false` is a flag. Anything else is an error.
 */
export function parseArgs(defaults, argv = process.argv.slice(2)) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!argv[i].startsWith('--') || !Object.hasOwn(defaults, key)) throw new Error(`unknown argument ${argv[i]}`);
    out[key] = defaults[key] === false ? true : argv[++i];
  }
  return out;
}

/** Runs `alertgate …` (the build in dist/); its stdout, or an error with its stderr. */
export function alertgate(...argv) {
  const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`alertgate ${argv.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export const readNdjson = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
