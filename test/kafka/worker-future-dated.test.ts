import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { checkpointMessages, StateLogReader, type Checkpoint } from '../../src/worker/state-log.js';
import { callApi, tempDir } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';
import { cleanups, get, lastByKey, metric, produceCli, readTopic, REPO, replay, runCleanups, SOC_WEEK, startWorker, uniqueOutputs, writeWorkerConfig, type WorkerProcess } from './worker-harness.js';

afterEach(runCleanups);

const WEEK = readFileSync(SOC_WEEK, 'utf8').trim().split('\n');
const NINES = Date.UTC(9999, 11, 31, 23, 59, 59);
const ENGINEER = 'engineer-token-5e1b77c2a9';
const API = { api: { tokens: [{ name: 'eng', role: 'engineer', token: ENGINEER }] } };
/** A version-1 pipeline snapshot the base commit (0703d3b) wrote after WEEK's first 300 lines with an alert dated 9999 as line 2 (test/pipeline/watermark-reset.test.ts). */
const BASE_POISONED = JSON.parse(readFileSync(join(REPO, 'test/fixtures/base-0703d3b-poisoned-snapshot.json'), 'utf8')) as Checkpoint['pipeline'];

function linesFile(lines: readonly string[]): string {
  const file = join(tempDir('alertgate-future-'), 'input.ndjson');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Valid alerts among lines (what becomes a decision rather than a dead letter). */
function validAmong(lines: readonly string[]): number {
  const normalize = createNormalizer({ format: 'auto' });
  return lines.filter((text, i) => normalize(text, i + 1).ok).length;
}

/** The state topic's newest complete checkpoint, read as the decider reads it. */
async function latestCheckpoint(stateTopic: string): Promise<Checkpoint> {
  const records = await (await readTopic(stateTopic)).toEnd(20_000);
  const reader = new StateLogReader();
  for (const r of records) reader.add({ offset: r.offset, value: r.rawValue, headers: r.headers });
  const { checkpoint } = reader.result();
  if (!checkpoint) throw new Error(`no checkpoint in ${stateTopic}`);
  return checkpoint;
}

const api = async (worker: WorkerProcess, method: 'GET' | 'POST', path: string, body?: unknown) => callApi(await worker.url(), ENGINEER, method, path, body);

const late = async (worker: WorkerProcess) => metric((await get(`${await worker.url()}/metrics`)).body, 'alertgate_alerts_late_total');

/**
 * The base commit's poisoned state as the decider finds it: a new input topic with WEEK's first 300
 * lines, a checkpoint after them holding BASE_POISONED, and a new group's offsets committed at it.
 */
async function poisonedGroup(prefix: string): Promise<{ input: string; groupId: string }> {
  const input = await createTopic(uniqueTopic(`${prefix}-alerts`), 1);
  const groupId = uniqueGroup(prefix);
  await produceCli(['--input', linesFile(WEEK.slice(0, 300)), '--topic', input]);
  const stateTopic = await createTopic(`${groupId}-state`, 1);
  const producer = kafkaClient().producer();
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const checkpoint = { version: 1, seq: 1, epoch: 1, positions: [[input, 0, 300]], pipeline: BASE_POISONED } as Checkpoint;
  const [written] = await producer.send({ topic: stateTopic, acks: -1, messages: checkpointMessages(checkpoint, 512 * 1024).map((m) => ({ ...m, partition: 0 })) });
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.setOffsets({ groupId, topic: input, partitions: [{ partition: 0, offset: '300' }] });
    await admin.setOffsets({ groupId, topic: stateTopic, partitions: [{ partition: 0, offset: String(written!.baseOffset) }] });
  } finally {
    await admin.disconnect();
  }
  return { input, groupId };
}

describeKafka('alertgate run on Kafka: alerts dated in the future', () => {
  it('an alert dated 9999 does not poison the checkpoint: the watermark written is the stream\'s, and a worker restarted from it decides the rest as replay does', async () => {
    const copy = { ...(JSON.parse(WEEK[0]!) as object), id: 'future-9999', time: '9999-12-31T23:59:59.000Z' };
    const lines = [WEEK[0]!, JSON.stringify(copy), ...WEEK.slice(1)];
    const expected = replay(linesFile(lines));
    const input = await createTopic(uniqueTopic('future-alerts'), 1);
    const outputs = uniqueOutputs('future');
    const groupId = uniqueGroup('future');
    const config = writeWorkerConfig({ input: [input], outputs, groupId });

    const half = 4000;
    await produceCli(['--input', linesFile(lines.slice(0, half)), '--topic', input]);
    const first = startWorker(config);
    await first.joined();
    // The worker created its output topics at start.
    const decisions = await readTopic(outputs.decisions);
    await decisions.distinctKeys(validAmong(lines.slice(0, half)), 40_000);
    expect((await first.stop()).code).toBe(0);

    const checkpoint = await latestCheckpoint(`${groupId}-state`);
    expect(checkpoint.pipeline.version).toBe(2);
    expect(checkpoint.pipeline.watermarkMs).toBeLessThan(Date.UTC(2026, 11, 1));
    for (const w of checkpoint.pipeline.windows) expect(w.store.watermarkMs ?? 0, w.ruleId).toBeLessThan(Date.UTC(2026, 11, 1));
    expect(checkpoint.pipeline.counts).toMatchObject({ futureDated: 1, clamped: 1, late: 0 });

    await produceCli(['--input', linesFile(lines.slice(half)), '--topic', input]);
    const second = startWorker(config);
    await decisions.distinctKeys(expected.decisions.size, 40_000);
    expect(lastByKey(decisions.records)).toEqual(expected.decisions);
    expect(JSON.parse(expected.decisions.get('future-9999')!).explanation.clamped).toMatchObject({ maxFutureSkew: '6h' });
    expect(await late(second)).toBe(0);
    expect((await second.stop()).code).toBe(0);
  }, 120_000);

  it('a checkpoint poisoned before the skew bound (version 1, watermark 9999) is repaired with POST /watermark/reset, between two chunks, and the repair survives a restart', async () => {
    const { input, groupId } = await poisonedGroup('poisoned');
    const outputs = uniqueOutputs('poisoned');
    // No checkpoint by the clock: the only ones written are the repair's and the stops'.
    const config = writeWorkerConfig({ input: [input], outputs, groupId, state: { checkpointIntervalMs: 600_000 }, extra: API });
    const worker = startWorker(config);
    // The base commit's rules fingerprint differs from today's (the rule schema gained fields), so the
    // restore says so; either message is the restore.
    const restored = await worker.waitForLog((l) => String(l.msg).startsWith('restored the state from the state topic'), 30_000);
    expect(restored.checkpoint).toBe(1);
    const decisions = await readTopic(outputs.decisions);
    let decided = 0;
    const produce = async (from: number, to: number) => {
      await produceCli(['--input', linesFile(WEEK.slice(from, to)), '--topic', input]);
      decided += validAmong(WEEK.slice(from, to));
      await decisions.distinctKeys(decided, 40_000);
    };

    await produce(300, 1300);
    // Poisoned: nearly all of it is late, and the API says why.
    const lateWhilePoisoned = (await late(worker))! - 187;
    expect(lateWhilePoisoned).toBeGreaterThan(500);
    const shown = await api(worker, 'GET', '/watermark');
    expect(shown.body).toMatchObject({ deciding: true, watermark: '9999-12-31T23:59:59.000Z', poisoned: true });

    const reset = await api(worker, 'POST', '/watermark/reset', { to: 'recent' });
    expect(reset).toMatchObject({ status: 200, body: { applied: true, from: '9999-12-31T23:59:59.000Z', to: shown.body.streamTime, windowEventsDropped: 1 } });
    expect(await worker.waitForLog((l) => l.event === 'watermark.reset', 10_000)).toMatchObject({ audit: true, actor: 'eng', requested: 'recent', to: shown.body.streamTime });
    const lateAtReset = await late(worker);
    await produce(1300, 2300);
    expect(await late(worker)).toBe(lateAtReset);
    expect((await worker.stop()).code).toBe(0);

    const checkpoint = await latestCheckpoint(`${groupId}-state`);
    expect(checkpoint.pipeline).toMatchObject({ version: 2 });
    expect(checkpoint.pipeline.watermarkMs).toBeLessThan(Date.UTC(2026, 11, 1));

    const again = startWorker(config);
    await again.waitForLog((l) => l.msg === 'restored the state from the state topic', 30_000);
    expect((await api(again, 'GET', '/watermark')).body).toMatchObject({ poisoned: false, watermark: new Date(checkpoint.pipeline.watermarkMs!).toISOString() });
    await produce(2300, 3300);
    expect(await late(again)).toBe(lateAtReset);
    expect((await again.stop()).code).toBe(0);
  }, 120_000);

  it('alertgate run --reset-watermark <time> repairs a poisoned checkpoint before deciding anything new', async () => {
    const { input, groupId } = await poisonedGroup('cli-reset');
    const normalize = createNormalizer({ format: 'auto' });
    const newest = Math.max(...WEEK.slice(0, 300).flatMap((text, i) => {
      const r = normalize(text, i + 1);
      return r.ok === true ? [r.timeMs] : [];
    }));
    const to = new Date(newest).toISOString();
    const outputs = uniqueOutputs('cli-reset');
    const worker = startWorker(writeWorkerConfig({ input: [input], outputs, groupId, state: { checkpointIntervalMs: 600_000 } }), ['--reset-watermark', to]);
    const audit = await worker.waitForLog((l) => l.event === 'watermark.reset', 30_000);
    expect(audit).toMatchObject({ actor: 'cli', requested: to, from: '9999-12-31T23:59:59.000Z', to });
    const decisions = await readTopic(outputs.decisions);

    await produceCli(['--input', linesFile(WEEK.slice(300, 1300)), '--topic', input]);
    await decisions.distinctKeys(validAmong(WEEK.slice(300, 1300)), 40_000);
    // Nothing after the repair is late: the 187 late alerts are the poisoned checkpoint's.
    expect(await late(worker)).toBe(187);
    expect((await worker.stop()).code).toBe(0);
    expect((await latestCheckpoint(`${groupId}-state`)).pipeline.watermarkMs).toBeLessThan(Date.UTC(2026, 11, 1));
  }, 120_000);
});
