import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, expect, it } from 'vitest';
import { alert, at, rule, writeRules } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueTopic } from './broker.js';
import { get, metric, readTopic, runCleanups, startWorker, uniqueOutputs, writeWorkerConfig, cleanups } from './worker-harness.js';

afterEach(runCleanups);

const severityRule = (version: number, severity: string) =>
  rule({ id: 'by-severity', version, conditions: { all: [{ fact: 'severity', operator: 'equal', value: severity }] }, incident: { groupBy: ['entities.host'], window: '10m' } });

describeKafka('alertgate run on Kafka, rules hot reload', () => {
  it('applies a valid rule change between chunks without a restart, checkpointing first; rejects an invalid one and keeps deciding with the old rules', async () => {
    const rulesDir = writeRules({ 'r.yaml': severityRule(1, 'high') });
    const input = await createTopic(uniqueTopic('reload-alerts'), 1);
    const outputs = uniqueOutputs('reload');
    const worker = startWorker(writeWorkerConfig({ input: [input], outputs, rules: rulesDir, watchRules: true }));
    await worker.waitForLog((l) => l.msg === 'took over the input partitions', 30_000);
    const url = await worker.url();
    const decisions = await readTopic(outputs.decisions);
    const producer = kafkaClient().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    /** Produces one alert and waits for its decision. */
    const decide = async (id: string, severity: string, minute: number) => {
      await producer.send({ topic: input, messages: [{ key: id, value: JSON.stringify(alert({ id, severity, time: at(minute) })) }] });
      await decisions.until((r) => r.some((d) => d.key === id), 20_000, () => `no decision for ${id}`);
    };
    const checkpoints = async () => metric((await get(`${url}/metrics`)).body, 'alertgate_kafka_checkpoints_total') ?? 0;

    await decide('a1', 'high', 0);
    const before = await checkpoints();
    writeFileSync(join(rulesDir, 'r.yaml'), stringify(severityRule(2, 'low')));
    await worker.waitForLog((l) => l.msg === 'rules reloaded', 20_000);
    await decide('a2', 'high', 1);
    await decide('a3', 'low', 2);
    // The state the old rules built was checkpointed before they changed, so no replay crosses the change.
    expect(await checkpoints()).toBeGreaterThan(before);

    const { owner: _dropped, ...withoutOwner } = severityRule(3, 'high');
    writeFileSync(join(rulesDir, 'r.yaml'), stringify(withoutOwner));
    const rejected = await worker.waitForLog((l) => l.msg === 'rules changed but are invalid; the running rules stay', 20_000);
    expect(JSON.stringify(rejected.problems)).toMatch(/r\.yaml: \/owner: /);
    await decide('a4', 'low', 3);

    const byId = new Map(decisions.records.map((r) => [r.key, JSON.parse(r.value!) as { decision: string; ruleVersion: number | null }]));
    expect(['a1', 'a2', 'a3', 'a4'].map((id) => [id, byId.get(id)?.decision, byId.get(id)?.ruleVersion])).toEqual([
      ['a1', 'promote', 1],
      ['a2', 'pass', null],
      ['a3', 'promote', 2],
      ['a4', 'promote', 2],
    ]);
    const metrics = (await get(`${url}/metrics`)).body;
    expect(metrics).toMatch(/^alertgate_rule_reloads_total\{result="applied"\} 1$/m);
    expect(metrics).toMatch(/^alertgate_rule_reloads_total\{result="rejected"\} 1$/m);
    expect((await worker.stop('SIGTERM')).code).toBe(0);
  }, 60_000);
});
