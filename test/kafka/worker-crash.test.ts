import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseLedgerLocation, type LedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { tempDir } from '../helpers.js';
import { dropSchemas, freshLocation, postgresUrl } from '../ledger/backends.js';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';
import {
  conflictsOf,
  get,
  incidentsById,
  lastByKey,
  mergedOrder,
  metric,
  produceCli,
  readTopic,
  replayMessages,
  runCleanups,
  sameEntries,
  SOC_WEEK,
  startWorker,
  uniqueOutputs,
  writeWorkerConfig,
  type TopicRecord,
} from './worker-harness.js';

afterEach(runCleanups);

/** The worker's ledger: PostgreSQL (a schema of its own) for at-least-once when it is there, else SQLite. */
function ledgerFor(delivery: string, schemas: string[]): { location: LedgerLocation; config: Record<string, string> } {
  if (delivery === 'at-least-once' && postgresUrl()) {
    const location = freshLocation('postgres', schemas);
    return { location, config: { url: postgresUrl()!, schema: schemas[schemas.length - 1]! } };
  }
  const file = join(tempDir('alertgate-crash-ledger-'), 'ledger.sqlite');
  return { location: parseLedgerLocation(file), config: { url: file } };
}

/** The group's committed offsets on a topic, by partition (-1: none). */
async function committedOffsets(groupId: string, topic: string): Promise<number[]> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
  } finally {
    await admin.disconnect();
  }
}

/** A topic's end offsets, by partition. */
async function endOffsets(topic: string): Promise<bigint[]> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => BigInt(o.high));
  } finally {
    await admin.disconnect();
  }
}

/** The ledger's decision counts by kind, over all time. */
async function ledgerCounts(location: LedgerLocation): Promise<Record<string, number>> {
  const ledger = await Ledger.open(location);
  try {
    const byKind: Record<string, number> = { promote: 0, suppress: 0, pass: 0, duplicate: 0 };
    for (const c of await ledger.decisionCountsBetween(0, Number.MAX_SAFE_INTEGER)) byKind[c.decision]! += c.count;
    return byKind;
  } finally {
    await ledger.close();
  }
}

/**
 * soc-week over 3 partitions, keyed by alert id: one entity's alerts are spread over all of them. Over
 * one partition at-least-once writes no chunk records (docs/kafka.md): the restart forms the chunks up
 * to the committed offset anew and decides them silently.
 */
const CASES = [
  { delivery: 'at-least-once', partitions: 3, incidentUpdateIntervalMs: 0 },
  { delivery: 'exactly-once', partitions: 3, incidentUpdateIntervalMs: 0 },
  { delivery: 'at-least-once', partitions: 1, incidentUpdateIntervalMs: 0 },
  // Incident updates held back between chunks (kafka.incidentUpdateIntervalMs): commits wait for them,
  // so a kill loses none. Here the 100 ms checkpoints write them often.
  { delivery: 'at-least-once', partitions: 3, incidentUpdateIntervalMs: 250 },
  // Held through the whole first run (no interval passes, no checkpoint after the first): nothing may
  // be committed past them, so the restart decides every alert again and sends it.
  { delivery: 'at-least-once', partitions: 1, incidentUpdateIntervalMs: 60_000 },
] as const;


describeKafka('alertgate run on Kafka: a worker killed mid-stream and started again', () => {
  for (const { delivery, partitions, incidentUpdateIntervalMs } of CASES) {
    const interval = incidentUpdateIntervalMs > 0 ? `, incident updates at most every ${incidentUpdateIntervalMs} ms` : '';
    const heldThroughout = incidentUpdateIntervalMs >= 60_000;
    it(`${delivery}, ${partitions} input partition(s)${interval}: after kill -9 and a restart, every alert has one decision, incidents never conflict, the outputs equal an uninterrupted run's, and the ledger counts each decision once`, async () => {
      const input = await createTopic(uniqueTopic('crash-alerts'), partitions);
      await produceCli(['--input', SOC_WEEK, '--topic', input, '--batch-size', '100']);
      const messages = await (await readTopic(input)).toEnd(20_000);
      // What one uninterrupted pipeline decides over the merged partitions (docs/kafka.md).
      const expected = replayMessages(mergedOrder(messages));
      const expectedIncidents = incidentsById(expected.incidents);

      const outputs = uniqueOutputs('crash');
      const groupId = uniqueGroup('crash');
      const schemas: string[] = [];
      const ledger = ledgerFor(delivery, schemas);
      const config = writeWorkerConfig({
        extra: { ledger: ledger.config },
        input: [input],
        outputs,
        groupId,
        delivery,
        // Small chunks and frequent checkpoints: the kill lands between checkpoints, with chunks to replay.
        consumer: { maxChunkMessages: 100, maxBytesPerPartition: 16 * 1024 },
        state: { checkpointIntervalMs: heldThroughout ? 60_000 : 100 },
        kafka: { incidentUpdateIntervalMs },
      });
      const first = startWorker(config);
      await first.waitForLog((l) => l.msg === 'took over the input partitions', 30_000);
      // The worker created its output topics at start, so they can be read now.
      const decisions = await readTopic(outputs.decisions);
      const incidents = await readTopic(outputs.incidents);
      await decisions.atLeast(Math.floor(expected.decisions.size / 2), 30_000);
      await first.stop('SIGKILL');
      const beforeKill = decisions.records.length;
      // Where the input was committed at the kill, and where the decisions topic ended: what the restart sends comes after it.
      const [committedAtKill] = await committedOffsets(groupId, input);
      const [decisionsAtKill] = await endOffsets(outputs.decisions);
      expect(beforeKill).toBeLessThan(expected.decisions.size); // really mid-stream
      if (heldThroughout) {
        // Held: only incidents that closed were written (a close is written when it happens) ...
        expect(incidents.records.filter((r) => (JSON.parse(r.value!) as { status: string }).status !== 'closed')).toEqual([]);
        // ... and nothing was committed past the first alert that could have touched an incident.
        const firstPromoted = messages.find((m) => (JSON.parse(expected.decisions.get(m.key!) ?? '{}') as { decision?: string }).decision === 'promote');
        expect(committedAtKill).toBeLessThanOrEqual(Number(firstPromoted!.offset));
      }

      const second = startWorker(config);
      const restored = await second.waitForLog((l) => l.msg === 'restored the state from the state topic', 40_000);
      // Held throughout: the only checkpoint is the first one, of the empty state.
      if (heldThroughout) expect(restored.checkpoint).toBe(0);
      else expect(restored.checkpoint).toBeGreaterThan(0);
      await decisions.distinctKeys(expected.decisions.size, 40_000);
      const url = await second.url();
      const replayed = metric((await get(`${url}/metrics`)).body, 'alertgate_kafka_replayed_chunks_total') ?? 0;
      // The held updates go out at the latest at a stop.
      if (heldThroughout) expect((await second.stop('SIGTERM')).code).toBe(0);
      await incidents.until((r) => sameEntries(lastByKey(r), expectedIncidents), 20_000, () => 'incidents differ from the uninterrupted run');

      // Decisions: after dedupe by alert id, exactly replay's over the merged input, byte for byte.
      expect(lastByKey(decisions.records)).toEqual(expected.decisions);
      expect(conflictsOf(decisions.records, (r) => r.key!)).toEqual([]);
      if (delivery === 'exactly-once') expect(decisions.records).toHaveLength(expected.decisions.size);
      // Incidents: the final state of each is the uninterrupted run's; two records of one incident at
      // the same size and status are the same record.
      expect(lastByKey(incidents.records)).toEqual(expectedIncidents);
      const revision = (r: TopicRecord) => {
        const { alertCount, status } = JSON.parse(r.value!) as { alertCount: number; status: string };
        return `${r.key}/${alertCount}/${status}`;
      };
      expect(conflictsOf(incidents.records, revision)).toEqual([]);

      if (delivery === 'at-least-once') {
        // Chunk records go to the state topic only where the merge of several partitions needs them.
        const state = await (await readTopic(`${groupId}-state`)).toEnd(20_000);
        expect(state.some((r) => r.headers['alertgate-state'] === 'chunk')).toBe(partitions > 1);
        expect(state.some((r) => r.headers['alertgate-state'] === 'checkpoint')).toBe(true);
        // Over one partition the restart formed the chunks up to the committed offset anew and decided
        // every one of them silently (how many depends on where the kill fell: none when it fell just after a checkpoint).
        if (partitions === 1) {
          expect(replayed).toBe(Number(restored.chunksToReplay));
          // Silently: the restart sent no decision of an alert before the committed offset.
          const inputOffsets = new Map<string, number[]>();
          for (const m of messages) inputOffsets.set(m.key!, [...(inputOffsets.get(m.key!) ?? []), Number(m.offset)]);
          const resent = decisions.records.filter((r) => BigInt(r.offset) >= decisionsAtKill! && (inputOffsets.get(r.key!) ?? []).every((o) => o < committedAtKill!));
          expect(resent.map((r) => r.key)).toEqual([]);
        }
      }
      if (!heldThroughout) expect((await second.stop('SIGTERM')).code).toBe(0);
      // Chunks sent again after the kill were counted by the first worker already: counted once (by alert id).
      const counted = await ledgerCounts(ledger.location);
      await dropSchemas(schemas);
      const { promoted, suppressed, passed, duplicate } = expected.summary;
      expect(counted).toEqual({ promote: promoted, suppress: suppressed, pass: passed, duplicate });
      console.log(
        `[worker-crash ${delivery}, ${partitions} partition(s)${interval}] ${incidents.records.length} incident records; killed after ${beforeKill} of ${expected.decisions.size} decisions; restored from checkpoint ${String(restored.checkpoint)}, ` +
          `${String(restored.chunksToReplay)} chunk records after it (${replayed} decided again silently); ${decisions.records.length - expected.decisions.size} decisions sent twice, all identical`,
      );
    }, 90_000);
  }
});
