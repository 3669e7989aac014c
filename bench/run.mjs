// npm run bench: the three figures the README reports, each beside its baseline, in one run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const benches = [
  ['eval.mjs', []],
  ['replay.mjs', []],
  ['window-memory.mjs', ['--expose-gc']],
];
for (const [script, flags] of benches) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [...flags, join(import.meta.dirname, script)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
