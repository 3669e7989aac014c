import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Admin, Consumer, Message, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { jitteredBackoffMs } from '../kafka/backoff.js';
import type { RetryStatus } from '../kafka/retry-status.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { BatchOutputs } from '../sinks/kafka/batch-outputs.js';
import type { ProducerThread, SendTerm } from '../sinks/kafka/producer-thread.js';
import { MergedPartitions, type MergedRecord, type SourceMessage, type TopicPartition } from '../source/kafka/merged-partitions.js';
import type { ChunkProcessor } from './chunk-processor.js';
import { Wakeup } from './wakeup.js';
import { slicedJsonBytes } from './sliced-json.js';
import { checkpointParts, chunkMessage, StateLogReader, type Checkpoint, type ChunkRecord, type Position } from './state-log.js';

export interface DeciderOptions {
  readonly consumer: Consumer;
  readonly admin: Admin;
  /** Sends outputs and state records (and, exactly-once, runs the transactions) on a thread of its own. */
  readonly producer: ProducerThread;
  readonly processor: ChunkProcessor;
  readonly groupId: string;
  readonly inputTopics: readonly string[];
  readonly stateTopic: string;
  /** The state topic's partition this decider writes and recovers from: 0, or with shards its shard's. */
  readonly statePartition: number;
  readonly exactlyOnce: boolean;
  readonly fromBeginning: boolean;
  readonly maxChunkMessages: number;
  readonly maxBufferedMessages: number;
  readonly checkpointIntervalMs: number;
  /** At-least-once: an open incident is written at most once per this many ms; 0: after every chunk. */
  readonly incidentUpdateIntervalMs: number;
  /** Most bytes per checkpoint part (a message). */
  readonly checkpointPartBytes: number;
  readonly log: Logger;
  /** Counts the retries of the commit, takeover and transaction loops and says which are failing. */
  readonly retry: RetryStatus;
  readonly now?: () => number;
}

/** What the decider has done, for metrics and the shutdown summary. */
export interface DeciderStats {
  /** Chunks decided and sent (or, replayed from the state topic, decided again). */
  chunks: number;
  /** Chunks decided again without sending, to rebuild state after a restart or takeover. */
  replayedChunks: number;
  /** Times this worker took the partitions over and rebuilt the state. */
  recoveries: number;
  checkpoints: number;
  lastCheckpointBytes: number;
  commits: number;
  commitFailures: number;
  transactionsAborted: number;
}

/** One chunk on its way out: its outputs, where it ended and where the input stands after it. */
interface DecidedChunk {
  readonly seq: number;
  readonly outputs: BatchOutputs;
  /** The partitions it took records from: source → offset after its last record there. */
  readonly ends: ReadonlyMap<number, number>;
  readonly positions: Position[];
  /** The held incident updates its outputs write (incident update interval): released once they are acknowledged. */
  readonly releases?: HeldUpdates;
}

/**
 * Incident updates held back (incident update interval) since the chunk `seq`: the input positions
 * before it are as far as offsets may be committed until the updates are on the broker.
 */
interface HeldUpdates {
  readonly seq: number;
  readonly positions: Position[];
}

/** A chunk formed from the merge: new, or formed again from its record in the state topic. */
interface FormedChunk {
  readonly records: MergedRecord[];
  readonly ends: ReadonlyMap<number, number>;
  readonly seq: number;
  readonly recorded: boolean;
  /** Recorded and within the committed offsets: decided only to rebuild the state. */
  readonly silent: boolean;
}

/** A period of owning the input partitions, from recovery to the next rebalance that takes them away. */
class Term {
  active = true;
  /** Recovered and deciding (a placeholder while the state is read is not). */
  started = false;
  /** The last chunk formed. */
  seq = 0;
  /** Chunk records found in the state topic that are still to be formed again (after a recovery). */
  readonly replay: ChunkRecord[] = [];
  /** Input positions committed when the term began: a replayed chunk within them is decided silently. */
  committed = new Map<number, number>();
  /** The committed offset on the state partition: where the next recovery starts reading. */
  statePointer: number | undefined;
  /** State-topic offsets of this term's chunk records, by seq (for the pointer). */
  readonly chunkOffsets = new Map<number, number>();
  lastCheckpointSeq = -1;
  lastCheckpointAt: number;
  /** State-topic offset of the first part of the checkpoint being written. */
  checkpointOffset: number | undefined;
  /** The newest chunk whose outputs are on the broker (a checkpoint after it may be written). */
  ackedSeq = 0;
  committing: Promise<void> | undefined;
  /** Commits that failed in a row: the backoff before the next one grows with them. */
  commitFailures = 0;
  /** Ledger flushes before a checkpoint that failed in a row (the checkpoint waits for the ledger). */
  ledgerFailures = 0;
  /** The next commit after a failed one, once its backoff has passed. */
  commitRetry: ReturnType<typeof setTimeout> | undefined;
  /** Decided, not yet sent (at-least-once sends a chunk's outputs after its chunk record is on the broker). */
  pending: DecidedChunk | undefined;
  /** Serialized after a chunk; written once that chunk's outputs are on the broker. */
  checkpoint: { seq: number; messages: Message[] } | undefined;
  /** Input positions whose outputs are all on the broker. */
  ackedPositions: Position[] = [];
  /** Set when something new is to be committed (acknowledged outputs, a written checkpoint). */
  commitDue = false;
  /** Incident updates held since a chunk and not yet written (incident update interval). */
  held: HeldUpdates | undefined;
  /** Held incident updates written in outputs not yet acknowledged, oldest first. */
  releasing: HeldUpdates[] = [];
  /** When the held incident updates were last written. */
  incidentsWrittenAt: number;
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly epoch: number,
    readonly merged: MergedPartitions,
    now: number,
  ) {
    this.lastCheckpointAt = now;
    this.incidentsWrittenAt = now;
  }
}

/**
 * The decide loop of the worker that owns the input partitions (soleOwnerAssigner): buffers what the
 * consumer fetches, merges the partitions into one deterministic sequence of chunks (MergedPartitions),
 * runs each chunk through the pipeline, and delivers the outputs:
 *
 * - at-least-once: a chunk's record (where it ended in each partition) is written to the state topic
 *   before its outputs are sent; offsets are committed after the outputs are acknowledged. Sends are
 *   pipelined: each request carries the previous chunk's outputs and the next chunk's record. Over a
 *   single input partition there is no record, and a chunk's outputs go in the next request.
 * - exactly-once: one transaction per chunk with its record, its outputs and its offsets.
 *
 * When it takes the partitions over (start, restart, another worker's crash), it reads the state
 * topic from the committed pointer: the newest checkpoint restores windows and open incidents, and
 * the chunk records after it are formed again and decided, silently up to the committed offsets and
 * sent again after them, so every alert gets the decision it would have had without the interruption.
 */
export class Decider {
  readonly stats: DeciderStats = { chunks: 0, replayedChunks: 0, recoveries: 0, checkpoints: 0, lastCheckpointBytes: 0, commits: 0, commitFailures: 0, transactionsAborted: 0 };
  private term: Term | undefined;
  /** Reading the state topic for a recovery: records go to `reader` until `until`. */
  private recovery: { reader: StateLogReader; until: number; done: () => void } | undefined;
  private readonly wakeup = new Wakeup();
  private readonly now: () => number;
  private stopping = false;
  /** Set between a rebalance starting and the next assignment: no new sends or commits. */
  private rebalancing = false;
  private lastEpoch = 0;
  private pendingReload: { ruleset: CompiledRuleSet; done: (report: { kept: string[]; reset: string[] }) => void } | undefined;
  /** A change to the state (changeState) waiting for its turn between two chunks. */
  private pendingChange: { change: (pipeline: Pipeline) => unknown; done: (result: unknown) => void; fail: (err: Error) => void } | undefined;
  /** A change applied, its checkpoint not yet on the broker: no new chunk is decided until it is. */
  private changeCheckpoint: { checkpoint: object; done: () => void; fail: (err: Error) => void } | undefined;
  /** The last checkpoint written, by epoch and chunk: the state log keys checkpoints so. */
  private lastWritten: { epoch: number; seq: number } | undefined;
  /** Partitions paused because their buffer is full. */
  private readonly full = new Set<number>();

  constructor(private readonly options: DeciderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Whether this worker owns the input partitions (told to the group's assigner, which keeps them here). */
  get owner(): boolean {
    return this.term?.active === true;
  }

  /** Owning and past the recovery, or a standby: either way able to do its part. */
  get settled(): boolean {
    return this.term === undefined || this.recovery === undefined;
  }

  lag(): { topic: string; partition: number; lag: number }[] {
    return this.term?.merged.lag() ?? [];
  }

  onRebalancing(): void {
    this.rebalancing = true;
  }

  /**
   * The group's new assignment (called from the GROUP_JOIN listener, synchronously, before kafkajs
   * fetches): every assigned partition is paused until the decider has placed it.
   */
  onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.rebalancing = false;
    const { consumer, inputTopics } = this.options;
    const inputs: TopicPartition[] = inputTopics.flatMap((topic) => (assignment[topic] ?? []).map((partition) => ({ topic, partition })));
    const paused = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions: [...partitions] }));
    if (paused.length > 0) consumer.pause(paused);

    const term = this.term;
    if (inputs.length === 0) {
      if (term) this.endTerm('the partitions moved to another worker');
      return;
    }
    if (term && term.active && term.started && sameInputs(term.merged.partitions, inputs)) {
      // Kept (sticky assignment): continue from where the buffers end; kafkajs forgot its positions.
      for (let source = 0; source < term.merged.partitions.length; source++) {
        const tp = term.merged.partitions[source]!;
        consumer.seek({ ...tp, offset: String(term.merged.fetchPosition(source)) });
        if (!this.full.has(source)) consumer.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
      }
      this.options.log.info({ partitions: inputs.length }, 'kept the input partitions after a rebalance');
      // A commit while the consumer was away may have done nothing (kafkajs drops it): commit again.
      term.commitDue = true;
      this.commitSoon(term);
      this.wakeup.notify();
      return;
    }
    const previous = term?.done ?? Promise.resolve();
    if (term) this.endTerm('the assignment changed');
    // Owner from now on (the assigner keeps the partitions here), deciding once the state is back.
    const placeholder = new Term(this.lastEpoch, new MergedPartitions(new Map()), this.now());
    this.term = placeholder;
    placeholder.done = previous.then(() => this.takeOver(placeholder, inputs));
  }

  /** A fetched batch (kafkajs eachBatch). Returns whether it was taken (else it is fetched again). */
  onBatch(topic: string, partition: number, messages: readonly (SourceMessage & { headers?: Message['headers'] })[], nextOffset: number, highWatermark: number): void {
    if (topic === this.options.stateTopic) {
      const recovery = this.recovery;
      if (recovery === undefined) return;
      for (const message of messages) if (Number(message.offset) < recovery.until) recovery.reader.add(message);
      if (nextOffset >= recovery.until) recovery.done();
      return;
    }
    const term = this.term;
    const source = term?.merged.sourceOf(topic, partition);
    if (term === undefined || source === undefined) return;
    term.merged.add(source, messages, nextOffset, highWatermark);
    if (term.merged.buffered(source) >= this.options.maxBufferedMessages && !this.full.has(source)) {
      this.full.add(source);
      this.options.consumer.pause([{ topic, partitions: [partition] }]);
    }
    this.wakeup.notify();
  }

  /** kafkajs skipped records it does not hand over (control records, aborted messages). */
  onSkipped(topic: string, partition: number, nextOffset: number, highWatermark: number): void {
    if (topic === this.options.stateTopic) {
      if (this.recovery && nextOffset >= this.recovery.until) this.recovery.done();
      return;
    }
    const source = this.term?.merged.sourceOf(topic, partition);
    if (source === undefined) return;
    this.term!.merged.skip(source, nextOffset, highWatermark);
    this.wakeup.notify();
  }

  /** Applies a new rule set between two chunks, after checkpointing the state the old rules built. */
  reload(ruleset: CompiledRuleSet): Promise<{ kept: string[]; reset: string[] }> {
    if (this.term === undefined) return Promise.resolve(this.options.processor.pipeline.reload(ruleset));
    return new Promise((done) => {
      this.pendingReload = { ruleset, done };
      this.wakeup.notify();
    });
  }

  /**
   * Changes the pipeline's state outside the input (a watermark repair) between two chunks, once the
   * recovery's replay is done. The changed state is checkpointed at once and no chunk is decided until
   * that checkpoint is on the broker, so a crash loses the change with nothing decided after it, or keeps
   * it. The state log keys checkpoints by chunk and owner (epoch) and would mix the parts of two after
   * the same chunk, so a change waits for a chunk when this owner has checkpointed the current one
   * already (an idle stream). Resolves with `change`'s result once checkpointed; rejects if `change`
   * throws, the partitions move away or the worker stops first.
   */
  changeState<T>(change: (pipeline: Pipeline) => T): Promise<T> {
    if (this.pendingChange || this.changeCheckpoint) return Promise.reject(new Error('another change of the state is waiting for its checkpoint'));
    return new Promise<T>((done, fail) => {
      this.pendingChange = { change, done: done as (result: unknown) => void, fail };
      this.wakeup.notify();
    });
  }

  /** Stops forming chunks, sends what is decided, writes a checkpoint and commits. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    this.recovery?.done();
    await this.term?.done;
    this.pendingChange?.fail(new Error('the worker stopped before the change was applied'));
    this.pendingChange = undefined;
  }

  private endTerm(why: string): void {
    const term = this.term!;
    term.active = false;
    clearTimeout(term.commitRetry);
    this.options.retry.recovered('commit');
    this.options.producer.cancel(this.sendTerm(term));
    this.term = undefined;
    // A change belongs to the state this term held: the next owner restores its own.
    const moved = new Error('the partitions moved before the change was applied and checkpointed');
    this.pendingChange?.fail(moved);
    this.changeCheckpoint?.fail(moved);
    this.pendingChange = undefined;
    this.changeCheckpoint = undefined;
    this.recovery?.done();
    this.full.clear();
    this.wakeup.notify();
    this.options.log.warn({ why, lastChunk: term.seq }, 'no longer deciding: another worker owns the input partitions');
  }

  /** Takes the partitions over, trying again (with backoff) while the assignment stands. */
  private async takeOver(placeholder: Term, inputs: TopicPartition[]): Promise<void> {
    const { log, retry } = this.options;
    try {
      for (let attempt = 1; placeholder.active && !this.stopping; attempt++) {
        try {
          await this.startTerm(placeholder, inputs);
          return;
        } catch (err) {
          retry.failed('takeover');
          const retryInMs = jitteredBackoffMs(attempt);
          log.error({ err, attempt, retryInMs }, 'taking over the input partitions failed; trying again');
          // A stop or a new assignment wakes it early.
          await this.wakeup.wait(retryInMs);
        }
      }
    } finally {
      retry.recovered('takeover');
    }
  }

  private async startTerm(placeholder: Term, inputs: TopicPartition[]): Promise<void> {
    const { admin, consumer, groupId, stateTopic, statePartition, log, processor } = this.options;
    const started = this.now();
    const topics = [...new Set(inputs.map((tp) => tp.topic))];
    const [committedByTopic, watermarks, stateWatermarks] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [...topics, stateTopic] }),
      Promise.all(topics.map(async (topic) => ({ topic, offsets: await admin.fetchTopicOffsets(topic) }))),
      admin.fetchTopicOffsets(stateTopic),
    ]);
    const committed = new Map<string, number>();
    for (const { topic, partitions } of committedByTopic) {
      for (const p of partitions) if (Number(p.offset) >= 0) committed.set(tpKey(topic, p.partition), Number(p.offset));
    }
    const edges = new Map<string, { low: number; high: number }>();
    for (const { topic, offsets } of watermarks) for (const o of offsets) edges.set(tpKey(topic, o.partition), { low: Number(o.low), high: Number(o.high) });
    const stateHigh = Number(stateWatermarks.find((o) => o.partition === statePartition)?.high ?? 0);
    const statePointer = committed.get(tpKey(stateTopic, statePartition));
    const resumed = inputs.some((tp) => committed.has(tpKey(tp.topic, tp.partition)));

    let found: ReturnType<StateLogReader['result']> = { checkpoint: undefined, chunks: [], warnings: [] };
    if (resumed && statePointer !== undefined && statePointer < stateHigh) found = await this.readState(statePointer, stateHigh);
    if (this.term !== placeholder || !placeholder.active || this.stopping) return;
    // One stable message (docs/logging.md); what was wrong with the record is in `problem`.
    for (const problem of found.warnings) log.warn({ stateTopic, problem }, 'a state topic record could not be used');

    const checkpoint = found.checkpoint;
    const saved = new Map((checkpoint?.positions ?? []).map(([topic, partition, offset]) => [tpKey(topic, partition), offset]));
    const positions = new Map<string, { tp: TopicPartition; offset: number }>();
    for (const tp of inputs) {
      const key = tpKey(tp.topic, tp.partition);
      const edge = edges.get(key) ?? { low: 0, high: 0 };
      // A checkpoint says where its state ends; without one, a resumed group starts empty at its commits.
      const offset = saved.get(key) ?? (checkpoint === undefined ? committed.get(key) : undefined) ?? (this.options.fromBeginning ? edge.low : edge.high);
      positions.set(key, { tp, offset: Math.max(offset, edge.low) });
    }
    const epoch = Math.max(this.lastEpoch, checkpoint?.epoch ?? 0, ...found.chunks.map((c) => c.epoch)) + 1;
    this.lastEpoch = epoch;
    const term = new Term(epoch, new MergedPartitions(positions), this.now());
    term.merged.partitions.forEach((tp, source) => {
      term.merged.setHighWatermark(source, edges.get(tpKey(tp.topic, tp.partition))?.high ?? 0);
      const c = committed.get(tpKey(tp.topic, tp.partition));
      if (c !== undefined) term.committed.set(source, c);
    });
    term.statePointer = statePointer;
    processor.setPartitions(term.merged.partitions);

    if (checkpoint) {
      const { kept, reset } = processor.pipeline.restore(checkpoint.pipeline);
      processor.routed?.restore(checkpoint.routed ?? []);
      term.seq = checkpoint.seq;
      term.lastCheckpointSeq = checkpoint.seq;
      term.replay.push(...found.chunks);
      if (!recordsChunks(term.merged)) term.replay.push(...this.unrecordedChunks(term, checkpoint.seq + found.chunks.length));
      const rules = processor.pipeline.snapshot().rulesFingerprint;
      const otherRules = checkpoint.pipeline.rulesFingerprint !== rules || found.chunks.some((c) => c.rules !== rules);
      log.info(
        { checkpoint: checkpoint.seq, chunksToReplay: term.replay.length, windowsKept: kept, windowsReset: reset, ...(otherRules ? { rulesChanged: true } : {}) },
        otherRules
          ? 'restored the state from the state topic; it was built with other rules, the replayed chunks are decided with the current ones'
          : 'restored the state from the state topic',
      );
    } else {
      processor.pipeline.reset();
      processor.routed?.restore([]);
      if (resumed) log.warn({ stateTopic }, 'no checkpoint in the state topic: windows and incidents start empty at the committed offsets');
      // The first checkpoint: where this state (empty) begins, so a crash before the next one can be recovered.
      term.checkpoint = await this.serializeCheckpoint(term);
    }
    this.stats.recoveries++;
    term.started = true;
    term.ackedSeq = term.seq;
    term.ackedPositions = positionsOf(term.merged);
    this.term = term;

    // Place every input partition and let kafkajs fetch: the merge starts at the checkpoint's positions.
    term.merged.partitions.forEach((tp, source) => {
      consumer.seek({ ...tp, offset: String(term.merged.fetchPosition(source)) });
    });
    consumer.resume(term.merged.partitions.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
    log.info(
      { epoch, partitions: term.merged.partitions.length, positions: Object.fromEntries([...positions.values()].map((p) => [`${p.tp.topic}-${p.tp.partition}`, p.offset])), ms: this.now() - started },
      'took over the input partitions',
    );
    term.done = this.runTerm(term).catch((err: unknown) => {
      // A send cut short because the partitions moved is not a failure.
      if (term.active) log.error({ err }, 'the decide loop failed; waiting for the next rebalance');
      term.active = false;
    });
    await term.done;
  }

  /** Reads the state partition from `from` up to `until` through the group's own consumer. */
  private async readState(from: number, until: number): Promise<ReturnType<StateLogReader['result']>> {
    const { consumer, stateTopic, statePartition } = this.options;
    const reader = new StateLogReader();
    await new Promise<void>((done) => {
      this.recovery = { reader, until, done };
      consumer.seek({ topic: stateTopic, partition: statePartition, offset: String(from) });
      consumer.resume([{ topic: stateTopic, partitions: [statePartition] }]);
    });
    this.recovery = undefined;
    consumer.pause([{ topic: stateTopic, partitions: [statePartition] }]);
    return reader.result();
  }

  /**
   * Decides chunk after chunk. A chunk is decided while the request before it is in flight, so the
   * pipeline's CPU time overlaps the broker's round trip; requests themselves go one at a time. Over
   * one input partition (overlapsSends), a decided chunk is handed to the producer thread at once, so
   * it sends the next request as soon as one is answered.
   */
  private async runTerm(term: Term): Promise<void> {
    const { processor, log } = this.options;
    let inFlight: Promise<void> | undefined;
    while (term.active) {
      if (this.stopping && term.replay.length > 0) {
        // Stopped while rebuilding: nothing new was decided; the next owner replays the same chunks.
        await inFlight;
        log.info({ chunksLeft: term.replay.length }, 'decider stopped during a replay');
        return;
      }
      if (this.pendingReload) await this.applyReload(term);
      if (this.pendingChange && term.replay.length === 0 && term.checkpoint === undefined && !this.checkpointedNow(term)) await this.applyChange(term);
      // Where the input stood before the chunk: as far as commits may go while its incident updates are held.
      const before = this.holdsIncidents() ? positionsOf(term.merged) : undefined;
      const chunk = this.changeCheckpoint ? undefined : this.nextChunk(term);
      if (chunk?.silent) {
        // Decided before, by this worker or another: the state is rebuilt, the metrics and the ledger count it once.
        processor.pipeline.stats.recording = false;
        processor.recorder?.setCounting(false);
        try {
          processor.process(chunk.records);
        } finally {
          processor.pipeline.stats.recording = true;
          processor.recorder?.setCounting(true);
        }
        this.stats.replayedChunks++;
        term.ackedSeq = chunk.seq;
        term.ackedPositions = positionsOf(term.merged);
        this.resumeDrained(term);
        // Silent chunks follow each other without a send to wait for: let the event loop turn between them.
        await nextTurn();
        continue;
      }
      const decided = chunk && this.decide(term, chunk, before);
      if (decided) this.resumeDrained(term);
      if (decided && this.checkpointDue(term)) term.checkpoint = await this.serializeCheckpoint(term);
      if (decided && inFlight && this.overlapsSends(term)) {
        // The producer thread sends this chunk as soon as the request before it is answered, not a
        // round trip of messages between the threads later; answers come in order, two chunks at most are out.
        const next = this.startPipelined(term, decided, false)!;
        // Its failure is met when it is awaited, not first as an unhandled rejection.
        next.catch(() => undefined);
        try {
          await inFlight;
        } catch (err) {
          // Nothing of this term may still be sending once its loop has ended.
          await next.catch(() => undefined);
          throw err;
        }
        inFlight = next;
        continue;
      }
      await inFlight;
      inFlight = undefined;
      if (this.stopping && !decided && term.pending === undefined && term.checkpoint === undefined && term.lastCheckpointSeq < term.seq) {
        term.checkpoint = await this.serializeCheckpoint(term);
      }
      // Nothing decided: held incident updates whose time has come go out on their own (they need no chunk record).
      const flushed = !decided && term.held !== undefined && this.incidentsDue(term) ? this.flushIncidents(term) : undefined;
      inFlight = this.options.exactlyOnce
        ? this.startTransaction(term, decided, chunk?.recorded ?? false)
        : this.startPipelined(term, decided ?? flushed, (chunk?.recorded ?? false) || flushed !== undefined);
      if (inFlight) continue;
      if (this.stopping) {
        await this.flushCommit(term);
        log.info({ lastChunk: term.seq, checkpoint: term.lastCheckpointSeq }, 'decider stopped: outputs sent, state checkpointed, offsets committed');
        return;
      }
      // Nothing to do: wait for input, a stop, a reload or the checkpoint interval.
      await this.wakeup.wait(this.idleWaitMs(term));
      if (this.checkpointDue(term) && term.lastCheckpointSeq < term.seq && term.pending === undefined) term.checkpoint = await this.serializeCheckpoint(term);
    }
    await inFlight;
  }

  /**
   * Whether a chunk's outputs may go to the producer thread before the request before them is
   * answered: at-least-once over one input partition (over several, a chunk's outputs wait for its
   * record's answer anyway: term.pending), with no checkpoint waiting to go out (one goes out only
   * after every output before it is answered). The producer thread sends what it is given in order,
   * one request at a time; chunks waiting together there go as one request, messages in order.
   */
  private overlapsSends(term: Term): boolean {
    return !this.options.exactlyOnce && !recordsChunks(term.merged) && term.checkpoint === undefined && term.pending === undefined && !this.stopping;
  }

  /**
   * A single input partition's chunks need no record: its records are merged in offset order alone, so
   * whatever chunks first decided them, the same sequence decides them again. After the recovered
   * records (none, unless an older version or more partitions wrote them), the records up to the
   * committed offset were decided and sent already: formed again here as chunks of at most
   * `maxChunkMessages` offsets, they are decided silently, as a recorded chunk within the commits is.
   */
  private unrecordedChunks(term: Term, lastSeq: number): ChunkRecord[] {
    const tp = term.merged.partitions[0]!;
    const committed = term.committed.get(0);
    const last = term.replay[term.replay.length - 1]?.ends.find(([topic, partition]) => topic === tp.topic && partition === tp.partition);
    let from = last?.[2] ?? term.merged.position(0);
    const chunks: ChunkRecord[] = [];
    const rules = this.options.processor.pipeline.rulesFingerprint;
    while (committed !== undefined && from < committed) {
      from = Math.min(committed, from + this.options.maxChunkMessages);
      chunks.push({ seq: lastSeq + chunks.length + 1, epoch: term.epoch, ends: [[tp.topic, tp.partition, from]], rules });
    }
    return chunks;
  }

  /** The next chunk: one recorded in the state topic (formed again exactly), else a new one from the merge. */
  private nextChunk(term: Term): FormedChunk | undefined {
    const recorded = term.replay[0];
    if (recorded !== undefined) {
      const ends = new Map<number, number>();
      for (const [topic, partition, end] of recorded.ends) {
        const source = term.merged.sourceOf(topic, partition);
        if (source !== undefined) ends.set(source, end);
      }
      const records = term.merged.takeExactly(ends);
      if (records === undefined) return undefined;
      term.replay.shift();
      term.seq = recorded.seq;
      const silent = [...ends].every(([source, end]) => end <= (term.committed.get(source) ?? -1));
      return { records, ends, seq: recorded.seq, recorded: true, silent };
    }
    if (this.stopping || this.rebalancing) return undefined;
    const { records, ends } = term.merged.take(this.options.maxChunkMessages);
    if (records.length === 0) return undefined;
    term.seq++;
    return { records, ends, seq: term.seq, recorded: false, silent: false };
  }

  private decide(term: Term, chunk: FormedChunk, before: Position[] | undefined): DecidedChunk {
    const hold = before !== undefined && !this.incidentsDue(term);
    const { processor } = this.options;
    const outputs = processor.process(chunk.records, hold);
    this.stats.chunks++;
    if (hold && term.held === undefined && processor.pipeline.heldIncidentUpdates) term.held = { seq: chunk.seq, positions: before };
    const releases = before !== undefined && !hold ? this.release(term) : undefined;
    return { seq: chunk.seq, outputs, ends: chunk.ends, positions: positionsOf(term.merged), ...(releases !== undefined ? { releases } : {}) };
  }

  /** At-least-once with an incident update interval: chunks may hold their incident updates back. */
  private holdsIncidents(): boolean {
    return this.options.incidentUpdateIntervalMs > 0 && !this.options.exactlyOnce;
  }

  /**
   * Whether held incident updates are to be written now: their interval has passed, or something needs
   * them on the broker first (a checkpoint, which a recovery would not decide again; a stop; a reload or
   * a change of the state, which checkpoint).
   */
  private incidentsDue(term: Term): boolean {
    return (
      this.stopping ||
      this.pendingReload !== undefined ||
      this.pendingChange !== undefined ||
      term.checkpoint !== undefined ||
      this.checkpointDue(term) ||
      this.now() - term.incidentsWrittenAt >= this.options.incidentUpdateIntervalMs
    );
  }

  /** Incident updates written now: the held ones are released once the outputs carrying them are acknowledged. */
  private release(term: Term): HeldUpdates | undefined {
    term.incidentsWrittenAt = this.now();
    const held = term.held;
    term.held = undefined;
    if (held) term.releasing.push(held);
    return held;
  }

  /** The held incident updates as outputs of their own, after every chunk decided so far. */
  private flushIncidents(term: Term): DecidedChunk {
    const outputs = this.options.processor.flushIncidents();
    return { seq: term.seq, outputs, ends: new Map(), positions: positionsOf(term.merged), releases: this.release(term) };
  }

  /** A checkpoint after chunk `seq` needs every incident update of the chunks up to it on the broker. */
  private updatesWrittenThrough(term: Term, seq: number): boolean {
    return term.releasing.length === 0 && (term.held === undefined || term.held.seq > seq);
  }

  /** The acknowledged positions, but not past the first alert whose incident update is held or unacknowledged. */
  private committable(term: Term): Position[] {
    const gate = term.releasing[0] ?? term.held;
    if (gate === undefined) return term.ackedPositions;
    return term.ackedPositions.map((position, i) => {
      const held = gate.positions[i];
      return held !== undefined && held[2] < position[2] ? held : position;
    });
  }

  /**
   * One at-least-once request: the new chunk's record (so it can be formed again), the outputs of the
   * chunk before it (whose record is on the broker already), a checkpoint whose chunk's outputs are
   * acknowledged. A replayed chunk has its record already, and a single partition's chunk needs
   * none: their outputs go at once. Returns the send in flight, or undefined when there is nothing
   * to send.
   */
  private startPipelined(term: Term, decided: DecidedChunk | undefined, recorded: boolean): Promise<void> | undefined {
    const state: Message[] = [];
    const outputs: DecidedChunk[] = [];
    if (term.pending) outputs.push(term.pending);
    term.pending = undefined;
    if (decided && (recorded || !recordsChunks(term.merged))) outputs.push(decided);
    else if (decided) {
      state.push(this.chunkRecord(term, decided));
      term.pending = decided;
    }
    // A checkpoint goes out only once its chunk's outputs are on the broker: else a crash could leave a
    // checkpoint that includes outputs nobody will send again.
    const due = term.checkpoint !== undefined && term.checkpoint.seq <= term.ackedSeq && this.updatesWrittenThrough(term, term.checkpoint.seq) ? term.checkpoint : undefined;
    if (state.length === 0 && outputs.length === 0 && due === undefined) return undefined;

    // A recovery restores the newest checkpoint it finds, committed or not, and decides nothing before it
    // again: the ledger must have its chunks' decisions first, else a crash lost their counts and openings.
    // A ledger that cannot be written holds the checkpoint back, not the outputs.
    const recorder = this.options.processor.recorder;
    const ledgerFirst: Promise<boolean> =
      due && recorder
        ? recorder.flush().then(
            () => true,
            (err: unknown) => {
              term.ledgerFailures++;
              const retryInMs = jitteredBackoffMs(term.ledgerFailures);
              this.options.log.warn({ err, checkpoint: due.seq, attempt: term.ledgerFailures, retryInMs }, 'the ledger could not be written; the checkpoint waits for it');
              return false;
            },
          )
        : Promise.resolve(true);
    return ledgerFirst.then(async (ledgerHasIt) => {
      if (ledgerHasIt) term.ledgerFailures = 0;
      const checkpoint = ledgerHasIt ? due : undefined;
      if (checkpoint) state.push(...checkpoint.messages);
      // Nothing else to send: wait before the checkpoint is tried again (a stop cuts it short).
      if (state.length === 0 && outputs.length === 0) return this.wakeup.wait(jitteredBackoffMs(term.ledgerFailures));
      const stateOffsets = await this.options.producer.send(this.request(state, outputs), { chunks: outputs.map((o) => o.seq) }, this.sendTerm(term));
      this.noteStateOffsets(term, state, stateOffsets);
      if (checkpoint) this.checkpointWritten(term, checkpoint);
      const last = outputs[outputs.length - 1];
      if (last) {
        term.ackedSeq = last.seq;
        term.ackedPositions = last.positions;
      }
      if (term.releasing.length > 0) term.releasing = term.releasing.filter((held) => !outputs.some((o) => o.releases === held));
      term.commitDue = true;
      this.commitSoon(term);
    });
  }

  /** One exactly-once transaction: the chunk's record, outputs and offsets (and a due checkpoint), all or nothing. */
  private startTransaction(term: Term, decided: DecidedChunk | undefined, recorded: boolean): Promise<void> | undefined {
    const checkpoint = term.checkpoint;
    const state: Message[] = [];
    if (decided && !recorded) state.push(this.chunkRecord(term, decided));
    if (checkpoint) state.push(...checkpoint.messages);
    if (state.length === 0 && !decided) return undefined;
    return this.transact(term, decided, state, checkpoint);
  }

  private async transact(term: Term, decided: DecidedChunk | undefined, state: Message[], checkpoint: Term['checkpoint']): Promise<void> {
    const { producer, groupId, log, retry } = this.options;
    const firstPart = state.findIndex((m) => String(m.key).startsWith('checkpoint-'));
    for (let attempt = 1; term.active; attempt++) {
      try {
        // The ledger is not part of the transaction: written first, it is at-least-once.
        await this.options.processor.recorder?.flush();
        const { stateOffsets, statePointer } = await producer.transaction(this.request(state, decided ? [decided] : []), { chunks: decided ? [decided.seq] : [] }, this.sendTerm(term), {
          consumerGroupId: groupId,
          positions: decided?.positions ?? positionsOf(term.merged),
          statePointer: term.statePointer,
          pointerAtCheckpoint: firstPart >= 0 ? { index: firstPart } : undefined,
        });
        this.noteStateOffsets(term, state, stateOffsets);
        if (checkpoint) this.checkpointWritten(term, checkpoint);
        term.statePointer = statePointer;
        if (decided) term.ackedSeq = decided.seq;
        this.stats.commits++;
        retry.recovered('transaction');
        return;
      } catch (err) {
        this.stats.transactionsAborted++;
        if (isFenced(err)) {
          log.error({ err }, 'another worker took over the transactional id: stopping this term');
          term.active = false;
          retry.recovered('transaction');
          return;
        }
        if (this.stopping) {
          // Nothing of it is committed: the next owner decides the chunk again. Stopping must not wait for the broker.
          log.error({ err, chunk: decided?.seq }, 'the chunk transaction failed while stopping; leaving it to the next owner');
          term.active = false;
          retry.recovered('transaction');
          return;
        }
        retry.failed('transaction');
        const retryInMs = jitteredBackoffMs(attempt);
        log.error({ err, attempt, chunk: decided?.seq, retryInMs }, 'the chunk transaction failed (aborted); trying it again');
        // A stop wakes it early.
        await this.wakeup.wait(retryInMs);
      }
    }
  }

  /** One entry per topic: kafkajs keys a request's topics by name, so a second entry would replace the first. */
  private request(state: Message[], outputs: readonly DecidedChunk[]): TopicMessages[] {
    const byTopic = new Map<string, Message[]>();
    if (state.length > 0) byTopic.set(this.options.stateTopic, state);
    for (const chunk of outputs) {
      for (const { topic, messages } of chunk.outputs.topicMessages()) {
        const list = byTopic.get(topic);
        if (list) list.push(...messages);
        else byTopic.set(topic, [...messages]);
      }
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private sendTerm(term: Term): SendTerm {
    return { statePartition: this.options.statePartition, epoch: term.epoch };
  }

  private chunkRecord(term: Term, chunk: DecidedChunk): Message {
    const ends: Position[] = [...chunk.ends].map(([source, end]) => {
      const tp = term.merged.partitions[source]!;
      return [tp.topic, tp.partition, end];
    });
    return { ...chunkMessage({ seq: chunk.seq, epoch: term.epoch, ends, rules: this.options.processor.pipeline.rulesFingerprint }), partition: this.options.statePartition };
  }

  private noteStateOffsets(term: Term, state: readonly Message[], offsets: readonly number[]): void {
    state.forEach((message, i) => {
      const key = String(message.key);
      if (key.startsWith('chunk-') && offsets[i] !== undefined) term.chunkOffsets.set(Number(key.slice('chunk-'.length)), offsets[i]!);
    });
    const firstPart = state.findIndex((m) => String(m.key).startsWith('checkpoint-'));
    if (firstPart >= 0 && term.checkpoint) term.checkpointOffset = offsets[firstPart];
  }

  /** A recovery from this checkpoint needs it and the chunk records after it, whichever came first. */
  private pointerAfter(term: Term, checkpoint: { seq: number }): number | undefined {
    const candidates = [term.checkpointOffset, term.chunkOffsets.get(checkpoint.seq + 1)].filter((o): o is number => o !== undefined);
    return candidates.length > 0 ? Math.min(...candidates) : term.statePointer;
  }

  private checkpointWritten(term: Term, checkpoint: { seq: number; messages: Message[] }): void {
    this.lastWritten = { epoch: term.epoch, seq: checkpoint.seq };
    if (this.changeCheckpoint?.checkpoint === checkpoint) {
      this.changeCheckpoint.done();
      this.changeCheckpoint = undefined;
      this.wakeup.notify();
    }
    term.statePointer = this.pointerAfter(term, checkpoint);
    term.lastCheckpointSeq = checkpoint.seq;
    term.lastCheckpointAt = this.now();
    for (const seq of term.chunkOffsets.keys()) if (seq <= checkpoint.seq) term.chunkOffsets.delete(seq);
    if (term.checkpoint === checkpoint) term.checkpoint = undefined;
    this.stats.checkpoints++;
  }

  /**
   * The state as it is now, as checkpoint parts. The snapshot is taken at once; encoding it (~100 MB
   * for a million window keys) goes in slices with turns of the event loop between them, so /metrics
   * and /readyz keep answering. The decide loop waits for it, so the state does not change meanwhile.
   */
  private async serializeCheckpoint(term: Term): Promise<{ seq: number; messages: Message[] }> {
    const checkpoint: Checkpoint = {
      version: 1,
      seq: term.seq,
      epoch: term.epoch,
      positions: positionsOf(term.merged),
      pipeline: this.options.processor.pipeline.snapshot(),
      ...(this.options.processor.routed ? { routed: this.options.processor.routed.snapshot() } : {}),
    };
    const bytes = await slicedJsonBytes(checkpoint);
    const messages = checkpointParts(bytes, checkpoint, this.options.checkpointPartBytes).map((m) => ({ ...m, partition: this.options.statePartition }));
    this.stats.lastCheckpointBytes = messages.reduce((n, m) => n + (m.value as Buffer).length, 0);
    return { seq: term.seq, messages };
  }

  private checkpointDue(term: Term): boolean {
    return term.checkpoint === undefined && (this.stopping || this.now() - term.lastCheckpointAt >= this.options.checkpointIntervalMs);
  }

  private idleWaitMs(term: Term): number {
    const now = this.now();
    const checkpointIn = this.options.checkpointIntervalMs - (now - term.lastCheckpointAt);
    const incidentsIn = term.held === undefined ? Number.POSITIVE_INFINITY : this.options.incidentUpdateIntervalMs - (now - term.incidentsWrittenAt);
    return Math.max(50, Math.min(checkpointIn, incidentsIn));
  }

  /** Between chunks: checkpoint what the old rules built (so no replay crosses the change), then switch. */
  private async applyReload(term: Term): Promise<void> {
    const { ruleset, done } = this.pendingReload!;
    this.pendingReload = undefined;
    if (term.lastCheckpointSeq < term.seq && term.checkpoint === undefined) term.checkpoint = await this.serializeCheckpoint(term);
    done(this.options.processor.pipeline.reload(ruleset));
  }

  /** Whether this owner has written a checkpoint after the current chunk already. */
  private checkpointedNow(term: Term): boolean {
    return this.lastWritten?.epoch === term.epoch && this.lastWritten.seq === term.seq;
  }

  /** Between chunks: applies the pending change and checkpoints the state it leaves (changeState). */
  private async applyChange(term: Term): Promise<void> {
    const { change, done, fail } = this.pendingChange!;
    this.pendingChange = undefined;
    let result: unknown;
    try {
      result = change(this.options.processor.pipeline);
    } catch (err) {
      fail(err as Error);
      return;
    }
    const checkpoint = await this.serializeCheckpoint(term);
    // The partitions moved while it was encoded: the next owner restores its own state.
    if (!term.active) {
      fail(new Error('the partitions moved before the change was applied and checkpointed'));
      return;
    }
    term.checkpoint = checkpoint;
    this.changeCheckpoint = { checkpoint, done: () => done(result), fail };
  }

  private resumeDrained(term: Term): void {
    for (const source of this.full) {
      if (term.merged.buffered(source) < this.options.maxBufferedMessages / 2) {
        this.full.delete(source);
        const tp = term.merged.partitions[source]!;
        this.options.consumer.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
      }
    }
  }

  /**
   * Commits the acknowledged positions and the state pointer; one commit at a time, the newest wins.
   * A failed commit is tried again after a backoff, on a timer: kafkajs fails a commit at once while
   * its consumer restarts after a crash, and retrying from the promise chain spun the event loop.
   */
  private commitSoon(term: Term): void {
    if (term.committing || term.commitRetry || !term.commitDue || this.rebalancing) return;
    term.commitDue = false;
    const { consumer, log, retry } = this.options;
    const topics = commitTopics(this.committable(term), { topic: this.options.stateTopic, partition: this.options.statePartition }, term.statePointer);
    const recorder = this.options.processor.recorder;
    // The ledger has what the outputs have before their input is committed (at-least-once there too).
    term.committing = (recorder ? recorder.flush() : Promise.resolve())
      .then(() => consumer.commitOffsets(topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })))))
      .then(
        () => {
          this.stats.commits++;
          term.commitFailures = 0;
          retry.recovered('commit');
          return undefined;
        },
        (err: unknown) => {
          this.stats.commitFailures++;
          term.commitFailures++;
          term.commitDue = true;
          // Stopping: one last attempt (flushCommit); what is not committed is decided again by the next owner.
          const retryInMs = this.stopping ? undefined : jitteredBackoffMs(term.commitFailures);
          if (retryInMs !== undefined) retry.failed('commit');
          log.warn({ err, attempt: term.commitFailures, retryInMs }, 'committing offsets failed; trying again');
          return retryInMs;
        },
      )
      .then((retryInMs) => {
        term.committing = undefined;
        if (!term.active || this.stopping) return;
        if (retryInMs === undefined) this.commitSoon(term);
        else {
          term.commitRetry = setTimeout(() => {
            term.commitRetry = undefined;
            this.commitSoon(term);
          }, retryInMs);
        }
      });
  }

  /** Stopping: waits for the commit in flight, then commits what is left, once, without waiting out a backoff. */
  private async flushCommit(term: Term): Promise<void> {
    await term.committing;
    clearTimeout(term.commitRetry);
    term.commitRetry = undefined;
    this.commitSoon(term);
    await term.committing;
  }
}

function commitTopics(positions: readonly Position[], state: TopicPartition, statePointer: number | undefined) {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const [topic, partition, offset] of positions) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ partition, offset: String(offset) });
  }
  if (statePointer !== undefined) byTopic.set(state.topic, [{ partition: state.partition, offset: String(statePointer) }]);
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * Whether a chunk's record must be on the broker before its outputs (at-least-once; exactly-once writes
 * it in the chunk's transaction regardless): only a merge of several partitions depends on what was
 * caught up when a chunk was formed (MergedPartitions). Without records, a recovery forms the chunks up
 * to the committed offset anew (unrecordedChunks).
 */
function recordsChunks(merged: MergedPartitions): boolean {
  return merged.partitions.length > 1;
}

function positionsOf(merged: MergedPartitions): Position[] {
  return merged.partitions.map((tp, source) => [tp.topic, tp.partition, merged.position(source)]);
}

function sameInputs(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map((tp) => tpKey(tp.topic, tp.partition)));
  return b.every((tp) => keys.has(tpKey(tp.topic, tp.partition)));
}

function isFenced(err: unknown): boolean {
  const type = (err as { type?: string } | undefined)?.type;
  return type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED' || type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
