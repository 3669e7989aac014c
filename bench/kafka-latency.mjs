// Alert → decision latency on Kafka (bench/kafka.mjs, bench/kafka-clients.mjs): offers generated alerts
// to a topic at BENCH_RATE alerts/s (10,000) in 10 ms ticks for BENCH_SECONDS (20) and reads the decisions
// topic; per alert, the time from its produce to its decision's arrival. Whatever decides (the worker, a
// client's decide loop) runs elsewhere. The first BENCH_WARMUP_SECONDS (5) are reported apart.
import { mulberry32, pick } from '../scripts/prng.mjs';

export const RATE = Number(process.env.BENCH_RATE ?? 10_000);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
/** How many alerts one measurement offers (and one more before it, the probe). */
export const OFFERED = RATE * SECONDS;

/**
 * Offers OFFERED alerts to `input` (a kafkajs client `kafka`), keyed and identified `<name>-<n>`, and
 * waits for each one's decision on `decisions`: percentiles after the warm-up, the warm-up's worst, and
 * the worst per second of sending.
 */
export async function offerAndMeasure({ kafka, input, decisions, name }) {
  const sentAt = new Map();
  /** Per alert sent after the warm-up: its latency; per second of sending: the worst. */
  const latencies = [];
  /**
   * The same alerts' time to their decision's produce (the decision record's timestamp, set by the
   * worker's producer when it sends): the part of the latency spent before the decision left the worker.
   */
  const toProduce = [];
  let epochOffset = 0;
  const worstBySecond = [];
  let received = 0;
  let started = 0;
  let probed;
  const probeDecided = new Promise((r) => (probed = r));
  const consumer = kafka.consumer({ groupId: `${name}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [decisions], fromBeginning: true });
  let joined;
  const readerJoined = new Promise((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  const allDecided = new Promise((resolve) => {
    consumer.run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          const key = m.key.toString();
          if (key === `${name}-probe`) probed();
          const sent = sentAt.get(key);
          // A decision read again (the reader's group rebalanced) counts once.
          if (sent === undefined) continue;
          sentAt.delete(key);
          received++;
          const second = Math.floor((sent - started) / 1000);
          worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, Math.round(now - sent));
          if (second >= WARMUP_SECONDS) {
            latencies.push(now - sent);
            toProduce.push(Number(m.timestamp) - epochOffset - sent);
          }
        }
        if (received >= OFFERED) resolve();
      },
    });
  });
  await readerJoined;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const random = mulberry32(11);
  const alert = (id) =>
    JSON.stringify({
      id,
      time: new Date().toISOString(),
      source: 'ids',
      name: pick(random, ['ET POLICY curl User-Agent', 'ET SCAN Nmap', 'sshd: authentication failed', 'ET EXPLOIT attempt']),
      severity: pick(random, ['low', 'low', 'medium', 'high']),
      category: pick(random, ['policy', 'recon', 'unauthorized-access']),
      entities: { src_ip: `198.51.100.${Math.floor(random() * 250)}`, host: `host-${Math.floor(random() * 200)}` },
    });
  // One alert through first: the clock starts once the decider is consuming (its group joined) and deciding.
  await producer.send({ topic: input, acks: -1, messages: [{ key: `${name}-probe`, value: alert(`${name}-probe`) }] });
  await probeDecided;
  const TICK_MS = 10;
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  started = performance.now();
  // Date.now() = performance.now() + epochOffset: Kafka timestamps are epoch milliseconds.
  epochOffset = Date.now() - performance.now();
  let sent = 0;
  for (let tick = 0; sent < OFFERED; tick++) {
    const wait = started + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const messages = [];
    for (let i = 0; i < perTick && sent < OFFERED; i++, sent++) {
      const id = `${name}-${sent}`;
      messages.push({ key: id, value: alert(id) });
    }
    const at = performance.now();
    for (const m of messages) sentAt.set(m.key, at);
    await producer.send({ topic: input, acks: -1, messages });
  }
  const offeredMs = performance.now() - started;
  await allDecided;
  await producer.disconnect();
  await consumer.disconnect();
  latencies.sort((a, b) => a - b);
  toProduce.sort((a, b) => a - b);
  // No alert sent after the warm-up (BENCH_SECONDS too short for the rate achieved): no percentiles.
  const quantile = (values) => (p) => (values.length === 0 ? NaN : Number(values[Math.min(values.length - 1, Math.floor(p * values.length))].toFixed(1)));
  const q = quantile(latencies);
  const qProduce = quantile(toProduce);
  const warmupMax = Math.max(...worstBySecond.slice(0, WARMUP_SECONDS));
  return {
    achieved: Math.round((OFFERED * 1000) / offeredMs),
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: q(1),
    toProduce: { p50: qProduce(0.5), p99: qProduce(0.99), max: qProduce(1) },
    warmupMax,
    worstBySecond,
  };
}
