import type { Logger } from 'pino';
import type { IncidentRecord } from '../incidents/index.js';
import { deadLetter, type DeadLetterRecord } from '../pipeline/dead-letter.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import type { InputLine } from '../source/index.js';
import { messageInput } from '../source/kafka/message-input.js';
import { BatchOutputs, type OutputTopics } from '../sinks/kafka/batch-outputs.js';
import type { MessageSource } from '../sinks/kafka/dead-letter-message.js';

/** What the processor needs of a kafkajs batch. */
export interface SourceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly { readonly offset: string; readonly value: Buffer | null }[];
}

export interface BatchProcessorOptions extends Omit<PipelineOptions, 'sinks'> {
  readonly topics: OutputTopics;
  readonly maxLineBytes: number;
  readonly log: Logger;
}

/** The batch being processed: where the pipeline's outputs go, and which message each pipeline line was. */
interface InFlight {
  readonly batch: SourceBatch;
  readonly outputs: BatchOutputs;
  /** Pipeline line n (1-based) is batch.messages[positions[n - 1]]. */
  readonly positions: number[];
}

/**
 * One Kafka batch → its output messages, synchronously: decode each message, run the decodable ones
 * through the pipeline as one input batch, collect decisions, closed incidents and dead letters.
 * One pipeline serves every partition of the process (its windows and incidents are shared state).
 */
export class BatchProcessor {
  readonly pipeline: Pipeline;
  /** Messages dead-lettered before the pipeline (no value, empty, not UTF-8): add them to the pipeline's counts. */
  rejected = 0;
  private inFlight: InFlight | undefined;

  constructor(private readonly options: BatchProcessorOptions) {
    this.pipeline = new Pipeline({
      ...options,
      sinks: {
        decision: (json, alertId) => this.current().outputs.decision(json, alertId),
        incident: (record: IncidentRecord) => this.current().outputs.incident(record),
        deadLetter: (record: DeadLetterRecord) => {
          const { batch, outputs, positions } = this.current();
          const position = positions[record.line - 1]!;
          this.deadLetter(outputs, position, sourceOf(batch, position), record);
        },
      },
    });
  }

  process(batch: SourceBatch, from = 0): BatchOutputs {
    const outputs = new BatchOutputs(this.options.topics);
    const lines: InputLine[] = [];
    const positions: number[] = [];
    for (let i = from; i < batch.messages.length; i++) {
      const input = messageInput(batch.messages[i]!.value, lines.length + 1, this.options.maxLineBytes);
      if ('rejected' in input) {
        this.rejected++;
        this.deadLetter(outputs, i, sourceOf(batch, i), deadLetter(1, input.reason, input.text));
        continue;
      }
      lines.push(input);
      positions.push(i);
    }
    this.inFlight = { batch, outputs, positions };
    try {
      this.pipeline.processBatch(lines);
    } finally {
      this.inFlight = undefined;
    }
    return outputs;
  }

  private deadLetter(outputs: BatchOutputs, position: number, source: MessageSource, failure: DeadLetterRecord): void {
    outputs.deadLetter(position, source, failure);
    this.options.log.warn({ ...source, reason: failure.reason }, 'dead letter');
  }

  private current(): InFlight {
    // The pipeline writes only inside processBatch (finish() is never called on Kafka).
    if (this.inFlight === undefined) throw new Error('pipeline output outside of a batch');
    return this.inFlight;
  }
}

function sourceOf(batch: SourceBatch, position: number): MessageSource {
  return { topic: batch.topic, partition: batch.partition, offset: batch.messages[position]!.offset };
}
