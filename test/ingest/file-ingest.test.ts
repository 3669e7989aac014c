import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiConfig } from '../../src/config/api.js';
import { startHttpServer } from '../../src/http/server.js';
import { FileIngest } from '../../src/ingest/file-ingest.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { createNormalizer, loadMapping } from '../../src/normalize/index.js';
import { runStream, type StreamRun } from '../../src/pipeline/run-stream.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { alert, at, ndjson, rule, ruleset, runPipeline, tempDir } from '../helpers.js';

const INGEST_TOKEN = 'forwarder-token-0123456789';
const VIEWER_TOKEN = 'viewer-token-0123456789ab';
const RULES = {
  'brute.yaml': rule({
    id: 'brute',
    match: { all: [{ fact: 'name', operator: 'equal', value: 'sshd: authentication failed' }] },
    window: { groupBy: ['entities.src_ip'], size: '10m' },
    aggregates: { failures: { kind: 'count' } },
    conditions: { all: [{ fact: 'failures', operator: 'greaterThanInclusive', value: 3 }] },
    incident: { groupBy: ['entities.src_ip'], window: '1h' },
  }),
};
const failure = (id: string, minute: number) => alert({ id, time: at(minute), name: 'sshd: authentication failed', entities: { src_ip: '198.51.100.7' } });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Worker {
  url: string;
  run: StreamRun;
  ingest: FileIngest;
  files: { decisions: string; incidents: string; deadLetters: string };
}

/** The file worker's parts as `alertgate run` puts them together, its input a stream the test feeds, serving on loopback. */
async function worker(set: CompiledRuleSet, input: NodeJS.ReadableStream, options: { maxPendingBytes?: number; outputs?: Partial<Worker['files']>; bodyLimitBytes?: number } = {}): Promise<Worker> {
  const dir = tempDir();
  const files = { decisions: join(dir, 'd.ndjson'), incidents: join(dir, 'i.ndjson'), deadLetters: join(dir, 'dl.ndjson'), ...options.outputs };
  const run = runStream(input, { ruleset: set, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 4096, outputs: files, holdOpen: true });
  let n = 0;
  const ingest = new FileIngest(run, { maxLineBytes: 4096, maxPendingBytes: options.maxPendingBytes ?? 1 << 20, retryAfterSeconds: 3, log: pino({ level: 'silent' }), newId: () => `req-${++n}` });
  const config = ApiConfig.parse({ tokens: [{ name: 'fwd', role: 'ingest', token: INGEST_TOKEN }, { name: 'ana', role: 'viewer', token: VIEWER_TOKEN }] });
  const http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    metrics: new WorkerMetrics(),
    ready: () => true,
    api: { config, context: { ledger: undefined, rules: () => set, ingest: () => ingest }, ingestBodyLimitBytes: options.bodyLimitBytes ?? 1 << 20 },
  });
  closers.push(() => http.server.close());
  return { url: http.url, run, ingest, files };
}

const post = (url: string, body: string, type = 'application/x-ndjson', token = INGEST_TOKEN) =>
  fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });

describe('POST /ingest on the file worker', () => {
  it('answers 429 until the input file ends, then decides each body after it: the outputs are a replay of the file followed by the bodies', async () => {
    const set = await ruleset(RULES);
    const input = new PassThrough();
    const w = await worker(set, input);
    const fileLines = [failure('f1', 0), failure('f2', 1)].map((a) => JSON.stringify(a));
    input.write(`${fileLines.join('\n')}\n`);

    const early = await post(w.url, JSON.stringify(failure('h0', 2)));
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('3');
    expect((await errorOf(early))).toMatchObject({ code: 'behind', message: expect.stringMatching(/still deciding the input file/) });

    input.end();
    await w.run.done;
    const first = [JSON.stringify(failure('h1', 2)), '{"not": "an alert"}', '', JSON.stringify(failure('h1', 2)), JSON.stringify(failure('h2', 3))].join('\n');
    const answer = await post(w.url, first);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      request: 'req-1',
      lines: 4,
      accepted: 3,
      deadLettered: 1,
      deadLetters: [{ line: 2, reason: expect.stringMatching(/^\/time: missing/) }],
      decisions: { promote: 2, suppress: 0, pass: 0, duplicate: 1 },
    });
    const second = await post(w.url, JSON.stringify([failure('h3', 4), 'text', failure('h4', 5)]), 'application/json; charset=utf-8');
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ request: 'req-2', lines: 3, accepted: 2, deadLettered: 1, deadLetters: [{ line: 2, reason: 'expected a JSON object, got string' }] });
    await w.ingest.stop();
    await w.run.close();

    // The same lines as one file, replayed: byte-identical decisions and incidents.
    const firstLines = first.split('\n').filter((l) => l !== '');
    const secondLines = [failure('h3', 4), 'text', failure('h4', 5)].map((a) => JSON.stringify(a));
    const dir = tempDir();
    const replayed = { decisions: join(dir, 'd.ndjson'), incidents: join(dir, 'i.ndjson') };
    await runStream(createReadStream(writeInput(ndjson([...fileLines, ...firstLines, ...secondLines]))), {
      ruleset: set,
      normalize: createNormalizer({ format: 'canonical' }),
      maxLineBytes: 4096,
      outputs: replayed,
    }).done;
    const read = (file: string) => readFileSync(file, 'utf8');
    expect(read(w.files.decisions)).toBe(read(replayed.decisions));
    expect(read(w.files.incidents)).toBe(read(replayed.incidents));
    expect(read(w.files.incidents)).toMatch(/"alertCount":4,"alertIds":\["h1","h2","h3","h4"\]/);
    // Dead letters name their request; their line is the line in its body.
    expect(read(w.files.deadLetters).trim().split('\n').map((l) => JSON.parse(l) as object)).toEqual([
      { line: 2, reason: expect.any(String), raw: '{"not": "an alert"}', truncated: false, request: 'req-1' },
      { line: 2, reason: 'expected a JSON object, got string', raw: '"text"', truncated: false, request: 'req-2' },
    ]);
  });

  it('takes only ingest tokens (and ingest tokens nothing else), refuses other media types, empty and oversized bodies', async () => {
    const set = await ruleset(RULES);
    const input = new PassThrough();
    input.end();
    const w = await worker(set, input, { bodyLimitBytes: 2048 });
    await w.run.done;
    expect((await post(w.url, JSON.stringify(failure('a', 0)), 'application/x-ndjson', VIEWER_TOKEN)).status).toBe(403);
    expect((await fetch(`${w.url}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{}' })).status).toBe(401);
    expect((await fetch(`${w.url}/rules`, { headers: { authorization: `Bearer ${INGEST_TOKEN}` } })).status).toBe(403);
    const form = await post(w.url, 'a=b', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect((await errorOf(form)).message).toMatch(/send application\/x-ndjson or .*application\/json/);
    expect((await post(w.url, '\n  \n')).status).toBe(400);
    const badJson = await post(w.url, '[{"id": ', 'application/json');
    expect(badJson.status).toBe(400);
    expect((await errorOf(badJson)).message).toMatch(/^body: invalid JSON/);
    const big = await post(w.url, `${JSON.stringify(failure('a', 0))}\n`.repeat(20));
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe('payload_too_large');
    await w.ingest.stop();
    await w.run.close();
    // Nothing above reached the pipeline.
    expect(w.run.pipeline.counts.alerts).toBe(0);
  });

  it('answers 429 while the outputs hold more than maxPendingBytes not yet written (a reader that does not keep up)', async () => {
    const set = await ruleset(RULES);
    const fifo = join(tempDir(), 'decisions.fifo');
    execFileSync('mkfifo', [fifo]);
    const input = new PassThrough();
    input.end();
    const w = await worker(set, input, { maxPendingBytes: 1024, outputs: { decisions: fifo } });
    await w.run.done;
    // No one reads the FIFO yet: the first body is decided, and its answer waits for the decisions to be taken.
    const body = Array.from({ length: 50 }, (_, i) => JSON.stringify(failure(`p${i}`, i / 100))).join('\n');
    const first = post(w.url, body);
    await until(() => w.run.pendingBytes() > 1024);
    const refused = await post(w.url, JSON.stringify(failure('late', 1)));
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).message).toMatch(/the outputs hold \d+ bytes not yet written \(ingest.http.maxPendingBytes 1024\)/);
    const reader = createReadStream(fifo);
    let read = '';
    reader.on('data', (d) => (read += d.toString()));
    expect((await first).status).toBe(200);
    await until(() => w.run.pendingBytes() <= 1024);
    expect((await post(w.url, JSON.stringify(failure('after', 2)))).status).toBe(200);
    await w.ingest.stop();
    await w.run.close();
    await new Promise<void>((resolve) => reader.once('close', () => resolve()));
    expect(read.trim().split('\n')).toHaveLength(51);
  });

  it('a route for a named format decides its bodies in that format, whatever the input format', async () => {
    const set = await ruleset(RULES);
    const dir = tempDir();
    const mapping = join(dir, 'map.yaml');
    writeFileSync(mapping, 'source: { const: zeek }\ntime: ts\nname: note\nseverity: { const: low }\n');
    const input = new PassThrough();
    input.end();
    const run = runStream(input, { ruleset: set, normalize: createNormalizer({ format: 'generic', mapping: await loadMapping(mapping) }), maxLineBytes: 4096, outputs: {}, holdOpen: true });
    await run.done;
    const ingest = new FileIngest(run, { maxLineBytes: 4096, maxPendingBytes: 1 << 20, retryAfterSeconds: 1, log: pino({ level: 'silent' }) });
    const line = { line: 1, text: JSON.stringify(failure('c1', 0)) };
    expect(await ingest.ingest({ lines: [line], tokenName: 'fwd' })).toMatchObject({ accepted: 0, deadLettered: 1 });
    expect(await ingest.ingest({ lines: [line], format: 'canonical', tokenName: 'fwd' })).toMatchObject({ accepted: 1, deadLettered: 0, decisions: { pass: 1 } });
    expect(await ingest.ingest({ lines: [line], format: 'no-such-format', tokenName: 'fwd' })).toMatchObject({
      deadLettered: 1,
      deadLetters: [{ line: 1, reason: expect.stringMatching(/names format "no-such-format", which is none of auto, canonical, generic/) }],
    });
    await run.close();
  });
});

/** Alertmanager's webhook payloads as it posts them: fixtures/formats/alertmanager.ndjson (version 4, and Grafana's), 4 payloads, 5 alerts. */
const ALERTMANAGER_FIXTURE = join(import.meta.dirname, '../../fixtures/formats/alertmanager.ndjson');
const ALERTMANAGER_RULES = join(import.meta.dirname, '../../fixtures/formats/rules');

describe('POST /ingest/alertmanager on the file worker', () => {
  const postWebhook = (url: string, body: string, type = 'application/json', token = INGEST_TOKEN) =>
    fetch(`${url}/ingest/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });

  it("decides each element of an Alertmanager webhook's alerts[] as replay decides the payloads, whatever input.format is", async () => {
    const set = await loadRulesOrThrow(ALERTMANAGER_RULES);
    const payloads = readFileSync(ALERTMANAGER_FIXTURE, 'utf8').trim().split('\n');
    const input = new PassThrough();
    const w = await worker(set, input);
    // Behind while the input file is decided, as POST /ingest.
    const early = await postWebhook(w.url, payloads[0]!);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('3');
    input.end();
    await w.run.done;
    const answers = [];
    for (const payload of payloads) {
      const answer = await postWebhook(w.url, payload);
      expect(answer.status).toBe(200);
      answers.push((await answer.json()) as { lines: number; accepted: number; deadLettered: number; decisions: Record<string, number> });
    }
    expect(answers.map((a) => [a.lines, a.accepted, a.deadLettered])).toEqual([[1, 1, 0], [1, 2, 0], [1, 1, 0], [1, 1, 0]]);
    await w.ingest.stop();
    await w.run.close();
    // The worker's input is canonical: only the route's format read these. Replay of the payloads (auto) decides the same.
    const expected = runPipeline(set, payloads, 'auto');
    expect(expected.counts.alerts).toBe(5);
    expect(expected.counts.promoted).toBeGreaterThan(0);
    const decided = readFileSync(w.files.decisions, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(decided).toEqual(expected.decisions.map((d) => JSON.parse(JSON.stringify(d)) as unknown));
    expect(answers.reduce((n, a) => n + a.decisions.promote!, 0)).toBe(expected.counts.promoted);
  });

  it('an element that is no alert is a dead letter of its own, named by its place; the others are decided', async () => {
    const set = await loadRulesOrThrow(ALERTMANAGER_RULES);
    const input = new PassThrough();
    input.end();
    const w = await worker(set, input);
    await w.run.done;
    const payload = JSON.parse(readFileSync(ALERTMANAGER_FIXTURE, 'utf8').split('\n')[0]!) as { alerts: Record<string, unknown>[] };
    payload.alerts.push({ ...payload.alerts[0], startsAt: 'yesterday', fingerprint: 'ffff0000' });
    const answer = await postWebhook(w.url, JSON.stringify(payload));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ lines: 1, accepted: 1, deadLettered: 1, deadLetters: [{ line: 1, reason: expect.stringMatching(/^\/alerts\/1\/startsAt \(time\): unparseable timestamp "yesterday"/) }] });
    await w.ingest.stop();
    await w.run.close();
    expect(JSON.parse(readFileSync(w.files.deadLetters, 'utf8'))).toMatchObject({ request: 'req-1', reason: expect.stringMatching(/^\/alerts\/1\/startsAt/) });
  });

  it('takes only JSON, only from an ingest token, only up to the body limit', async () => {
    const set = await loadRulesOrThrow(ALERTMANAGER_RULES);
    const input = new PassThrough();
    input.end();
    const w = await worker(set, input, { bodyLimitBytes: 1024 });
    await w.run.done;
    const payload = readFileSync(ALERTMANAGER_FIXTURE, 'utf8').split('\n')[0]!;
    expect((await postWebhook(w.url, payload, 'application/x-ndjson')).status).toBe(415);
    expect((await postWebhook(w.url, payload, 'application/json', VIEWER_TOKEN)).status).toBe(403);
    expect((await postWebhook(w.url, payload, 'application/json', 'wrong-token-0123456789')).status).toBe(401);
    const big = await postWebhook(w.url, JSON.stringify({ ...JSON.parse(payload), padding: 'x'.repeat(2048) }));
    expect(big.status).toBe(413);
    expect(w.run.pipeline.counts.alerts).toBe(0);
    await w.ingest.stop();
    await w.run.close();
  });
});

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

function writeInput(text: string): string {
  const file = join(tempDir(), 'in.ndjson');
  writeFileSync(file, text);
  return file;
}

/**
 * Resolves once `done()` holds, polling (the condition is another stream's state, not an event of ours).
 * Bounded by time, not by turns: the FIFO's writes finish on libuv's thread pool, which a busy machine
 * delays by more than any fixed number of event-loop turns.
 */
async function until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!done()) throw new Error(`condition never held in ${timeoutMs} ms`);
}
