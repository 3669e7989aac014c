import { afterEach, expect, it } from 'vitest';
import { createTopic, describeKafka, uniqueTopic } from './broker.js';
import { get, incidentsById, lastByKey, metric, produceCli, readTopic, replay, runCleanups, sameEntries, SOC_WEEK, startWorker, uniqueOutputs, writeWorkerConfig } from './worker-harness.js';
import { DEAD_LETTER_HEADERS, KafkaDeadLetterRecord } from '../../src/sinks/kafka/dead-letter-message.js';

afterEach(runCleanups);

describeKafka('alertgate run on Kafka, end to end', () => {
  it('decides soc-week from a topic exactly as replay does: every decision, every incident, dead letters naming their source', async () => {
    const expected = replay(SOC_WEEK);
    const expectedIncidents = incidentsById(expected.incidents);
    const { alerts, invalid } = expected.summary as { alerts: number; invalid: number };
    expect(expected.decisions.size).toBe(alerts - invalid);

    const input = await createTopic(uniqueTopic('e2e-alerts'), 1);
    expect(await produceCli(['--input', SOC_WEEK, '--topic', input])).toMatch(new RegExp(`^sent ${alerts} messages to ${input}`));

    const outputs = uniqueOutputs('e2e');
    const started = performance.now();
    const worker = startWorker(writeWorkerConfig({ input: [input], outputs }));
    await worker.joined();
    const url = await worker.url();
    expect(await get(`${url}/readyz`)).toEqual({ status: 200, body: '{"ready":true}' });

    // The worker created its output topics at start, so they can be read now.
    const [decisions, incidents, deadLetters] = await Promise.all([readTopic(outputs.decisions), readTopic(outputs.incidents), readTopic(outputs.deadLetters)]);
    await Promise.all([
      decisions.atLeast(expected.decisions.size, 40_000),
      // Incidents come as they open and grow, then closed; the last record of each is its final state.
      incidents.until((records) => sameEntries(lastByKey(records), expectedIncidents), 40_000, () => `incidents differ from replay's (${incidents.records.length} records)`),
      deadLetters.atLeast(invalid, 40_000),
    ]);
    const decidedMs = performance.now() - started;

    // Decisions: the same set as replay's, keyed by alert id, byte for byte.
    expect(decisions.records).toHaveLength(expected.decisions.size);
    for (const record of decisions.records) {
      expect(record.value).toBe(expected.decisions.get(record.key!));
    }
    // Incidents: keyed by incident id; the last record of each is replay's, byte for byte (closed ones, and
    // the ones still open at the end of the input, which replay writes open); updates only grow.
    expect(lastByKey(incidents.records)).toEqual(expectedIncidents);
    expect(expectedIncidents.size).toBeGreaterThan(20);
    const counts = new Map<string, number>();
    for (const r of incidents.records) {
      const { alertCount } = JSON.parse(r.value!) as { alertCount: number };
      expect(alertCount).toBeGreaterThanOrEqual(counts.get(r.key!) ?? 0);
      counts.set(r.key!, alertCount);
    }
    // Dead letters: one per invalid line, at that line's offset (the file has no blank lines), with headers.
    const offsets = deadLetters.records.map((r) => Number(r.headers[DEAD_LETTER_HEADERS.sourceOffset]));
    expect(offsets.sort((a, b) => a - b)).toEqual(expected.deadLetters.map((d) => d.line - 1));
    for (const record of deadLetters.records) {
      const body = KafkaDeadLetterRecord.parse(JSON.parse(record.value!));
      expect(record.key).toBe(`${input}-0-${body.offset}`);
      expect(record.headers).toEqual({
        [DEAD_LETTER_HEADERS.error]: body.reason,
        [DEAD_LETTER_HEADERS.sourceTopic]: input,
        [DEAD_LETTER_HEADERS.sourcePartition]: '0',
        [DEAD_LETTER_HEADERS.sourceOffset]: body.offset,
      });
      const replayed = expected.deadLetters.find((d) => d.line - 1 === Number(body.offset))!;
      // The one binary line is caught before the pipeline (replay reads it as text with U+FFFD, then as bad JSON).
      if (!body.reason.startsWith('message is not UTF-8')) expect(body.reason).toBe(replayed.reason);
    }

    const metrics = (await get(`${url}/metrics`)).body;
    expect(metric(metrics, 'alertgate_alerts_received_total')).toBe(alerts);
    expect(metric(metrics, 'alertgate_dead_letters_total')).toBe(invalid);

    const stopped = await worker.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    console.log(`[worker-end-to-end] ${alerts} alerts decided ${Math.round(decidedMs)} ms after the worker was spawned; stopped in ${Math.round(stopped.ms)} ms`);
  }, 60_000);
});
