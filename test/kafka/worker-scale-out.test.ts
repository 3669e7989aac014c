import { afterEach, expect, it } from 'vitest';
import { createTopic, describeKafka, uniqueGroup, uniqueTopic } from './broker.js';
import {
  incidentsById,
  lastByKey,
  mergedOrder,
  produceCli,
  readTopic,
  replayMessages,
  runCleanups,
  sameEntries,
  SOC_WEEK,
  startWorker,
  uniqueOutputs,
  writeWorkerConfig,
  type OutputTopicNames,
  type TopicRecord,
} from './worker-harness.js';

afterEach(runCleanups);

const PARTITIONS = 6;

/** Runs `workers` workers of one group over `input` until every decision and the final incidents are out. */
async function decideWith(workers: number, input: string, expected: ReturnType<typeof replayMessages>) {
  const outputs: OutputTopicNames = uniqueOutputs(`scale${workers}`);
  const config = writeWorkerConfig({ input: [input], outputs, groupId: uniqueGroup(`scale${workers}`), consumer: { maxChunkMessages: 300 } });
  const started = Array.from({ length: workers }, () => startWorker(config));
  await Promise.all(started.map((w) => w.joined()));
  const owner = await Promise.race(started.map((w) => w.waitForLog((l) => l.msg === 'took over the input partitions', 30_000).then(() => w)));
  const decisions = await readTopic(outputs.decisions);
  const incidents = await readTopic(outputs.incidents);
  await decisions.distinctKeys(expected.decisions.size, 40_000);
  const expectedIncidents = incidentsById(expected.incidents);
  await incidents.until((r) => sameEntries(lastByKey(r), expectedIncidents), 20_000, () => `incidents of ${workers} workers differ from one pipeline's`);
  const standbys = started.filter((w) => w !== owner);
  for (const w of started) expect((await w.stop('SIGTERM')).code).toBe(0);
  return { decisions: decisions.records, incidents: incidents.records, owner, standbys };
}

describeKafka('alertgate run on Kafka, scale-out', () => {
  it('2 workers × 6 partitions decide exactly as 1 worker and as one pipeline over the merged stream: entities spread over partitions are counted together', async () => {
    const input = await createTopic(uniqueTopic('scale-alerts'), PARTITIONS);
    // Keyed by alert id, so the alerts of one source address or host land on every partition.
    await produceCli(['--input', SOC_WEEK, '--topic', input, '--batch-size', '200']);
    const messages = await (await readTopic(input)).toEnd(20_000);
    const partitionsOf = new Map<string, Set<number>>();
    for (const m of messages) {
      const src = /"src_ip":"([^"]+)"/.exec(m.value ?? '')?.[1];
      if (src === undefined) continue;
      if (!partitionsOf.has(src)) partitionsOf.set(src, new Set());
      partitionsOf.get(src)!.add(m.partition);
    }
    const spread = [...partitionsOf.values()].filter((p) => p.size === PARTITIONS).length;
    expect(spread).toBeGreaterThan(5);

    const expected = replayMessages(mergedOrder(messages));
    // The fixture's brute-force and scan incidents need counts across partitions to exist at all.
    const ruleIds = new Set(expected.incidents.map((l) => (JSON.parse(l) as { ruleId: string }).ruleId));
    expect(ruleIds).toContain('auth-brute-force');
    expect(ruleIds).toContain('recon-scan');

    const one = await decideWith(1, input, expected);
    const two = await decideWith(2, input, expected);
    const final = (records: TopicRecord[]) => lastByKey(records);
    expect(final(one.decisions)).toEqual(expected.decisions);
    expect(final(two.decisions)).toEqual(expected.decisions);
    expect(final(two.incidents)).toEqual(final(one.incidents));
    expect(final(two.incidents)).toEqual(incidentsById(expected.incidents));
    // The standby decided nothing: it waited to take over.
    expect(two.standbys).toHaveLength(1);
    expect(two.standbys[0]!.logs.some((l) => l.msg === 'took over the input partitions')).toBe(false);
    console.log(
      `[worker-scale-out] ${messages.length} messages over ${PARTITIONS} partitions, ${spread} source addresses on all of them: ` +
        `1 worker and 2 workers gave the same ${expected.decisions.size} decisions and ${incidentsById(expected.incidents).size} incidents as one pipeline`,
    );
  }, 120_000);
});
