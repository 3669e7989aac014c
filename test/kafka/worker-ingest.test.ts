import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { KafkaIngest } from '../../src/ingest/kafka-ingest.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { FORMAT_HEADER } from '../../src/pipeline/line-format.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { alert, at, ndjson, runPipeline } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';
import { cleanups, readTopic, RULES, runCleanups, startWorker, uniqueOutputs, writeWorkerConfig } from './worker-harness.js';

afterEach(runCleanups);

const TOKEN = 'forwarder-token-0123456789';

describeKafka('POST /ingest on the Kafka worker', () => {
  it('produces the body to the input topic and answers 202 once the broker has it; the decider decides it as replay does', async () => {
    const input = await createTopic(uniqueTopic('ingest-alerts'), 1);
    const outputs = uniqueOutputs('ingest');
    const worker = startWorker(
      writeWorkerConfig({
        input: [input],
        outputs,
        extra: { api: { tokens: [{ name: 'fwd', role: 'ingest', token: TOKEN }] }, ingest: { http: { enabled: true } } },
      }),
    );
    await worker.joined();
    await worker.waitForLog((l) => l.msg === 'taking HTTP input (POST /ingest)', 20_000);
    const url = await worker.url();
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => JSON.stringify(alert({ id: `h${i}`, time: at(i / 10), name: 'sshd: authentication failed', severity: 'high', entities: { src_ip: '198.51.100.9', host: 'web-1' }, tags: ['auth-failure'] }))),
      'not json',
      JSON.stringify(alert({ id: 'h0', time: at(0), name: 'sshd: authentication failed', severity: 'high', entities: { src_ip: '198.51.100.9', host: 'web-1' }, tags: ['auth-failure'] })),
    ];
    const answer = await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' }, body: ndjson(lines) });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ lines: 32, accepted: 31, deadLettered: 1, deadLetters: [{ line: 31, reason: expect.stringMatching(/^invalid JSON/) }], topic: input });

    // On the topic as sent (keyed by alert id, the dead letter unkeyed), and decided like any input message.
    const inputRecords = await (await readTopic(input)).atLeast(32, 20_000);
    expect(inputRecords).toHaveLength(32);
    const decisions = await (await readTopic(outputs.decisions)).atLeast(31, 30_000);
    const deadLetters = await (await readTopic(outputs.deadLetters)).atLeast(1, 30_000);
    expect(deadLetters).toHaveLength(1);
    expect(JSON.parse(deadLetters[0]!.value!)).toMatchObject({ topic: input, raw: 'not json' });
    // One partition: the decider's order is the body's, so its decisions are replay's of the body, byte for byte.
    const expected = runPipeline(await loadRulesOrThrow(RULES), lines);
    expect(decisions.map((d) => d.value)).toEqual(expected.decisions.map((d) => JSON.stringify(d)));
    expect(expected.counts).toMatchObject({ duplicate: 1, invalid: 1 });
    expect(await worker.stop()).toMatchObject({ code: 0 });
  }, 60_000);

  it('POST /ingest/alertmanager: each element of the webhook payload is an alert the decider decides as replay does; a broken element is a dead letter of its own', async () => {
    const rules = join(import.meta.dirname, '../../fixtures/formats/rules');
    const payloads = readFileSync(join(import.meta.dirname, '../../fixtures/formats/alertmanager.ndjson'), 'utf8').trim().split('\n');
    const broken = JSON.parse(payloads[0]!) as { alerts: Record<string, unknown>[] };
    broken.alerts.push({ ...broken.alerts[0], startsAt: 'yesterday', fingerprint: 'ffff0000' });
    const bodies = [...payloads, JSON.stringify(broken)];
    const input = await createTopic(uniqueTopic('ingest-am'), 1);
    const outputs = uniqueOutputs('ingest-am');
    const worker = startWorker(
      writeWorkerConfig({
        rules,
        input: [input],
        outputs,
        extra: { api: { tokens: [{ name: 'am', role: 'ingest', token: TOKEN }] }, ingest: { http: { enabled: true } } },
      }),
    );
    await worker.joined();
    await worker.waitForLog((l) => l.msg === 'taking HTTP input (POST /ingest)', 20_000);
    const url = await worker.url();
    const answers = [];
    for (const body of bodies) {
      const answer = await fetch(`${url}/ingest/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
      expect(answer.status).toBe(202);
      answers.push((await answer.json()) as { lines: number; accepted: number; deadLettered: number; deadLetters: { reason: string }[]; topic: string });
    }
    expect(answers.map((a) => [a.lines, a.accepted, a.deadLettered, a.topic])).toEqual([[1, 1, 0, input], [1, 2, 0, input], [1, 1, 0, input], [1, 1, 0, input], [1, 1, 1, input]]);
    expect(answers[4]!.deadLetters[0]!.reason).toMatch(/^\/alerts\/1\/startsAt \(time\): unparseable timestamp "yesterday"/);

    // One message per payload, unkeyed, its format in a header; decided as replay decides the payloads.
    const sent = await (await readTopic(input)).atLeast(bodies.length, 20_000);
    expect(sent.map((r) => [r.key ?? null, r.headers[FORMAT_HEADER]])).toEqual(bodies.map(() => [null, 'alertmanager']));
    const expected = runPipeline(await loadRulesOrThrow(rules), bodies, 'auto');
    expect(expected.counts).toMatchObject({ alerts: 7, invalid: 1 });
    expect(expected.counts.promoted).toBeGreaterThan(0);
    const decisions = await (await readTopic(outputs.decisions)).atLeast(6, 30_000);
    expect(decisions.map((d) => d.value)).toEqual(expected.decisions.map((d) => JSON.stringify(d)));
    const deadLetters = await (await readTopic(outputs.deadLetters)).atLeast(1, 30_000);
    expect(deadLetters.map((d) => JSON.parse(d.value!) as { reason: string }).map((d) => d.reason)).toEqual([expect.stringMatching(/^\/alerts\/1\/startsAt \(time\)/)]);
    expect(await worker.stop()).toMatchObject({ code: 0 });
    expect(worker.stdout()).toMatch(/^alerts\s+7$/m);
  }, 60_000);

  it('is behind while the group has more than maxLag messages of the input topics uncommitted; a named format travels in a header', async () => {
    const topic = await createTopic(uniqueTopic('ingest-lag'), 1);
    const groupId = uniqueGroup('ingest-lag');
    const kafka = kafkaClient();
    let now = 0;
    const ingest = await KafkaIngest.start({
      kafka,
      topic,
      inputTopics: [topic],
      groupId,
      normalize: createNormalizer({ format: 'canonical' }),
      maxLineBytes: 1024,
      maxLag: 10,
      retryAfterSeconds: 1,
      log: pino({ level: 'silent' }),
      now: () => now,
    });
    cleanups.push(() => ingest.stop());
    expect(await ingest.behind()).toBeUndefined();
    const lines = Array.from({ length: 12 }, (_, i) => ({ line: i + 1, text: JSON.stringify(alert({ id: `l${i}`, time: at(i) })) }));
    expect(await ingest.ingest({ lines, format: 'canonical', tokenName: 't' })).toMatchObject({ lines: 12, accepted: 12, topic });
    // The reading is kept for a second of the (injected) clock, then read again: 12 uncommitted > 10.
    expect(await ingest.behind()).toBeUndefined();
    now += 1_000;
    expect(await ingest.behind()).toBe('the input topics hold 12 messages the decider has not committed (ingest.http.maxLag 10)');
    const admin = kafka.admin();
    await admin.connect();
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '5' }] });
    await admin.disconnect();
    now += 1_000;
    expect(await ingest.behind()).toBeUndefined();
    const sent = await (await readTopic(topic)).atLeast(12, 20_000);
    expect(sent.map((r) => [r.key, r.headers[FORMAT_HEADER]])).toEqual(lines.map((_, i) => [`l${i}`, 'canonical']));
  }, 30_000);
});

