import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { createTopic, describeKafka, uniqueGroup, uniqueTopic } from './broker.js';
import { incidentsById, lastByKey, produceCli, readTopic, replay, runCleanups, sameEntries, SOC_WEEK, startWorker, uniqueOutputs, writeWorkerConfig } from './worker-harness.js';

afterEach(runCleanups);

/** soc-week cut into `n` files of consecutive lines, to be produced one after another. */
function parts(n: number): string[] {
  const lines = readFileSync(SOC_WEEK, 'utf8').split('\n').filter(Boolean);
  const dir = tempDir('alertgate-parts-');
  const size = Math.ceil(lines.length / n);
  return Array.from({ length: n }, (_, i) => {
    const file = join(dir, `part-${i}.ndjson`);
    writeFileSync(file, `${lines.slice(i * size, (i + 1) * size).join('\n')}\n`);
    return file;
  });
}

describeKafka('alertgate run on Kafka, rebalances', () => {
  it('a second worker joins and leaves mid-stream, and the decider hands over twice: totals and incidents exact, nothing decided twice', async () => {
    // One partition: the order is the file's whatever the timing, so replay of the file is the reference
    // while the input arrives in parts, with workers joining and leaving between them.
    const input = await createTopic(uniqueTopic('rebalance-alerts'), 1);
    const expected = replay(SOC_WEEK);
    const expectedIncidents = incidentsById(expected.incidents);
    const [p1, p2, p3, p4] = parts(4) as [string, string, string, string];
    const outputs = uniqueOutputs('rebalance');
    const config = writeWorkerConfig({ input: [input], outputs, groupId: uniqueGroup('rebalance'), consumer: { maxChunkMessages: 200 } });
    const decidedCount = async (n: number) => decisions.distinctKeys(n, 40_000);
    const tookOver = (w: ReturnType<typeof startWorker>, times: number) =>
      w.waitForLog(() => w.logs.filter((l) => l.msg === 'took over the input partitions').length >= times, 40_000);

    const a = startWorker(config);
    await tookOver(a, 1);
    const decisions = await readTopic(outputs.decisions);
    const incidents = await readTopic(outputs.incidents);
    const sent = async (file: string) => Number(/^sent (\d+)/.exec(await produceCli(['--input', file, '--topic', input]))![1]);
    const decidable = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => expected.decisions.has((/"id":"([^"]+)"/.exec(l) ?? [])[1] ?? '')).length;

    let total = 0;
    await sent(p1);
    total += decidable(p1);
    await decidedCount(total);

    // A standby joins: the decider keeps the partitions (sticky), no state moves.
    const b = startWorker(config);
    await b.joined();
    await a.waitForLog((l) => l.msg === 'kept the input partitions after a rebalance', 20_000);
    await sent(p2);
    total += decidable(p2);
    await decidedCount(total);
    expect(b.logs.some((l) => l.msg === 'took over the input partitions')).toBe(false);

    // The decider leaves: the standby takes over from its last checkpoint (written at the stop).
    expect((await a.stop('SIGTERM')).code).toBe(0);
    await tookOver(b, 1);
    const restoredB = b.logs.find((l) => l.msg === 'restored the state from the state topic')!;
    expect(restoredB.chunksToReplay).toBe(0);
    await sent(p3);
    total += decidable(p3);
    await decidedCount(total);

    // The first worker comes back as a standby, then the decider leaves again: it hands back.
    const a2 = startWorker(config);
    await a2.joined();
    await b.waitForLog((l) => l.msg === 'kept the input partitions after a rebalance', 20_000);
    expect((await b.stop('SIGTERM')).code).toBe(0);
    await tookOver(a2, 1);
    await sent(p4);
    total += decidable(p4);
    expect(total).toBe(expected.decisions.size);
    await decidedCount(total);
    await incidents.until((r) => sameEntries(lastByKey(r), expectedIncidents), 20_000, () => 'incidents differ from replay');

    // Every alert decided once, as replay decides it; incidents as replay's.
    expect(decisions.records).toHaveLength(expected.decisions.size);
    expect(lastByKey(decisions.records)).toEqual(expected.decisions);
    expect(lastByKey(incidents.records)).toEqual(expectedIncidents);
    expect((await a2.stop('SIGTERM')).code).toBe(0);
    console.log(`[worker-rebalance] ${total} decisions over 4 parts, 2 handovers (the first from the checkpoint written at the stop, chunk ${String(restoredB.checkpoint)}, nothing to replay); none twice`);
  }, 150_000);
});
