/**
 * Run by worker-commit-backoff.test.ts in a process of its own (an event loop that spins would take
 * the test runner with it): a Kafka worker (dist/) deciding a backlog on the test broker; its kafkajs
 * consumer is disconnected as kafkajs' own crash handler does before it restarts the consumer, so
 * every commit in between fails at once ("Consumer group was not initialized"); then started again.
 * Prints one JSON line with what the worker did meanwhile. `then`: `restart` starts the consumer
 * again and stops once the backlog is decided; `stop` stops the worker while its commits still fail.
 *
 *   node commit-while-consumer-down.mjs <repo> <brokers> <input topic> <name prefix> <down ms> <restart|stop>
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';

const [repo, brokers, input, prefix, downMs, then] = process.argv.slice(2);
const { KafkaWorker } = await import(`${repo}/dist/worker/kafka-worker.js`);
const { KafkaConfig } = await import(`${repo}/dist/config/kafka.js`);
const { prepare } = await import(`${repo}/dist/cli/setup.js`);

const log = pino({ level: 'warn' }, pino.destination(2));
const kafka = KafkaConfig.parse({
  brokers: brokers.split(','),
  groupId: `${prefix}-group`,
  topics: { input: [input], decisions: `${prefix}-decisions`, incidents: `${prefix}-incidents`, deadLetters: `${prefix}-dead-letters` },
  createTopics: { enabled: true },
  consumer: { maxChunkMessages: 50, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 },
});
const { ruleset, normalize } = await prepare({ rules: `${repo}/rules`, format: 'auto' });
const worker = await KafkaWorker.start({ kafka, ruleset, normalize, maxLineBytes: 1 << 20, maxAlertIdsPerIncident: 100, maxOpenIncidents: 10_000, log });

const until = async (done, what, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms`);
    await sleep(10);
  }
};
await until(() => worker.decider.stats.commits >= 5, 'no commits');

const consumer = worker.decider.options.consumer;
await consumer.disconnect();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let ticks = 0;
const ticking = setInterval(() => ticks++, 100);
await sleep(Number(downMs));
const down = { stats: worker.stats(), ready: worker.ready(), maxDelayMs: delay.max / 1e6, ticks };
clearInterval(ticking);
delay.disable();

if (then === 'restart') {
  await worker.runner.start();
  await until(() => worker.ready() && worker.decider.lag().every((p) => p.lag === 0), 'the backlog was not decided');
}
const after = worker.stats();
const stopping = performance.now();
await worker.stop();
const stopMs = performance.now() - stopping;
process.stdout.write(`${JSON.stringify({ down, after, stopMs })}\n`);
log.flush();
process.exit(0);
