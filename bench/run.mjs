// npm run bench: the figures the README reports, each beside its baseline, in one run. bench/kafka.mjs
// and bench/kafka-clients.mjs use KAFKA_BROKERS or start the project's broker (scripts/kafka.sh: Java 17
// and Maven needed); kafka-clients reports a client that is not installed as not measured.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const benches = [
  ['eval.mjs', []],
  ['eval-quality.mjs', []],
  ['tune-pipeline.mjs', []],
  ['replay.mjs', []],
  ['cli.mjs', []],
  ['window-memory.mjs', ['--expose-gc']],
  ['obligations-round.mjs', []],
  ['kafka.mjs', []],
  ['kafka-clients.mjs', []],
  ['kafka-sharded.mjs', []],
];
for (const [script, flags] of benches) {
  console.log(`\n== ${script}`);
  const r = spawnSync(process.execPath, [...flags, join(import.meta.dirname, script)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
