#!/usr/bin/env node
// The CLI's bundle (`npm run build` runs this after tsc): dist/cli/main.js and what it imports, zod
// included, as a few dozen files in dist/bundle/ that bin/alertgate.js runs. Node spends much of a
// short command's CPU resolving, reading and compiling modules, and `replay` loaded dist's ~190 and
// zod's ~250 files: the bundle cut its startup CPU by about a quarter (README, "Startup and the CLI
// path"). The bundle is split where main.js imports lazily (each command, the ledger, the config), so
// a command still loads only what it uses; a chunk holds only modules every importer of it needs.
// dist/ stays as tsc wrote it: the library's modules, and the bundle's input. main.js reads the
// version from ../../package.json, which dist/bundle/ reaches as dist/cli/ does: keep it two deep.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist', 'bundle');

/**
 * The packages bundled in: zod, the one whose file count costs (its ESM build is ~250 files). The
 * others stay imports of node_modules: the Kafka, HTTP, database and receiver clients load only in the
 * commands that use them (some with native parts, some reached through createRequire), and yaml is
 * shared with the createRequire in src/config/yaml-value.ts, which must get the same instance.
 */
const BUNDLED_PACKAGES = new Set(['zod']);

/** The package an import names (`@scope/name/sub` → `@scope/name`), or undefined for a relative or absolute path. */
function packageOf(id) {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return undefined;
  const parts = id.split('/');
  return id.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

rmSync(out, { recursive: true, force: true });
await build({
  input: {
    main: join(root, 'dist/cli/main.js'),
    // The Kafka producer's worker thread: run.js starts it by URL, as a file beside its own chunk.
    'producer-thread-entry': join(root, 'dist/sinks/kafka/producer-thread-entry.js'),
  },
  platform: 'node',
  external: (id) => id.startsWith('node:') || (packageOf(id) !== undefined && !BUNDLED_PACKAGES.has(packageOf(id))),
  output: {
    dir: out,
    format: 'esm',
    // test/cli/startup.test.ts reads the maps to tell which of dist's modules a command loaded.
    sourcemap: true,
  },
  logLevel: 'warn',
});
