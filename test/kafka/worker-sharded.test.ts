import { afterEach, expect, it } from 'vitest';
import { describeKafka } from './broker.js';
import { settled, setUp, shardsOf, SHARDS } from './sharded-harness.js';
import { lastByKey, readTopic, runCleanups, sameEntries, startWorker } from './worker-harness.js';

afterEach(runCleanups);

describeKafka('alertgate run on Kafka, sharded deciders (kafka.shardBy)', () => {
  it('3 workers × 12 shards decide every tenant exactly as one pipeline over the whole stream: decisions and incidents', async () => {
    const { outputs, config, expected, expectedIncidents, produce, lines } = await setUp('sharded');
    const workers = [startWorker(config), startWorker(config), startWorker(config)];
    await settled(workers);
    await produce(0, lines);
    const decisions = await readTopic(outputs.decisions);
    const incidents = await readTopic(outputs.incidents);
    await decisions.distinctKeys(expected.decisions.size, 40_000);
    await incidents.until((r) => sameEntries(lastByKey(r), expectedIncidents), 20_000, () => 'incidents differ from one pipeline');

    expect(lastByKey(decisions.records)).toEqual(expected.decisions);
    expect(lastByKey(incidents.records)).toEqual(expectedIncidents);
    // The group had settled before the input came: no shard moved, every decision once.
    expect(decisions.records).toHaveLength(expected.decisions.size);
    for (const w of workers) expect((await w.stop('SIGTERM')).code).toBe(0);
    console.log(`[worker-sharded] shards taken over per worker (in order): ${workers.map((w) => shardsOf(w).join(',')).join(' | ')}`);
    expect(new Set(workers.flatMap((w) => shardsOf(w)))).toEqual(new Set(Array.from({ length: SHARDS }, (_, i) => i)));
  }, 60_000);
});
