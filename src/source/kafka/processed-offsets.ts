/**
 * Per partition, the offset up to which this process has decided messages and had their outputs
 * acknowledged. A batch delivered again (its commit failed in a rebalance, or the consumer was
 * restarted) must not run through the pipeline twice: its alerts would be counted twice in the
 * windows. Their outputs are on the broker already, so those messages are only committed.
 */
export class ProcessedOffsets {
  private readonly next = new Map<string, bigint>();

  /** Index of the first message not processed yet (messages.length when all were). */
  firstUnprocessed(topic: string, partition: number, messages: readonly { offset: string }[]): number {
    const next = this.next.get(key(topic, partition));
    if (next === undefined) return 0;
    let i = 0;
    while (i < messages.length && BigInt(messages[i]!.offset) < next) i++;
    return i;
  }

  /** Marks every offset before `nextOffset` as processed (never moves back). */
  markProcessed(topic: string, partition: number, nextOffset: bigint): void {
    const k = key(topic, partition);
    const current = this.next.get(k);
    if (current === undefined || nextOffset > current) this.next.set(k, nextOffset);
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
