import type { IHeaders, Message } from 'kafkajs';
import { z } from 'zod';
import { PipelineSnapshot } from '../pipeline/pipeline.js';

/**
 * The decider's state topic (one partition): what makes a new owner continue exactly where the
 * last one stopped (docs/kafka.md, "State across restarts and rebalances"). Two kinds of records:
 *
 * - a chunk record per chunk of merged input, written before the chunk's outputs are sent: where the
 *   chunk ended in each input partition, so the chunk can be formed again in the same order (none
 *   at-least-once over a single input partition, whose order needs no record);
 * - checkpoints: the pipeline's whole state after some chunk, with every input position, split into
 *   parts that fit a message.
 *
 * The consumer group's committed offset on the state partition points at the oldest record a
 * recovery needs: the latest complete checkpoint, or the chunk record after it if that came first.
 */

export const STATE_HEADERS = {
  kind: 'alertgate-state',
  seq: 'alertgate-seq',
  epoch: 'alertgate-epoch',
  part: 'alertgate-part',
  parts: 'alertgate-parts',
} as const;

/** An input position: topic, partition, next offset. */
const Position = z.tuple([z.string(), z.number().int().nonnegative(), z.number().int().nonnegative()]);
export type Position = z.infer<typeof Position>;

/**
 * Which owner wrote a record: the consumer group generation in which it took the partitions. A worker
 * that lost them without noticing may still write; for the same chunk, the newer owner's record wins.
 */
const Epoch = z.number().int();

export const ChunkRecord = z
  .object({
    seq: z.number().int().positive(),
    epoch: Epoch,
    /** The partitions the chunk took records from, and the offset after its last record there. */
    ends: z.array(Position).min(1),
    /** The rules the chunk was decided with (CompiledRuleSet.fingerprint). */
    rules: z.string(),
  })
  .strict();
export type ChunkRecord = z.infer<typeof ChunkRecord>;

export const Checkpoint = z
  .object({
    version: z.literal(1),
    /** The last chunk the state includes (0: none yet). */
    seq: z.number().int().nonnegative(),
    epoch: Epoch,
    /** Every input partition's position: the state is that of all records before these. */
    positions: z.array(Position),
    pipeline: PipelineSnapshot,
    /** A shard's decider: the next offset of each input partition its routed records came from (router redeliveries below it are skipped). */
    routed: z.array(Position).optional(),
  })
  .strict();
export type Checkpoint = z.infer<typeof Checkpoint>;

export function chunkMessage(record: ChunkRecord): Message {
  return { key: `chunk-${record.seq}`, value: JSON.stringify(record), headers: { [STATE_HEADERS.kind]: 'chunk', [STATE_HEADERS.seq]: String(record.seq) } };
}

/** A checkpoint as messages of at most `partBytes` each (a part may end inside a UTF-8 sequence: parts are joined as bytes). */
export function checkpointMessages(checkpoint: Checkpoint, partBytes: number): Message[] {
  return checkpointParts(Buffer.from(JSON.stringify(checkpoint)), checkpoint, partBytes);
}

/** A checkpoint already encoded (its JSON as bytes, e.g. by slicedJsonBytes) as messages of at most `partBytes` each. */
export function checkpointParts(bytes: Buffer, checkpoint: Pick<Checkpoint, 'seq' | 'epoch'>, partBytes: number): Message[] {
  const parts = Math.max(1, Math.ceil(bytes.length / partBytes));
  const messages: Message[] = [];
  for (let i = 0; i < parts; i++) {
    messages.push({
      key: `checkpoint-${checkpoint.seq}`,
      value: bytes.subarray(i * partBytes, (i + 1) * partBytes),
      headers: {
        [STATE_HEADERS.kind]: 'checkpoint',
        [STATE_HEADERS.seq]: String(checkpoint.seq),
        [STATE_HEADERS.epoch]: String(checkpoint.epoch),
        [STATE_HEADERS.part]: String(i),
        [STATE_HEADERS.parts]: String(parts),
      },
    });
  }
  return messages;
}

/** What a recovery found: the newest complete checkpoint and the chunk records after it, in order. */
export interface RecoveredState {
  readonly checkpoint: Checkpoint | undefined;
  readonly chunks: readonly ChunkRecord[];
  /** Problems that did not stop the recovery (records that could not be read, a gap in the chunks). */
  readonly warnings: readonly string[];
}

/**
 * Reads the state partition's records, in offset order, from the committed pointer to the end.
 * Records of other kinds are skipped with a warning rather than failing the worker.
 */
export class StateLogReader {
  /** By "seq/epoch": two owners may each have written a checkpoint after the same chunk. */
  private readonly checkpoints = new Map<string, { seq: number; epoch: number; parts: (Buffer | undefined)[]; received: number }>();
  private readonly chunks = new Map<number, ChunkRecord>();
  private readonly warnings: string[] = [];

  add(message: { offset: string; value: Buffer | null; headers?: IHeaders }): void {
    const kind = header(message.headers, STATE_HEADERS.kind);
    const where = `state record at offset ${message.offset}`;
    try {
      if (kind === 'chunk') {
        const record = ChunkRecord.parse(JSON.parse(String(message.value)));
        const seen = this.chunks.get(record.seq);
        if (seen === undefined || record.epoch >= seen.epoch) this.chunks.set(record.seq, record);
      } else if (kind === 'checkpoint') {
        const seq = Number(header(message.headers, STATE_HEADERS.seq));
        const epoch = Number(header(message.headers, STATE_HEADERS.epoch));
        const part = Number(header(message.headers, STATE_HEADERS.part));
        const parts = Number(header(message.headers, STATE_HEADERS.parts));
        if (!Number.isInteger(seq) || !Number.isInteger(epoch) || !Number.isInteger(part) || !Number.isInteger(parts) || part < 0 || part >= parts || message.value === null) {
          throw new Error('checkpoint part with missing or inconsistent headers');
        }
        const key = `${seq}/${epoch}`;
        let entry = this.checkpoints.get(key);
        // A checkpoint written again (after a retried send) starts over; its parts are the same bytes.
        if (entry === undefined || entry.parts.length !== parts) this.checkpoints.set(key, (entry = { seq, epoch, parts: new Array(parts).fill(undefined), received: 0 }));
        if (entry.parts[part] === undefined) entry.received++;
        entry.parts[part] = message.value;
      } else {
        throw new Error(`unknown kind ${JSON.stringify(kind)}`);
      }
    } catch (err) {
      this.warnings.push(`${where}: ${(err as Error).message}; skipped`);
    }
  }

  result(): RecoveredState {
    const warnings = [...this.warnings];
    let checkpoint: Checkpoint | undefined;
    const complete = [...this.checkpoints.values()].filter((e) => e.received === e.parts.length).sort((a, b) => b.seq - a.seq || b.epoch - a.epoch);
    for (const entry of complete) {
      try {
        checkpoint = Checkpoint.parse(JSON.parse(Buffer.concat(entry.parts as Buffer[]).toString('utf8')));
        break;
      } catch (err) {
        warnings.push(`checkpoint ${entry.seq} (epoch ${entry.epoch}): ${(err as Error).message.slice(0, 500)}; trying an older one`);
      }
    }
    const chunks: ChunkRecord[] = [];
    let epoch = checkpoint?.epoch ?? Number.NEGATIVE_INFINITY;
    for (let seq = (checkpoint?.seq ?? 0) + 1; this.chunks.has(seq); seq++) {
      const chunk = this.chunks.get(seq)!;
      // An older owner's chunk after a newer owner's: written by a worker that had lost the partitions.
      if (chunk.epoch < epoch) break;
      epoch = chunk.epoch;
      chunks.push(chunk);
    }
    const last = chunks.length > 0 ? chunks[chunks.length - 1]!.seq : (checkpoint?.seq ?? 0);
    const later = [...this.chunks.keys()].filter((seq) => seq > last + 1);
    if (later.length > 0) warnings.push(`chunk records ${later.join(', ')} follow a gap after chunk ${last}; they are not replayed`);
    return { checkpoint, chunks, warnings };
  }
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : String(first);
}
