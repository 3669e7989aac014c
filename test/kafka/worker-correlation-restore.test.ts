import { afterEach, expect, it } from 'vitest';
import { alert, at, rule, writeRules } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';
import { cleanups, readTopic, replayMessages, runCleanups, startWorker, uniqueOutputs, writeWorkerConfig } from './worker-harness.js';

afterEach(runCleanups);

const FAILED = { all: [{ fact: 'name', operator: 'equal', value: 'login failed' }] };
const SUCCEEDED = { all: [{ fact: 'name', operator: 'equal', value: 'login succeeded' }] };

/** One rule of each stateful construct: a sequence, a spike, a filtered count, a risk total, an absence. */
const RULES = {
  'sequence.yaml': rule({
    id: 'brute-then-success',
    match: { any: [FAILED, SUCCEEDED] },
    window: { groupBy: ['entities.src_ip'], size: '10m' },
    aggregates: { steps: { kind: 'sequence', steps: [{ where: FAILED, count: 3 }, { where: SUCCEEDED }] } },
    conditions: { all: [{ fact: 'steps', operator: 'equal', value: 2 }] },
  }),
  'spike.yaml': rule({
    id: 'host-spike',
    match: { all: [] },
    window: { groupBy: ['entities.host'], size: '10m' },
    aggregates: { surge: { kind: 'spike', periods: 2 }, failed: { kind: 'count', where: FAILED }, risk: { kind: 'risk', scores: [{ where: FAILED, score: 10 }] } },
    conditions: { any: [{ fact: 'surge', operator: 'greaterThanInclusive', value: 3 }, { fact: 'risk', operator: 'greaterThanInclusive', value: 60 }] },
  }),
  'absence.yaml': rule({
    id: 'host-quiet',
    match: { all: [{ fact: 'source', operator: 'equal', value: 'wazuh' }] },
    absence: { groupBy: ['entities.host'], after: '15m' },
    conditions: { all: [] },
  }),
};

/** Two hosts, logins from two addresses, one host going quiet in each half. */
function stream(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    const host = i % 3 === 0 ? 'web-1' : 'db-1';
    const quiet = (host === 'web-1' && i > 20 && i < 50) || (host === 'db-1' && i > 70);
    return alert({
      id: `c-${i}`,
      time: at(i),
      source: quiet ? 'suricata' : 'wazuh',
      name: i % 7 === 6 ? 'login succeeded' : 'login failed',
      entities: { host, src_ip: i % 2 ? '198.51.100.7' : '203.0.113.9' },
    });
  });
}

describeKafka('alertgate run on Kafka: correlation state across a restart', () => {
  it('sequences, spikes, filtered counts, risk and absences continue after a stop and a restore as in one uninterrupted run', async () => {
    const input = await createTopic(uniqueTopic('correlation-alerts'), 1);
    const outputs = uniqueOutputs('correlation');
    const rules = writeRules(RULES);
    const config = writeWorkerConfig({ input: [input], outputs, rules, groupId: uniqueGroup('correlation') });
    const producer = kafkaClient().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const send = (alerts: Record<string, unknown>[]) => producer.send({ topic: input, messages: alerts.map((a) => ({ key: String(a.id), value: JSON.stringify(a) })) });

    const first = startWorker(config);
    await first.waitForLog((l) => l.msg === 'took over the input partitions', 30_000);
    const decisions = await readTopic(outputs.decisions);
    await send(stream(0, 50));
    await decisions.until((r) => r.some((d) => d.key === 'c-49'), 30_000, () => 'the first half was not decided');
    expect((await first.stop('SIGTERM')).code).toBe(0);

    const second = startWorker(config);
    await second.waitForLog((l) => l.msg === 'restored the state from the state topic', 40_000);
    await send(stream(50, 100));
    const messages = await (await readTopic(input)).toEnd(20_000);
    const expected = replayMessages(messages, rules);
    await decisions.distinctKeys(expected.decisions.size, 40_000);
    const last = new Map(decisions.records.map((r) => [r.key!, r.value!]));
    expect(last).toEqual(expected.decisions);
    // The constructs really acted on both sides of the restart.
    const decided = [...expected.decisions.values()].map((v) => JSON.parse(v) as { alertId: string; ruleId: string | null; time: string });
    for (const ruleId of ['brute-then-success', 'host-spike', 'host-quiet']) {
      const times = decided.filter((d) => d.ruleId === ruleId).map((d) => d.time);
      expect(times.some((t) => t < at(50)), `${ruleId} before the restart`).toBe(true);
      expect(times.some((t) => t >= at(50)), `${ruleId} after the restart`).toBe(true);
    }
    expect((await second.stop('SIGTERM')).code).toBe(0);
  }, 120_000);
});
