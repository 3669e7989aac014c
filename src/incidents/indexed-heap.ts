/** Where an item sits in one heap; the item stores it so removal and re-keying need no search. */
export interface HeapSlot<T> {
  get(item: T): number;
  set(item: T, index: number): void;
}

/**
 * A binary min-heap whose items know their own position: O(log n) push, pop, remove and update
 * after an item's key changed. `before(a, b)` must be a strict total order for determinism.
 */
export class IndexedHeap<T> {
  private readonly items: T[] = [];

  constructor(
    private readonly before: (a: T, b: T) => boolean,
    private readonly slot: HeapSlot<T>,
  ) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.slot.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  remove(item: T): void {
    const index = this.slot.get(item);
    const last = this.items.pop()!;
    this.slot.set(item, -1);
    if (last === item) return;
    this.place(last, index);
    this.update(last);
  }

  /** Restores order after `item`'s key moved in either direction. */
  update(item: T): void {
    const index = this.slot.get(item);
    if (!this.up(index)) this.down(index);
  }

  clear(): void {
    for (const item of this.items) this.slot.set(item, -1);
    this.items.length = 0;
  }

  /** Returns whether the item moved. */
  private up(index: number): boolean {
    const item = this.items[index]!;
    const start = index;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(item, this.items[parent]!)) break;
      this.place(this.items[parent]!, index);
      index = parent;
    }
    this.place(item, index);
    return index !== start;
  }

  private down(index: number): void {
    const item = this.items[index]!;
    const n = this.items.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      if (child + 1 < n && this.before(this.items[child + 1]!, this.items[child]!)) child++;
      if (!this.before(this.items[child]!, item)) break;
      this.place(this.items[child]!, index);
      index = child;
    }
    this.place(item, index);
  }

  private place(item: T, index: number): void {
    this.items[index] = item;
    this.slot.set(item, index);
  }
}
