import { z } from 'zod';

/**
 * Absence per group key ("a sensor went quiet for 30 minutes"), for one rule. Every alert the rule's
 * match picks marks its key alive at its event time; once the watermark is `after + allowedLateness`
 * past a key's newest alert, the key is silent: silent() hands it over once and forgets it (its next
 * alert arms it again). Only keys seen before can fall silent. What the newest alert says of itself
 * (its source, entities and group) is kept, so the silence names what went quiet.
 */
export interface AbsenceTrackerOptions {
  readonly afterMs: number;
  readonly allowedLatenessMs: number;
  readonly maxKeys: number;
}

export const AbsenceTrackerSnapshot = z
  .object({
    /** [key, newest event time, what that alert said], least recently marked first. */
    keys: z.array(z.tuple([z.string(), z.number(), z.object({ source: z.string(), entities: z.record(z.string(), z.string()), group: z.record(z.string(), z.string()) }).strict()])),
  })
  .strict();
export type AbsenceTrackerSnapshot = z.infer<typeof AbsenceTrackerSnapshot>;

/** What the newest alert of a key said of itself. */
export interface LastAlert {
  readonly source: string;
  readonly entities: Readonly<Record<string, string>>;
  /** The group-by fields and their values. */
  readonly group: Readonly<Record<string, string>>;
}

export interface Silence {
  readonly key: string;
  /** The newest alert's event time: silent since then. */
  readonly lastMs: number;
  readonly last: LastAlert;
}

interface Alive {
  lastMs: number;
  last: LastAlert;
}

export class AbsenceTracker {
  /** Map order is the order keys were last marked, which is event-time order within allowedLateness. */
  private readonly keys = new Map<string, Alive>();

  constructor(private readonly options: AbsenceTrackerOptions) {}

  /** An alert of `key` at `timeMs`: alive. An older alert than the key's newest changes nothing. */
  alive(key: string, timeMs: number, last: () => LastAlert): void {
    const held = this.keys.get(key);
    if (held !== undefined && held.lastMs > timeMs) return;
    if (held !== undefined) this.keys.delete(key);
    else while (this.keys.size >= this.options.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(key, { lastMs: timeMs, last: last() });
  }

  /**
   * The keys silent as of `watermarkMs`, by the time they fell silent, then key; each once. The walk
   * stops at the first key marked after the limit (plus lateness, the most an older time can follow a newer one).
   */
  silent(watermarkMs: number): Silence[] {
    const limit = watermarkMs - this.options.allowedLatenessMs - this.options.afterMs;
    const out: Silence[] = [];
    for (const [key, alive] of this.keys) {
      if (alive.lastMs > limit + this.options.allowedLatenessMs) break;
      if (alive.lastMs > limit) continue;
      out.push({ key, ...alive });
      this.keys.delete(key);
    }
    return out.sort((a, b) => a.lastMs - b.lastMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** A watermark repair: alerts after `toMs` did not happen; a key whose newest is after it is forgotten. */
  rewind(toMs: number): void {
    for (const [key, alive] of this.keys) if (alive.lastMs > toMs) this.keys.delete(key);
  }

  snapshot(): AbsenceTrackerSnapshot {
    return { keys: [...this.keys].map(([key, { lastMs, last }]) => [key, lastMs, { source: last.source, entities: { ...last.entities }, group: { ...last.group } }]) };
  }

  restore(snapshot: AbsenceTrackerSnapshot): void {
    this.keys.clear();
    for (const [key, lastMs, last] of snapshot.keys) this.keys.set(key, { lastMs, last });
  }
}
