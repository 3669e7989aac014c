/**
 * Helpers for the worker suites: run `alertgate run` (the built CLI, as a child process) on the test
 * broker, read what it produced, and run `alertgate replay` / `alertgate produce` for comparison.
 *
 *   const worker = await startWorker(writeWorkerConfig({ input: [topic], outputs }));
 *   await worker.joined();                          // its consumer is in the group
 *   const decisions = await readTopic(outputs.decisions).atLeast(100, 20_000);
 *   expect(await worker.stop()).toMatchObject({ code: 0 });
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Consumer, IHeaders } from 'kafkajs';
import { stringify } from 'yaml';
import { tempDir } from '../helpers.js';
import { kafkaBrokers, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO, 'bin', 'alertgate.js');
export const SOC_WEEK = join(REPO, 'fixtures', 'soc-week.ndjson');
export const RULES = join(REPO, 'rules');

/** Cleanups for afterEach, newest first. */
export const cleanups: (() => Promise<unknown>)[] = [];
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

export interface OutputTopicNames {
  decisions: string;
  incidents: string;
  deadLetters: string;
}

export function uniqueOutputs(prefix: string): OutputTopicNames {
  return {
    decisions: uniqueTopic(`${prefix}-decisions`),
    incidents: uniqueTopic(`${prefix}-incidents`),
    deadLetters: uniqueTopic(`${prefix}-dead-letters`),
  };
}

export interface WorkerConfigOptions {
  input: string[];
  outputs: OutputTopicNames;
  groupId?: string;
  rules?: string;
  maxLineBytes?: number;
  consumer?: Record<string, unknown>;
  shutdownTimeoutMs?: number;
  delivery?: 'at-least-once' | 'exactly-once';
  /** kafka.state (checkpoint interval, retention). */
  state?: Record<string, unknown>;
  /** Watch the rules directory and reload it when it changes. */
  watchRules?: boolean;
  /** More top-level config sections (ledger, api, feedback, metrics). */
  extra?: Record<string, unknown>;
  /** More fields of the kafka section (shardBy, shardPartitions). */
  kafka?: Record<string, unknown>;
}

/** A worker config file (YAML) on the test broker; output topics are created by the worker. */
export function writeWorkerConfig(options: WorkerConfigOptions): string {
  const config = {
    rules: options.rules ?? RULES,
    input: { maxLineBytes: options.maxLineBytes ?? 1024 * 1024 },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...(options.watchRules ? { watchRules: true } : {}),
    ...options.extra,
    kafka: {
      brokers: kafkaBrokers(),
      clientId: 'alertgate-test-worker',
      groupId: options.groupId ?? uniqueGroup('worker'),
      topics: { input: options.input, ...options.outputs },
      // partitions and replication factor -1: the broker's defaults (1 on the test broker).
      createTopics: { enabled: true },
      consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, ...options.consumer },
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 15_000,
      ...(options.delivery ? { delivery: options.delivery } : {}),
      ...(options.state ? { state: options.state } : {}),
      ...options.kafka,
    },
  };
  const file = join(tempDir('alertgate-worker-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

type LogLine = Record<string, unknown> & { msg?: string };

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Parsed pino lines so far. */
  readonly logs: LogLine[];
  stderr(): string;
  stdout(): string;
  /** The HTTP base URL, once it listens. */
  url(): Promise<string>;
  /** Resolves with the first log line matching, now or later; rejects after timeoutMs or if the worker exits. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Resolves once the worker's consumer has joined its group. */
  joined(timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Spawns `alertgate run --config <file> [args]`; registers a cleanup that kills it if the test did not stop it. */
export function startWorker(configFile: string, args: readonly string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configFile, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let stderr = '';
  let stdout = '';
  let partial = '';
  const listeners = new Set<() => void>();
  let exit: { code: number | null } | undefined;
  const exited = new Promise<{ code: number | null }>((resolve) =>
    child.once('exit', (code) => {
      exit = { code };
      resolve(exit);
      for (const l of [...listeners]) l();
    }),
  );
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const l of [...listeners]) l();
  });
  cleanups.push(async () => {
    if (exit === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (found) return done(() => resolve(found));
        if (exit) return done(() => reject(new Error(`worker exited (code ${exit!.code}) first; stderr:\n${tail(stderr)}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no matching log line after ${timeoutMs} ms; stderr:\n${tail(stderr)}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  return {
    child,
    logs,
    stderr: () => stderr,
    stdout: () => stdout,
    url: async () => String((await waitForLog((l) => typeof l.url === 'string', 20_000)).url),
    waitForLog,
    joined: async (timeoutMs = 30_000) => {
      await waitForLog((l) => l.msg === 'joined the consumer group', timeoutMs);
    },
    stop: async (signal = 'SIGTERM') => {
      const started = performance.now();
      if (exit === undefined) child.kill(signal);
      const { code } = await exited;
      return { code, ms: performance.now() - started };
    },
  };
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** `alertgate produce ...`: resolves with its stdout, rejects with its stderr. */
export function produceCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'produce', '--brokers', kafkaBrokers()!.join(','), ...args], { cwd: REPO }, (error, stdout, stderr) => {
      if (error) reject(new Error(`alertgate produce failed (${error.code}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface ReplayResult {
  summary: Record<string, number>;
  /** Decision JSON lines by alert id. */
  decisions: Map<string, string>;
  incidents: string[];
  deadLetters: { line: number; reason: string }[];
}

/**
 * The input as one sequence, merged the way the decider documents it (docs/kafka.md): partitions in
 * offset order, the record with the smallest timestamp first, ties to the lower partition. Written
 * here from the description, not with the worker's code, so the two check each other.
 */
export function mergedOrder(records: readonly TopicRecord[]): TopicRecord[] {
  const byPartition = new Map<number, TopicRecord[]>();
  for (const r of records) {
    let list = byPartition.get(r.partition);
    if (!list) byPartition.set(r.partition, (list = []));
    list.push(r);
  }
  const parts = [...byPartition.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list.sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset))));
  const heads = parts.map(() => 0);
  const out: TopicRecord[] = [];
  for (;;) {
    let best = -1;
    parts.forEach((list, p) => {
      const r = list[heads[p]!];
      if (r === undefined) return;
      if (best < 0 || Number(r.timestamp) < Number(parts[best]![heads[best]!]!.timestamp)) best = p;
    });
    if (best < 0) return out;
    out.push(parts[best]![heads[best]!++]!);
  }
}

/** `alertgate replay` over messages (their values as the lines of a file, in the given order). */
export function replayMessages(records: readonly TopicRecord[], rules = RULES): ReplayResult {
  const file = join(tempDir('alertgate-merged-'), 'input.ndjson');
  writeFileSync(file, Buffer.concat(records.flatMap((r) => [r.rawValue ?? Buffer.alloc(0), Buffer.from('\n')])));
  return replay(file, rules);
}

/** `alertgate replay` over a file, for the expected outputs; `args`: more flags (e.g. --config). */
export function replay(input: string, rules = RULES, args: readonly string[] = []): ReplayResult {
  const dir = tempDir('alertgate-replay-');
  const files = { decisions: join(dir, 'd.ndjson'), incidents: join(dir, 'i.ndjson'), deadLetters: join(dir, 'dl.ndjson') };
  const r = spawnSync(
    process.execPath,
    [BIN, 'replay', '--rules', rules, '--input', input, '--summary', 'json', '--decisions', files.decisions, '--incidents', files.incidents, '--dead-letters', files.deadLetters, ...args],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
  const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return {
    summary: JSON.parse(r.stdout) as Record<string, number>,
    decisions: new Map(lines(files.decisions).map((l) => [(JSON.parse(l) as { alertId: string }).alertId, l])),
    incidents: lines(files.incidents),
    deadLetters: lines(files.deadLetters).map((l) => JSON.parse(l) as { line: number; reason: string }),
  };
}

export interface TopicRecord {
  partition: number;
  offset: string;
  timestamp: string;
  key: string | undefined;
  value: string | undefined;
  rawValue: Buffer | null;
  headers: Record<string, string>;
}

export interface TopicReader {
  readonly records: TopicRecord[];
  /** Resolves once at least `count` records arrived; rejects after timeoutMs. */
  atLeast(count: number, timeoutMs: number): Promise<TopicRecord[]>;
  /** Resolves once records with at least `count` distinct keys arrived (at-least-once: duplicates allowed). */
  distinctKeys(count: number, timeoutMs: number): Promise<TopicRecord[]>;
  /** Reads until the topic's end offsets as of now, and returns everything read. */
  toEnd(timeoutMs: number): Promise<TopicRecord[]>;
  /** Resolves once `done(records)` holds; rejects after timeoutMs with `what()`. */
  until(done: (records: TopicRecord[]) => boolean, timeoutMs: number, what: () => string): Promise<TopicRecord[]>;
  stop(): Promise<void>;
}

/**
 * Reads a topic from the beginning with a group of its own, collecting every record. Only committed
 * transactions' records are read (isolation.level read_committed, kafkajs' default), as a consumer of
 * an exactly-once worker's outputs must.
 */
export async function readTopic(topic: string): Promise<TopicReader> {
  const kafka = kafkaClient();
  const consumer: Consumer = kafka.consumer({ groupId: uniqueGroup('reader'), maxWaitTimeInMs: 200, readUncommitted: false });
  const records: TopicRecord[] = [];
  const waiters = new Set<() => void>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        records.push({
          partition: batch.partition,
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key?.toString('utf8'),
          value: m.value?.toString('utf8'),
          rawValue: m.value,
          headers: headersOf(m.headers),
        });
      }
      for (const w of [...waiters]) w();
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await consumer.disconnect();
  };
  cleanups.push(stop);

  const until = (done: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<TopicRecord[]>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        finish();
        resolve(records);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${topic}: ${what()} after ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    records,
    until: (done, timeoutMs, what) => until(() => done(records), timeoutMs, what),
    atLeast: (count, timeoutMs) => until(() => records.length >= count, timeoutMs, () => `only ${records.length} of ${count} records arrived`),
    distinctKeys: (count, timeoutMs) => {
      const distinct = () => new Set(records.map((r) => r.key)).size;
      return until(() => distinct() >= count, timeoutMs, () => `only ${distinct()} of ${count} distinct keys arrived`);
    },
    toEnd: async (timeoutMs) => {
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
      const reached = () =>
        ends.every(({ partition, high }) => BigInt(high) === 0n || records.some((r) => r.partition === partition && BigInt(r.offset) + 1n >= BigInt(high)));
      return until(reached, timeoutMs, () => `end offsets ${JSON.stringify(ends.map((e) => e.high))} not reached (${records.length} records)`);
    },
    stop,
  };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

/** Fetches `url` and returns the status and body text. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** A counter's value in Prometheus text. */
export function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The last value written under each key: what a compacted topic, or a consumer that dedupes, keeps. */
export function lastByKey(records: readonly TopicRecord[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const r of [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))) last.set(r.key!, r.value!);
  return last;
}

/** Records under one key must be the same record: a redelivery repeats, it never contradicts. */
export function conflictsOf(records: readonly TopicRecord[], identity: (r: TopicRecord) => string): string[] {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const r of records) {
    const id = identity(r);
    const before = seen.get(id);
    if (before !== undefined && before !== r.value) conflicts.push(id);
    seen.set(id, r.value!);
  }
  return conflicts;
}

/** Incident records by id, as replay writes them (the final state of each incident). */
export function incidentsById(lines: readonly string[]): Map<string, string> {
  return new Map(lines.map((line) => [(JSON.parse(line) as { id: string }).id, line]));
}

/** Whether two maps hold the same keys with the same values. */
export function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

/** Polls `probe` until it returns a value (every 100 ms); throws `<what> after <timeoutMs> ms` past the deadline. */
export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
