import type { EachBatchPayload } from 'kafkajs';
import type { OutputSender } from '../sinks/kafka/output-sender.js';
import { ProcessedOffsets } from '../source/kafka/processed-offsets.js';
import type { BatchProcessor } from './batch-processor.js';

/** Counters of the consume → decide → produce → commit loop. */
export interface BatchHandlerStats {
  batches: number;
  /** Messages of redelivered batches whose outputs were acknowledged before: committed, not decided again. */
  skippedRedelivered: number;
}

/**
 * kafkajs' eachBatch (autoCommit and eachBatchAutoResolve off): decide the batch, send its outputs
 * with one sendBatch, wait for the broker's acks, and only then resolve and commit its offsets. A crash
 * anywhere before the commit means the batch is consumed again (at-least-once); its outputs then come
 * again under the same keys.
 */
export function createBatchHandler(processor: BatchProcessor, sender: OutputSender) {
  const processed = new ProcessedOffsets();
  const stats: BatchHandlerStats = { batches: 0, skippedRedelivered: 0 };

  async function eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Stopping, or the partition was seeked/revoked before we began: leave it for the next consumer.
    if (!isRunning() || isStale()) return;
    const { topic, partition, messages } = batch;
    const last = messages[messages.length - 1];
    if (last === undefined) return;
    stats.batches++;

    const from = processed.firstUnprocessed(topic, partition, messages);
    stats.skippedRedelivered += from;
    if (from < messages.length) {
      const outputs = processor.process(batch, from);
      await sender.send(
        outputs.topicMessages(),
        { topic, partition, firstOffset: messages[from]!.offset, lastOffset: last.offset },
        // Once stopping, one failed attempt ends it: the batch stays uncommitted for whoever comes next.
        isRunning,
      );
      processed.markProcessed(topic, partition, BigInt(last.offset) + 1n);
    }

    resolveOffset(last.offset);
    // batch.lastOffset() can be past the last message (a transaction's control record); commit past it.
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
  }

  return { eachBatch, stats };
}
