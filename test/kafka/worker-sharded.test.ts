import { afterEach, expect, it } from 'vitest';
import { createTopic, describeKafka, uniqueGroup, uniqueTopic } from './broker.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { SHARD_BY, tenantFile, tenantLines, tenantRules } from './tenant-stream.js';
import {
  incidentsById,
  lastByKey,
  produceCli,
  readTopic,
  replay,
  runCleanups,
  sameEntries,
  startWorker,
  uniqueOutputs,
  writeWorkerConfig,
  type TopicRecord,
  type WorkerProcess,
} from './worker-harness.js';

afterEach(runCleanups);

const SHARDS = 12;

/**
 * A multi-tenant stream (soc-week with tenants, rules grouping by tenant) on one input partition, so
 * every shard's records are in the stream's order; cases merge nothing across incidents (a case joins
 * incidents by host, user or address, which tenants can share and shards cannot).
 */
async function setUp(name: string, consumer: Record<string, unknown> = {}, state?: Record<string, unknown>) {
  const input = await createTopic(uniqueTopic(`${name}-alerts`), 1);
  const file = tenantFile();
  const rules = tenantRules();
  const outputs = uniqueOutputs(name);
  const groupId = uniqueGroup(name);
  const config = writeWorkerConfig({
    input: [input],
    outputs,
    groupId,
    rules,
    consumer,
    ...(state ? { state } : {}),
    extra: { cases: { mergeBy: [] } },
    kafka: { shardBy: SHARD_BY, shardPartitions: SHARDS },
  });
  // One pipeline over the whole stream, with the same rules and cases.
  const expected = replay(file, rules, ['--config', config]);
  // The stream in parts (consecutive lines), produced as the test goes.
  const produce = async (from: number, to: number) => {
    const part = join(tempDir('alertgate-part-'), 'part.ndjson');
    writeFileSync(part, `${tenantLines().slice(from, to).join('\n')}\n`);
    await produceCli(['--input', part, '--topic', input]);
  };
  return { input, outputs, groupId, config, expected, expectedIncidents: incidentsById(expected.incidents), produce, lines: tenantLines().length };
}

/** Resolves once every worker decides at least one shard: the group has settled with all of them. */
async function settled(workers: readonly WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.waitForLog((l) => l.msg === 'took over the input partitions', 30_000)));
}

/** The shards a worker took over (each decider logs it with its shard). */
function shardsOf(worker: WorkerProcess): number[] {
  return worker.logs.filter((l) => l.msg === 'took over the input partitions').map((l) => Number(l.shard));
}

/** Records under one key must be the same record: a redelivery repeats, it never contradicts. */
function conflictsOf(records: readonly TopicRecord[], identity: (r: TopicRecord) => string): string[] {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const r of records) {
    const id = identity(r);
    const before = seen.get(id);
    if (before !== undefined && before !== r.value) conflicts.push(id);
    seen.set(id, r.value!);
  }
  return conflicts;
}

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
