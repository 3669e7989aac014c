import { z } from 'zod';
import { IndexedHeap } from '../incidents/indexed-heap.js';
import { caseIdOf } from './case-id.js';

/** How incidents of different rules join one case (the `cases` config section; docs/cases.md). */
export interface CaseMergeOptions {
  /** Entity kinds whose values link incidents (`host`, `user`, `src_ip`). Empty: every incident is a case of its own. */
  readonly mergeBy: readonly string[];
  /** An incident joins a case when it opens within this long of the case's alerts (before the first or after the last). */
  readonly windowMs: number;
  /** Entity values one case links at most; past them it keeps the ones it has (bounded state). */
  readonly maxKeysPerCase?: number;
}

export const DEFAULT_MAX_KEYS_PER_CASE = 64;

/** One case the merger holds while incidents can still join it. */
const HeldCaseSnapshot = z
  .object({
    id: z.string(),
    firstSeenMs: z.number(),
    lastSeenMs: z.number(),
    /** The `kind\u0000value` keys that point at this case. */
    keys: z.array(z.string()),
  })
  .strict();

/** The merger's whole state: restoring it into a fresh merger continues exactly where this one was. */
export const CaseMergerSnapshot = z.object({ cases: z.array(HeldCaseSnapshot) }).strict();
export type CaseMergerSnapshot = z.infer<typeof CaseMergerSnapshot>;

class HeldCase {
  pos = -1;
  constructor(
    readonly id: string,
    public firstSeenMs: number,
    public lastSeenMs: number,
    readonly keys: string[],
  ) {}
}

const KEY_SEPARATOR = '\u0000';
/** Values remembered per kind in CaseMerger's key memo (a few MB at most). */
const KEY_MEMO_LIMIT = 65_536;

/**
 * One case per attack: files each incident, as it opens, into a case. An incident joins the case that
 * shares one of its `mergeBy` entity values (the same host, user or source address) and whose alerts
 * are within `windowMs` of its opening alert; when several cases qualify, the oldest (first seen, then
 * id) takes it. Otherwise the incident opens a case of its own, whose id derives from the incident's.
 *
 * Pure and deterministic: no clock and no I/O, only the event times of the alerts it is given, in the
 * order it is given them. The pipeline feeds it (an incident opened, an alert joined an incident) so
 * that `replay`, `run` and the Kafka worker merge the same way; its state is part of the pipeline's
 * snapshot. Cases are never merged with each other: an incident that could join two joins the oldest,
 * and links its other entity values to it for incidents that come later.
 */
export class CaseMerger {
  private readonly byKey = new Map<string, HeldCase>();
  private readonly byId = new Map<string, HeldCase>();
  private readonly byDeadline = new IndexedHeap<HeldCase>(
    (a, b) => a.lastSeenMs < b.lastSeenMs || (a.lastSeenMs === b.lastSeenMs && a.id < b.id),
    { get: (c) => c.pos, set: (c, pos) => (c.pos = pos) },
  );
  private readonly mergeBy: readonly string[];
  private readonly windowMs: number;
  private readonly maxKeys: number;
  /** Keys of the alert being filed; reused from call to call. */
  private readonly scratch: string[] = [];
  /**
   * By `mergeBy` kind, value → its `kind\u0000value` key, made before: entity values repeat from alert to
   * alert, and a key made afresh is a new string, hashed afresh by every lookup. Emptied at KEY_MEMO_LIMIT.
   */
  private readonly keyMemo: Map<string, string>[];

  constructor(options: CaseMergeOptions) {
    if (!(options.windowMs >= 0)) throw new RangeError(`case merge window must be ≥ 0 ms, got ${options.windowMs}`);
    this.mergeBy = [...options.mergeBy];
    this.windowMs = options.windowMs;
    this.maxKeys = options.maxKeysPerCase ?? DEFAULT_MAX_KEYS_PER_CASE;
    this.keyMemo = this.mergeBy.map(() => new Map());
  }

  /** Cases held (incidents can still join them). */
  get size(): number {
    return this.byId.size;
  }

  /**
   * An incident opened with the alert whose entities and event time are given: returns its case's id.
   * `mergeable` false (the rule's `incident.merge: false`): a case of its own that nothing else joins.
   */
  open(incidentId: string, entities: Readonly<Record<string, string>>, timeMs: number, mergeable = true): string {
    if (!mergeable || this.mergeBy.length === 0) return caseIdOf(incidentId);
    const keys = this.keysOf(entities);
    let found: HeldCase | undefined;
    for (const key of keys) {
      const held = this.byKey.get(key);
      if (held !== undefined && this.accepts(held, timeMs) && (found === undefined || older(held, found))) found = held;
    }
    if (found === undefined) {
      found = new HeldCase(caseIdOf(incidentId), timeMs, timeMs, []);
      this.byId.set(found.id, found);
      this.byDeadline.push(found);
    } else {
      this.extend(found, timeMs);
    }
    this.link(found, keys);
    return found.id;
  }

  /** An alert joined an incident of case `caseId` (a mergeable one): the case stays joinable around it, and links its entity values. */
  join(caseId: string, entities: Readonly<Record<string, string>>, timeMs: number): void {
    if (this.mergeBy.length === 0) return;
    let held = this.byId.get(caseId);
    if (held === undefined) {
      // Forgotten while one of its incidents stayed open (that rule's incident window is longer than the case window).
      held = new HeldCase(caseId, timeMs, timeMs, []);
      this.byId.set(caseId, held);
      this.byDeadline.push(held);
    } else {
      this.extend(held, timeMs);
    }
    this.link(held, this.keysOf(entities));
  }

  /** Forgets the cases no incident can join any more: their last alert is more than the window before `watermarkMs`. */
  advance(watermarkMs: number): void {
    for (let top = this.byDeadline.peek(); top !== undefined && top.lastSeenMs + this.windowMs < watermarkMs; top = this.byDeadline.peek()) {
      this.byDeadline.remove(top);
      this.byId.delete(top.id);
      for (const key of top.keys) if (this.byKey.get(key) === top) this.byKey.delete(key);
    }
  }

  snapshot(): CaseMergerSnapshot {
    const cases = [...this.byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { cases: cases.map((c) => ({ id: c.id, firstSeenMs: c.firstSeenMs, lastSeenMs: c.lastSeenMs, keys: [...c.keys] })) };
  }

  restore(snapshot: CaseMergerSnapshot): void {
    this.byKey.clear();
    this.byId.clear();
    this.byDeadline.clear();
    for (const s of snapshot.cases) {
      const held = new HeldCase(s.id, s.firstSeenMs, s.lastSeenMs, [...s.keys]);
      this.byId.set(held.id, held);
      this.byDeadline.push(held);
      for (const key of held.keys) this.byKey.set(key, held);
    }
  }

  private accepts(held: HeldCase, timeMs: number): boolean {
    return timeMs >= held.firstSeenMs - this.windowMs && timeMs <= held.lastSeenMs + this.windowMs;
  }

  private extend(held: HeldCase, timeMs: number): void {
    if (timeMs < held.firstSeenMs) held.firstSeenMs = timeMs;
    if (timeMs > held.lastSeenMs) {
      held.lastSeenMs = timeMs;
      this.byDeadline.update(held);
    }
  }

  /** Points the keys nobody else holds at `held` (a key of another live case stays with it), up to the cap. */
  private link(held: HeldCase, keys: readonly string[]): void {
    for (const key of keys) {
      // advance() unlinks a forgotten case's keys, so a key still held belongs to a live case.
      if (this.byKey.has(key)) continue;
      if (held.keys.length >= this.maxKeys) return;
      this.byKey.set(key, held);
      held.keys.push(key);
    }
  }

  private keysOf(entities: Readonly<Record<string, string>>): string[] {
    const keys = this.scratch;
    keys.length = 0;
    for (let i = 0; i < this.mergeBy.length; i++) {
      const kind = this.mergeBy[i]!;
      const value = entities[kind];
      if (typeof value !== 'string' || value === '') continue;
      const memo = this.keyMemo[i]!;
      let key = memo.get(value);
      if (key === undefined) {
        if (memo.size >= KEY_MEMO_LIMIT) memo.clear();
        memo.set(value, (key = kind + KEY_SEPARATOR + value));
      }
      keys.push(key);
    }
    return keys;
  }
}

function older(a: HeldCase, b: HeldCase): boolean {
  return a.firstSeenMs < b.firstSeenMs || (a.firstSeenMs === b.firstSeenMs && a.id < b.id);
}
