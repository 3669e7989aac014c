import type { Logger } from 'pino';
import type { IncidentRecord } from '../incidents/index.js';
import { recordingSinks, type LedgerRecorder } from '../ledger/recorder.js';
import { deadLetter, type DeadLetterReason, type DeadLetterRecord } from '../pipeline/dead-letter.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import type { InputLine } from '../source/index.js';
import type { MergedRecord, TopicPartition } from '../source/kafka/merged-partitions.js';
import { messageInput } from '../source/kafka/message-input.js';
import type { StateLossWarning } from '../metrics/state-loss-warning.js';
import { FORMAT_HEADER } from '../pipeline/line-format.js';
import { BatchOutputs, type OutputTopics } from '../sinks/kafka/batch-outputs.js';
import type { MessageSource } from '../sinks/kafka/dead-letter-message.js';
import { RoutedPositions, routedSourceOf } from '../shard/routed-source.js';

export interface ChunkProcessorOptions extends Omit<PipelineOptions, 'sinks' | 'incidentUpdates'> {
  /** Sees every decision's JSON as it is written (the audit trail). */
  readonly onDecision?: ((json: string) => void) | undefined;
  /** Records decisions and incidents in the ledger (flushed by the decider before it commits). */
  readonly recorder?: LedgerRecorder | undefined;
  readonly topics: OutputTopics;
  readonly maxLineBytes: number;
  readonly log: Logger;
  /** Warns (once a minute) while windows decide on lost state; checked after each chunk. */
  readonly stateLoss?: StateLossWarning | undefined;
  /**
   * A shard's decider (kafka.shardBy): its records were routed from the input topics. Dead letters are
   * named by the input message, and a router's redelivery of a message taken before is skipped.
   */
  readonly routed?: boolean;
}

/** A header's value as text (kafkajs gives a Buffer, or several). */
function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? undefined : one.toString();
}

/** The chunk being processed: where the pipeline's outputs go, and which record each pipeline line was. */
interface InFlight {
  readonly records: readonly MergedRecord[];
  readonly outputs: BatchOutputs;
  /** Pipeline line n (1-based) is records[positions[n - 1]]. */
  readonly positions: number[];
  readonly lines: readonly InputLine[];
  /** Why the normalizer refused a line, by line number: the class of the problem, which names no value. */
  readonly problems: Map<number, DeadLetterReason>;
}

/**
 * One chunk of merged input records → its output messages, synchronously: decode each message, run
 * the decodable ones through the pipeline as one input batch, collect decisions, incidents (opened,
 * grown or closed in the chunk) and dead letters. One pipeline serves every input partition: its
 * windows and incidents are state over the whole merged stream.
 */
export class ChunkProcessor {
  readonly pipeline: Pipeline;
  /** Messages dead-lettered before the pipeline (no value, empty, not UTF-8): add them to the pipeline's counts. */
  rejected = 0;
  /** A shard's decider: the input positions it has taken (part of its checkpoint). */
  readonly routed: RoutedPositions | undefined;
  private inFlight: InFlight | undefined;

  constructor(
    private readonly options: ChunkProcessorOptions,
    /** Record.source → its topic and partition. */
    private partitions: readonly TopicPartition[] = [],
  ) {
    this.routed = options.routed ? new RoutedPositions() : undefined;
    this.pipeline = new Pipeline({
      ...options,
      // The normalizer's problem classes, kept for the log: dead-letter reasons quote the input.
      normalize: (text, line) => {
        const result = options.normalize(text, line);
        if (!result.ok) this.current().problems.set(line, result.problem);
        return result;
      },
      incidentUpdates: true,
      sinks: recordingSinks({
        decision: options.onDecision
          ? (json, alertId) => {
              this.current().outputs.decision(json, alertId);
              options.onDecision!(json);
            }
          : (json, alertId) => this.current().outputs.decision(json, alertId),
        incident: (record: IncidentRecord) => this.current().outputs.incident(record),
        deadLetter: (record: DeadLetterRecord) => {
          const { records, outputs, positions, lines, problems } = this.current();
          const position = positions[record.line - 1]!;
          const problem = 'oversized' in lines[record.line - 1]! ? 'oversized' : problems.get(record.line)!;
          this.deadLetter(outputs, position, this.sourceOf(records[position]!), record, problem);
        },
      }, options.recorder),
    });
  }

  get recorder(): LedgerRecorder | undefined {
    return this.options.recorder;
  }

  /** The input partitions that records' `source` indexes refer to (they change with the assignment). */
  setPartitions(partitions: readonly TopicPartition[]): void {
    this.partitions = partitions;
  }

  /**
   * `holdIncidents`: the incidents the chunk touched are written by a later chunk or flushIncidents()
   * (the decider's incident update interval), not with this chunk's outputs.
   */
  process(records: readonly MergedRecord[], holdIncidents = false): BatchOutputs {
    this.pipeline.holdIncidentUpdates = holdIncidents;
    const outputs = new BatchOutputs(this.options.topics);
    const lines: InputLine[] = [];
    const positions: number[] = [];
    for (let i = 0; i < records.length; i++) {
      const { value, headers } = records[i]!.message;
      if (this.routed && !this.admitRouted(records[i]!)) continue;
      const input = messageInput(value, lines.length + 1, this.options.maxLineBytes, headerText(headers?.[FORMAT_HEADER]));
      if ('rejected' in input) {
        this.rejected++;
        this.pipeline.stats.deadLetter(input.problem);
        this.deadLetter(outputs, i, this.sourceOf(records[i]!), deadLetter(1, input.reason, input.text), input.problem);
        continue;
      }
      lines.push(input);
      positions.push(i);
    }
    this.inFlight = { records, outputs, positions, lines, problems: new Map() };
    try {
      this.pipeline.processBatch(lines);
    } finally {
      this.inFlight = undefined;
    }
    this.options.stateLoss?.check(this.pipeline.windowStats());
    return outputs;
  }

  /** The incidents held since their last write (process with holdIncidents), as outputs of their own. */
  flushIncidents(): BatchOutputs {
    const outputs = new BatchOutputs(this.options.topics);
    this.inFlight = { records: [], outputs, positions: [], lines: [], problems: new Map() };
    try {
      this.pipeline.flushIncidentUpdates();
    } finally {
      this.inFlight = undefined;
    }
    return outputs;
  }

  /**
   * The dead letter goes out with its full reason and the start of the message; the log line carries
   * where it came from and the class of its problem only. Reasons quote the input (a value, a JSON
   * parser's snippet), and logs travel further than the dead-letter topic: a secret in a bad alert
   * must not follow.
   */
  private deadLetter(outputs: BatchOutputs, position: number, source: MessageSource, failure: DeadLetterRecord, problem: DeadLetterReason): void {
    outputs.deadLetter(position, source, failure);
    this.options.log.warn({ ...source, reason: problem }, 'dead letter');
  }

  /** A routed record: false for a router's redelivery of an input message this shard has taken. */
  private admitRouted(record: MergedRecord): boolean {
    const origin = routedSourceOf(record.message.headers);
    return origin === undefined || this.routed!.admit(origin);
  }

  private sourceOf({ source, message }: MergedRecord): MessageSource {
    // A routed record is named by the input message it came from, as without shards.
    const origin = this.routed && routedSourceOf(message.headers);
    if (origin) return origin;
    const tp = this.partitions[source]!;
    return { topic: tp.topic, partition: tp.partition, offset: message.offset };
  }

  private current(): InFlight {
    // The pipeline writes only inside processBatch and flushIncidentUpdates (finish() is never called on Kafka).
    if (this.inFlight === undefined) throw new Error('pipeline output outside of a chunk');
    return this.inFlight;
  }
}
