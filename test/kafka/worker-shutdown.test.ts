import { afterEach, expect, it } from 'vitest';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';
import { cleanups, produceCli, readTopic, runCleanups, SOC_WEEK, startWorker, uniqueOutputs, writeWorkerConfig, type TopicRecord } from './worker-harness.js';

afterEach(runCleanups);

const PARTITIONS = 3;
const SHUTDOWN_TIMEOUT_MS = 10_000;

describeKafka('alertgate run on Kafka, graceful shutdown', () => {
  it('on SIGTERM mid-stream exits 0 in time, committed exactly what it produced outputs for; a second worker in the group does the rest: no alert lost, none twice', async () => {
    const input = await createTopic(uniqueTopic('shutdown-alerts'), PARTITIONS);
    // Small produce requests make small record batches, so the worker's fetches (4 KiB per
    // partition) are small too: hundreds of batches, and SIGTERM lands in the middle of them.
    await produceCli(['--input', SOC_WEEK, '--topic', input, '--batch-size', '20']);
    const inputReader = await readTopic(input);
    const messages = await inputReader.toEnd(20_000);
    // Every soc-week alert has an id (its key); the lines without one are the invalid ones.
    const outputKey = (m: TopicRecord) => m.key ?? `${input}-${m.partition}-${m.offset}`;
    const valid = messages.filter((m) => m.key !== undefined);

    const groupId = uniqueGroup('shutdown');
    const outputs = uniqueOutputs('shutdown');
    const config = writeWorkerConfig({
      input: [input],
      outputs,
      groupId,
      consumer: { maxBytesPerPartition: 4096 },
      shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
    });

    const first = startWorker(config);
    await first.joined();
    const decisions = await readTopic(outputs.decisions);
    const deadLetters = await readTopic(outputs.deadLetters);
    await decisions.atLeast(1_000, 30_000);
    const stopped = await first.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(first.logs.some((l) => l.msg === 'stopped')).toBe(true);

    const admin = kafkaClient().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    const next = new Map(committed!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    const covered = messages.filter((m) => BigInt(m.offset) < (next.get(m.partition) ?? 0n));
    expect(covered.length).toBeGreaterThan(0);
    expect(covered.length).toBeLessThan(messages.length); // really mid-stream

    // What the first worker produced is exactly what its commits cover: nothing committed without
    // its outputs, no outputs beyond the commits.
    const producedFirst = [...(await decisions.toEnd(20_000)), ...(await deadLetters.toEnd(20_000))].map((r) => r.key);
    expect(new Set(producedFirst)).toEqual(new Set(covered.map(outputKey)));
    expect(producedFirst).toHaveLength(covered.length);

    // The second worker starts where the first committed.
    const second = startWorker(config);
    await second.joined();
    await decisions.atLeast(valid.length, 40_000);
    await deadLetters.atLeast(messages.length - valid.length, 20_000);
    const decided = decisions.records.map((r) => r.key);
    expect(new Set(decided)).toEqual(new Set(valid.map(outputKey)));
    expect(decided).toHaveLength(valid.length); // no alert decided twice
    expect(new Set(deadLetters.records.map((r) => r.key))).toEqual(new Set(messages.filter((m) => m.key === undefined).map(outputKey)));
    expect((await second.stop('SIGTERM')).code).toBe(0);
    console.log(
      `[worker-shutdown] first worker: ${covered.length} of ${messages.length} messages committed, exit in ${Math.round(stopped.ms)} ms; second worker did the rest`,
    );
  }, 60_000);
});
