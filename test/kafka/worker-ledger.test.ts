import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueTopic } from './broker.js';
import { cleanups, incidentsById, produceCli, replay, runCleanups, SOC_WEEK, startWorker, uniqueOutputs, until, writeWorkerConfig } from './worker-harness.js';

afterEach(runCleanups);

const TOKENS = { viewer: 'viewer-token-0123456789', analyst: 'analyst-token-0123456789' };

async function api(url: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

describeKafka('alertgate run on Kafka, with the ledger', () => {
  it('records every incident in the ledger, serves the API with its roles, takes verdicts from the API and from the feedback topic, and guards /metrics with a token', async () => {
    const expected = incidentsById(replay(SOC_WEEK).incidents);
    const input = await createTopic(uniqueTopic('ledger-alerts'), 1);
    await produceCli(['--input', SOC_WEEK, '--topic', input]);
    const feedbackTopic = uniqueTopic('feedback');
    const ledgerFile = join(tempDir('alertgate-kafka-ledger-'), 'ledger.sqlite');
    const worker = startWorker(
      writeWorkerConfig({
        input: [input],
        outputs: uniqueOutputs('ledger'),
        extra: {
          ledger: { url: ledgerFile },
          api: { tokens: [{ name: 'soc-viewer', role: 'viewer', token: TOKENS.viewer }, { name: 'alice', role: 'analyst', token: TOKENS.analyst }] },
          feedback: { kafka: { topic: feedbackTopic } },
          metrics: { requireToken: true },
        },
      }),
    );
    await worker.waitForLog((l) => l.msg === 'consuming feedback from Kafka', 30_000);
    const url = await worker.url();

    // Every incident the stream produces reaches the ledger, in its final state.
    const listed = await until(
      async () => {
        const { json } = await api(url, '/incidents?limit=1000', TOKENS.viewer);
        const ids = new Set((json?.incidents ?? []).map((i: { id: string }) => i.id));
        return ids.size === expected.size && [...expected.keys()].every((id) => ids.has(id)) ? json : undefined;
      },
      40_000,
      'the ledger does not list every incident',
    );
    expect(listed.incidents).toHaveLength(expected.size);
    const [first, second] = [...expected.keys()] as [string, string];
    // Each as replay wrote it, with its verdict (none yet).
    for (const listedIncident of listed.incidents as { id: string; verdict: unknown }[]) {
      const { verdict: none, ...record } = listedIncident;
      expect(none).toBeNull();
      expect(record).toEqual(JSON.parse(expected.get(listedIncident.id)!));
    }

    // Roles: no token 401, a viewer may read but not give feedback, an analyst may.
    expect((await api(url, '/incidents')).status).toBe(401);
    const verdict = { verdict: 'false_positive', reason: 'known scanner', analyst: 'alice' };
    expect((await api(url, `/incidents/${first}/feedback`, TOKENS.viewer, verdict)).status).toBe(403);
    expect((await api(url, `/incidents/${first}/feedback`, TOKENS.analyst, verdict)).status).toBe(201);
    expect((await api(url, `/incidents/${first}/feedback`, TOKENS.analyst, verdict)).status).toBe(200);
    expect((await api(url, '/incidents/inc-000000000000000000000000/feedback', TOKENS.analyst, verdict)).status).toBe(404);
    const opened = await api(url, `/incidents/${first}`, TOKENS.viewer);
    expect(opened.json).toMatchObject({ verdict: 'false_positive', incident: JSON.parse(expected.get(first)!), opening: { explanation: { by: 'rule' } } });

    // A pipeline's verdict on the feedback topic.
    const producer = kafkaClient().producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({ topic: feedbackTopic, messages: [{ value: JSON.stringify({ incidentId: second, verdict: 'true_positive', reason: 'confirmed by IR', analyst: 'ticket-4711' }) }] });
    await until(async () => ((await api(url, `/incidents/${second}`, TOKENS.viewer)).json?.verdict === 'true_positive' ? true : undefined), 20_000, 'the topic verdict was not recorded');

    // /metrics needs a token here; with one, the ledger's families are there.
    expect((await api(url, '/metrics')).status).toBe(401);
    const metrics = await api(url, '/metrics', TOKENS.viewer);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^alertgate_feedback_incidents\{rule="[^"]+",verdict="false_positive"\} 1$/m);
    expect(metrics.text).toMatch(/^alertgate_feedback_incidents\{rule="[^"]+",verdict="true_positive"\} 1$/m);
    // Tokens never reach the logs.
    expect(worker.stderr()).not.toContain(TOKENS.viewer);
    expect(worker.stderr()).not.toContain(TOKENS.analyst);
    expect((await worker.stop('SIGTERM')).code).toBe(0);
  }, 90_000);
});
