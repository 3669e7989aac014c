/**
 * The worker's retry loops on Kafka, by name (the `loop` label of alertgate_kafka_retries_total):
 * committing offsets, producing outputs, taking the partitions over, an exactly-once chunk
 * transaction, starting the consumer again after a crash.
 */
export const RETRY_LOOPS = ['commit', 'produce', 'takeover', 'transaction', 'consumer_restart'] as const;
export type RetryLoop = (typeof RETRY_LOOPS)[number];

/**
 * How often each retry loop tried again, and which are failing now (their last attempt failed): a
 * worker with a failing loop is not ready (/readyz), so a worker stuck on a broker it cannot use is
 * seen as such rather than as healthy.
 */
export class RetryStatus {
  readonly retries: Record<RetryLoop, number> = { commit: 0, produce: 0, takeover: 0, transaction: 0, consumer_restart: 0 };
  private readonly failingNow = new Set<RetryLoop>();

  /** An attempt failed; the loop will try again. */
  failed(loop: RetryLoop): void {
    this.retries[loop]++;
    this.failingNow.add(loop);
  }

  /** An attempt succeeded (or the loop ended): no longer failing. */
  recovered(loop: RetryLoop): void {
    this.failingNow.delete(loop);
  }

  /** Sets whether a loop run elsewhere (the producer thread) is failing, with its retry count. */
  set(loop: RetryLoop, retries: number, failing: boolean): void {
    this.retries[loop] = retries;
    if (failing) this.failingNow.add(loop);
    else this.failingNow.delete(loop);
  }

  failing(): RetryLoop[] {
    return RETRY_LOOPS.filter((loop) => this.failingNow.has(loop));
  }
}
