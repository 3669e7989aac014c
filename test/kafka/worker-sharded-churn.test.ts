import { afterEach, expect, it } from 'vitest';
import { describeKafka } from './broker.js';
import { settled, setUp, shardsOf } from './sharded-harness.js';
import { conflictsOf, lastByKey, readTopic, runCleanups, sameEntries, startWorker, type TopicRecord } from './worker-harness.js';

afterEach(runCleanups);

describeKafka('alertgate run on Kafka, sharded deciders (kafka.shardBy): the group changes mid-stream', () => {
  it('a decider added mid-stream and another killed (-9) mid-stream: nothing lost, nothing decided differently, after the last record per key', async () => {
    // Small fetches, chunks and checkpoints: the stream is still being decided when the group changes.
    const { outputs, config, expected, expectedIncidents, produce, lines } = await setUp('sharded-churn', { maxChunkMessages: 50, maxBytesPerPartition: 8 * 1024 }, { checkpointIntervalMs: 100 });
    const a = startWorker(config);
    const b = startWorker(config);
    await settled([a, b]);
    const decisions = await readTopic(outputs.decisions);
    const incidents = await readTopic(outputs.incidents);
    const third = Math.floor(lines / 3);
    await produce(0, third);
    await decisions.distinctKeys(200, 30_000);

    // A third worker joins mid-stream: the group moves shards to it, which restore their state from the state topic.
    const c = startWorker(config);
    await settled([c]);
    await produce(third, lines);
    const decidedBefore = new Set(decisions.records.map((r) => r.key)).size;
    await decisions.distinctKeys(decidedBefore + 300, 30_000);

    // The worker with the most shards dies without a word: its shards go to the others after its session.
    const victim = shardsOf(a).length >= shardsOf(b).length ? a : b;
    const survivor = victim === a ? b : a;
    await victim.stop('SIGKILL');
    const beforeKill = new Set(decisions.records.map((r) => r.key)).size;
    expect(beforeKill).toBeLessThan(expected.decisions.size); // really mid-stream

    await decisions.distinctKeys(expected.decisions.size, 40_000);
    await incidents.until((r) => sameEntries(lastByKey(r), expectedIncidents), 20_000, () => 'incidents differ from one pipeline');
    expect(lastByKey(decisions.records)).toEqual(expected.decisions);
    expect(lastByKey(incidents.records)).toEqual(expectedIncidents);
    expect(conflictsOf(decisions.records, (r) => r.key!)).toEqual([]);
    const revision = (r: TopicRecord) => {
      const { alertCount, status } = JSON.parse(r.value!) as { alertCount: number; status: string };
      return `${r.key}/${alertCount}/${status}`;
    };
    expect(conflictsOf(incidents.records, revision)).toEqual([]);
    // The killed worker's shards were restored elsewhere from their checkpoints.
    const restored = [survivor, c].flatMap((w) => w.logs.filter((l) => l.msg === 'restored the state from the state topic'));
    expect(restored.some((l) => Number(l.checkpoint) > 0)).toBe(true);
    for (const w of [survivor, c]) expect((await w.stop('SIGTERM')).code).toBe(0);
    console.log(
      `[worker-sharded churn] killed a worker deciding ${shardsOf(victim).length} shards after ${beforeKill} of ${expected.decisions.size} decisions; ` +
        `${decisions.records.length - expected.decisions.size} decisions sent twice, all identical; ${restored.length} shard restores`,
    );
  }, 90_000);
});
