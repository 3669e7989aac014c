// The benches' broker: KAFKA_BROKERS, or the project's broker (scripts/kafka.sh up, with the JVM's
// optimizing compiler on: the tests' broker runs C1 only, for a fast start; a C1-only broker spends
// more of the cores on every request, which skews a throughput comparison).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const kafkaSh = join(import.meta.dirname, '..', 'scripts', 'kafka.sh');

/** The brokers, and `stop()`: stops the broker if this call started it. */
export function broker() {
  const given = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (given.length > 0) return { brokers: given, stop: () => {} };
  const running = spawnSync('bash', [kafkaSh, 'env'], { encoding: 'utf8' });
  const startedNow = running.status !== 0;
  const jvm = { ALERTGATE_KAFKA_JVM_OPTS: '-XX:+UseSerialGC -XX:-UsePerfData', ...process.env };
  const up = startedNow ? spawnSync('bash', [kafkaSh, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: jvm }) : running;
  const m = /KAFKA_BROKERS=(\S+)/.exec(up.stdout ?? '');
  if (!m) throw new Error('bench: no broker (set KAFKA_BROKERS, or install Java 17 and Maven for scripts/kafka.sh)');
  return { brokers: m[1].split(','), stop: () => startedNow && spawnSync('bash', [kafkaSh, 'down'], { stdio: 'inherit' }) };
}
