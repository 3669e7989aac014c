/** The label value of every source that has no label of its own. */
export const OTHER_SOURCE = 'other';

/** What a first-seen source must look like to get its own label: a detector's name, not free text. */
export const SOURCE_LABEL_PATTERN = /^[A-Za-z0-9_.:/-]{1,64}$/;

/**
 * Bounded labels for user data: the alert's `source`, and its tenant (alertgate_tenant_decisions_total).
 * The alert's `source` is user data, so it cannot be a label as it is: a stream that puts a host name
 * or an id there would create a series per value. Each source gets a slot: the configured ones, then
 * the first `firstSeen` others that look like a detector's name (SOURCE_LABEL_PATTERN), in the order
 * they arrive; every other source shares slot 0, labelled "other". The map never holds more than
 * `named + firstSeen` entries, so a flood of distinct sources costs one failed lookup each.
 */
export class SourceLabels {
  /** Label of each slot; slot 0 is "other". */
  readonly labels: string[] = [OTHER_SOURCE];
  private readonly slots = new Map<string, number>();
  private firstSeenLeft: number;

  constructor(named: readonly string[] = [], firstSeen = 20) {
    for (const source of named) this.add(source);
    this.firstSeenLeft = firstSeen;
  }

  /** Slots there can ever be ("other" included): sizes the counters. */
  static capacity(named: readonly string[], firstSeen: number): number {
    return 1 + new Set(named.filter((s) => s !== OTHER_SOURCE)).size + firstSeen;
  }

  slotOf(source: string): number {
    const slot = this.slots.get(source);
    if (slot !== undefined) return slot;
    if (this.firstSeenLeft === 0 || source === OTHER_SOURCE || !SOURCE_LABEL_PATTERN.test(source)) return 0;
    this.firstSeenLeft--;
    return this.add(source);
  }

  private add(source: string): number {
    if (source === OTHER_SOURCE) return 0;
    const existing = this.slots.get(source);
    if (existing !== undefined) return existing;
    this.slots.set(source, this.labels.length);
    this.labels.push(source);
    return this.labels.length - 1;
  }
}
