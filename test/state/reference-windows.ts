import type { AggregateKind, AggregateValue, ObserveVerdict } from '../../src/state/index.js';

interface Event {
  readonly timeMs: number;
  readonly values: readonly AggregateValue[];
}

/**
 * The window semantics by brute force: keeps every accepted event forever and filters on each call.
 * A late event sees (watermark - size - lateness, t], the part of history the store promises to retain.
 */
export class ReferenceWindows {
  private readonly events = new Map<string, Event[]>();
  private watermark = -Infinity;

  constructor(
    private readonly sizeMs: number,
    private readonly latenessMs: number,
    private readonly kinds: readonly AggregateKind[],
  ) {}

  observe(key: string, timeMs: number, values: readonly AggregateValue[]): { verdict: ObserveVerdict; out: number[] } {
    const late = timeMs < this.watermark - this.latenessMs;
    const from = late ? Math.max(timeMs - this.sizeMs, this.horizon()) : timeMs - this.sizeMs;
    const event = { timeMs, values };
    const history = this.events.get(key) ?? [];
    const window = [...history.filter((e) => e.timeMs > from && e.timeMs <= timeMs), event];
    const out = this.kinds.map((kind, i) => aggregate(kind, window.map((e) => e.values[i])));
    if (!late) {
      this.events.set(key, [...history, event]);
      this.watermark = Math.max(this.watermark, timeMs);
    }
    return { verdict: late ? 'late' : 'ok', out };
  }

  advance(watermarkMs: number): void {
    this.watermark = Math.max(this.watermark, watermarkMs);
  }

  /** The watermark moved back: keeps the events in (horizon before the move, toMs]. */
  rewind(toMs: number): void {
    const horizon = this.horizon();
    for (const [key, history] of this.events) this.events.set(key, history.filter((e) => e.timeMs > horizon && e.timeMs <= toMs));
    this.watermark = Math.min(this.watermark, toMs);
  }

  /** Events that may still matter: what the store must at least hold. */
  liveEvents(): number {
    let n = 0;
    for (const history of this.events.values()) n += history.filter((e) => e.timeMs > this.horizon()).length;
    return n;
  }

  private horizon(): number {
    return this.watermark - this.sizeMs - this.latenessMs;
  }
}

function aggregate(kind: AggregateKind, values: readonly AggregateValue[]): number {
  switch (kind) {
    case 'count':
      return values.length;
    case 'sum':
      return values.reduce<number>((sum, v) => sum + (typeof v === 'number' && Number.isFinite(v) ? v : 0), 0);
    case 'distinct':
      return new Set(values.filter((v) => v !== undefined)).size;
  }
}
