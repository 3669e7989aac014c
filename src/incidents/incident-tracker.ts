import { z } from 'zod';
import type { CanonicalAlert } from '../normalize/alert.js';
import { formatEventTime } from '../normalize/time.js';
import { incidentId } from './incident-id.js';
import { DEFAULT_MAX_ALERT_IDS, IncidentRecord, type IncidentSeverity, type IncidentView } from './incident-record.js';
import { IndexedHeap } from './indexed-heap.js';

export const IncidentTrackerOptions = z.object({
  /** How many alert ids an incident lists before it only counts (alertIdsTruncated). */
  maxAlertIds: z.number().int().nonnegative().default(DEFAULT_MAX_ALERT_IDS),
  /** Open incidents held at most; beyond it the one with the oldest lastSeen is closed early. */
  maxOpen: z.number().int().positive().default(100_000),
});
export type IncidentTrackerOptions = z.input<typeof IncidentTrackerOptions>;

/** How one rule groups its promoted alerts into incidents. */
export interface IncidentGrouping {
  readonly ruleId: string;
  readonly ruleVersion: number;
  readonly severity: IncidentSeverity;
  readonly category: string;
  readonly title: (alert: CanonicalAlert) => string;
  /** Inactivity gap: an alert joins when it is within this many ms of the incident's alerts. */
  readonly windowMs: number;
  /** Optional: an alert does not join if the incident would then span more than this. */
  readonly maxSpanMs?: number | undefined;
}

export interface RecordResult {
  incidentId: string;
  opened: boolean;
  incident: IncidentView;
}

export interface IncidentTrackerStats {
  open: number;
  /** Closed early (maxOpen, maxSpan, a new burst, a straggler) and waiting for the next advance(). */
  pendingClosed: number;
  recorded: number;
  opened: number;
  /** Closed early to stay within maxOpen. */
  forcedCloses: number;
}

/** One held incident in a snapshot: its record and what joining and ordering need (Infinity is written as null). */
const TrackedIncidentSnapshot = z
  .object({
    record: IncidentRecord,
    groupKey: z.string(),
    firstSeenMs: z.number(),
    lastSeenMs: z.number(),
    windowMs: z.number(),
    maxSpanMs: z.number().nullable(),
    /** Closed early and not yet returned by advance(): when it closed. */
    closedAtMs: z.number().nullable(),
  })
  .strict();

/** The tracker's whole state: restoring it into a fresh tracker continues exactly where this one was. */
export const IncidentTrackerSnapshot = z
  .object({
    open: z.array(TrackedIncidentSnapshot),
    pending: z.array(TrackedIncidentSnapshot),
    recorded: z.number().int().nonnegative(),
    opened: z.number().int().nonnegative(),
    forcedCloses: z.number().int().nonnegative(),
  })
  .strict();
export type IncidentTrackerSnapshot = z.infer<typeof IncidentTrackerSnapshot>;

/** advance() with nothing to return: shared, never written to. */
const NO_INCIDENTS: readonly IncidentRecord[] = Object.freeze([]);

/** An incident while the tracker holds it: the record plus what ordering and joining need. */
class TrackedIncident {
  deadlinePos = -1;
  lastSeenPos = -1;
  /** Event time at which it closed; orders advance() output. */
  closedAtMs = Number.NaN;

  constructor(
    readonly record: IncidentRecord,
    readonly groupKey: string,
    public firstSeenMs: number,
    public lastSeenMs: number,
    /** The opening rule's gap and span: kept so a rule reload cannot reorder the heaps under us. */
    readonly windowMs: number,
    readonly maxSpanMs: number,
  ) {}

  /** When it closes unless another alert joins. */
  get deadlineMs(): number {
    return this.lastSeenMs + this.windowMs;
  }

  /** Within windowMs of the alerts already in (before or after them), and the span stays within maxSpanMs. */
  accepts(timeMs: number): boolean {
    const gap = timeMs > this.lastSeenMs ? timeMs - this.lastSeenMs : timeMs < this.firstSeenMs ? this.firstSeenMs - timeMs : 0;
    const span = Math.max(this.lastSeenMs, timeMs) - Math.min(this.firstSeenMs, timeMs);
    return gap <= this.windowMs && span <= this.maxSpanMs;
  }
}

const earlierDeadline = (a: TrackedIncident, b: TrackedIncident): boolean =>
  a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.record.id < b.record.id);
const olderLastSeen = (a: TrackedIncident, b: TrackedIncident): boolean =>
  a.lastSeenMs < b.lastSeenMs || (a.lastSeenMs === b.lastSeenMs && a.record.id < b.record.id);

/**
 * Groups promoted alerts into incidents per (rule, group key), in event time, with no clock of its own.
 *
 * - An alert joins the open incident of its rule and group when it is within windowMs of it (before
 *   firstSeen, after lastSeen or in between; == windowMs joins) and the span stays within maxSpanMs.
 *   An earlier alert that joins moves firstSeen back; the id stays the one computed at opening.
 * - Otherwise it opens a new incident. If it is later than the open one, that one is closed and the
 *   new one takes its place; if it is earlier (a straggler), it becomes an incident of its own, closed
 *   at once, and the open one is untouched: one open incident per group.
 * - Closed incidents come out of advance(), ordered by closing event time, then id.
 * - The title is rendered once, from the alert that opened the incident.
 */
export class IncidentTracker {
  private readonly maxAlertIds: number;
  private readonly maxOpen: number;
  private readonly byRule = new Map<string, Map<string, TrackedIncident>>();
  private readonly byDeadline = new IndexedHeap<TrackedIncident>(earlierDeadline, {
    get: (i) => i.deadlinePos,
    set: (i, pos) => (i.deadlinePos = pos),
  });
  private readonly byLastSeen = new IndexedHeap<TrackedIncident>(olderLastSeen, {
    get: (i) => i.lastSeenPos,
    set: (i, pos) => (i.lastSeenPos = pos),
  });
  private pending: TrackedIncident[] = [];
  private recorded = 0;
  private opened = 0;
  private forcedCloses = 0;

  constructor(options: IncidentTrackerOptions = {}) {
    const parsed = IncidentTrackerOptions.safeParse(options);
    if (!parsed.success) throw new Error(`invalid incident tracker options:\n${z.prettifyError(parsed.error)}`);
    this.maxAlertIds = parsed.data.maxAlertIds;
    this.maxOpen = parsed.data.maxOpen;
  }

  /**
   * Files one alert under its rule and group. `groupKey` identifies the group (it feeds the id);
   * `groupFields` is what the record shows; `facts` are the rule's aggregates as of this alert (read at
   * once, not kept). The returned incident is a live view: it keeps changing.
   */
  record(
    grouping: IncidentGrouping,
    groupKey: string,
    groupFields: Record<string, string>,
    alert: CanonicalAlert,
    timeMs: number,
    facts: Readonly<Record<string, number>> = {},
  ): RecordResult {
    if (!Number.isFinite(timeMs)) throw new RangeError(`alert time must be a finite number of ms, got ${timeMs}`);
    this.recorded++;
    const groups = this.groupsOf(grouping.ruleId);
    const current = groups.get(groupKey);
    if (current !== undefined && current.accepts(timeMs)) {
      this.join(current, alert, timeMs, facts);
      return { incidentId: current.record.id, opened: false, incident: current.record };
    }
    const incident = this.open(grouping, groupKey, groupFields, alert, timeMs, facts);
    if (current !== undefined && timeMs < current.firstSeenMs) {
      this.queueClosed(incident, Infinity);
    } else {
      if (current !== undefined) this.closeOpen(current, timeMs);
      this.makeRoom(timeMs);
      groups.set(groupKey, incident);
      this.byDeadline.push(incident);
      this.byLastSeen.push(incident);
    }
    return { incidentId: incident.record.id, opened: true, incident: incident.record };
  }

  /**
   * Closes and returns the incidents nobody can join any more (lastSeen + windowMs < watermarkMs) and
   * those closed early since the last call, by closing event time, then id. To let late alerts still
   * join, pass a watermark already lowered by the allowed lateness.
   */
  advance(watermarkMs: number): readonly IncidentRecord[] {
    for (let top = this.byDeadline.peek(); top !== undefined && top.deadlineMs < watermarkMs; top = this.byDeadline.peek()) {
      this.closeOpen(top, Infinity);
    }
    // Called for every alert that moves the watermark: most calls close nothing and allocate nothing.
    if (this.pending.length === 0) return NO_INCIDENTS;
    const closed = this.pending.sort((a, b) => a.closedAtMs - b.closedAtMs || compareIds(a, b));
    this.pending = [];
    return closed.map((i) => i.record);
  }

  /**
   * Closes the open incidents whose last alert is after `timeMs` (a watermark moved back below them:
   * they could otherwise never close); the next advance() returns them. Returns their ids, sorted.
   */
  closeAfter(timeMs: number): string[] {
    const after: TrackedIncident[] = [];
    for (const groups of this.byRule.values()) for (const incident of groups.values()) if (incident.lastSeenMs > timeMs) after.push(incident);
    for (const incident of after) this.closeOpen(incident, timeMs);
    return after.map((i) => i.record.id).sort();
  }

  /** Files an incident (as record() returned it) under a case: its records carry the case id from now on. */
  assignCase(incident: IncidentView, caseId: string): void {
    (incident as IncidentRecord).caseId = caseId;
  }

  /** Incidents closed early (by record()) that the next advance() returns. */
  get hasClosed(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Returns every still-open incident (status 'open'), by firstSeen then id, and forgets them: for
   * shutdown. Incidents closed early stay for advance(), so call advance() first.
   */
  drain(): IncidentRecord[] {
    const open: TrackedIncident[] = [];
    for (const groups of this.byRule.values()) open.push(...groups.values());
    this.byRule.clear();
    this.byDeadline.clear();
    this.byLastSeen.clear();
    open.sort((a, b) => a.firstSeenMs - b.firstSeenMs || compareIds(a, b));
    return open.map((i) => i.record);
  }

  stats(): IncidentTrackerStats {
    return {
      open: this.byDeadline.size,
      pendingClosed: this.pending.length,
      recorded: this.recorded,
      opened: this.opened,
      forcedCloses: this.forcedCloses,
    };
  }

  /** Everything held, as plain data (JSON-safe: Infinity becomes null). */
  snapshot(): IncidentTrackerSnapshot {
    const open: TrackedIncident[] = [];
    for (const groups of this.byRule.values()) open.push(...groups.values());
    open.sort((a, b) => a.firstSeenMs - b.firstSeenMs || compareIds(a, b));
    return {
      open: open.map(snapshotOf),
      pending: this.pending.map(snapshotOf),
      recorded: this.recorded,
      opened: this.opened,
      forcedCloses: this.forcedCloses,
    };
  }

  /**
   * Replaces everything held with a snapshot's state (taken by this class, possibly in another process).
   * `caseOfUncased` files the incidents the snapshot holds without a case (written before cases existed).
   */
  restore(snapshot: IncidentTrackerSnapshot, caseOfUncased?: (incidentId: string) => string): void {
    this.byRule.clear();
    this.byDeadline.clear();
    this.byLastSeen.clear();
    const revive = (s: IncidentTrackerSnapshot['open'][number]) => {
      const record = structuredClone(s.record);
      if (record.caseId === undefined && caseOfUncased !== undefined) record.caseId = caseOfUncased(record.id);
      const incident = new TrackedIncident(record, s.groupKey, s.firstSeenMs, s.lastSeenMs, s.windowMs, s.maxSpanMs ?? Infinity);
      incident.closedAtMs = s.closedAtMs ?? Number.NaN;
      return incident;
    };
    for (const s of snapshot.open) {
      const incident = revive(s);
      this.groupsOf(incident.record.ruleId).set(incident.groupKey, incident);
      this.byDeadline.push(incident);
      this.byLastSeen.push(incident);
    }
    this.pending = snapshot.pending.map(revive);
    this.recorded = snapshot.recorded;
    this.opened = snapshot.opened;
    this.forcedCloses = snapshot.forcedCloses;
  }

  private groupsOf(ruleId: string): Map<string, TrackedIncident> {
    let groups = this.byRule.get(ruleId);
    if (groups === undefined) this.byRule.set(ruleId, (groups = new Map()));
    return groups;
  }

  private open(
    grouping: IncidentGrouping,
    groupKey: string,
    groupFields: Record<string, string>,
    alert: CanonicalAlert,
    timeMs: number,
    facts: Readonly<Record<string, number>>,
  ): TrackedIncident {
    if (!(grouping.windowMs >= 0)) throw new RangeError(`incident window of rule ${grouping.ruleId} must be ≥ 0 ms, got ${grouping.windowMs}`);
    this.opened++;
    const seen = formatEventTime(timeMs);
    const record: IncidentRecord = {
      id: incidentId(grouping.ruleId, groupKey, timeMs),
      ruleId: grouping.ruleId,
      ruleVersion: grouping.ruleVersion,
      title: grouping.title(alert),
      severity: grouping.severity,
      category: grouping.category,
      groupKey: { ...groupFields },
      firstSeen: seen,
      lastSeen: seen,
      alertCount: 1,
      alertIds: this.maxAlertIds > 0 ? [alert.id] : [],
      alertIdsTruncated: this.maxAlertIds === 0,
      status: 'open',
      facts: openingFacts(facts),
      ...(this.maxAlertIds === 0 ? { alertIdsLimit: 0 } : {}),
    };
    return new TrackedIncident(record, groupKey, timeMs, timeMs, grouping.windowMs, grouping.maxSpanMs ?? Infinity);
  }

  private join(incident: TrackedIncident, alert: CanonicalAlert, timeMs: number, facts: Readonly<Record<string, number>>): void {
    const { record } = incident;
    record.alertCount++;
    for (const name in facts) {
      const fact = record.facts[name];
      // A reload can give the rule new aggregates while its incident stays open.
      if (fact === undefined) record.facts[name] = { opened: facts[name]!, peak: facts[name]! };
      else if (facts[name]! > fact.peak) fact.peak = facts[name]!;
    }
    if (record.alertIds.length < this.maxAlertIds) record.alertIds.push(alert.id);
    else if (!record.alertIdsTruncated) {
      record.alertIdsTruncated = true;
      record.alertIdsLimit = this.maxAlertIds;
    }
    if (timeMs > incident.lastSeenMs) {
      incident.lastSeenMs = timeMs;
      record.lastSeen = formatEventTime(timeMs);
      this.byDeadline.update(incident);
      this.byLastSeen.update(incident);
    } else if (timeMs < incident.firstSeenMs) {
      incident.firstSeenMs = timeMs;
      record.firstSeen = formatEventTime(timeMs);
    }
  }

  /** Keeps at most maxOpen open by closing the one with the oldest lastSeen. */
  private makeRoom(causeMs: number): void {
    while (this.byLastSeen.size >= this.maxOpen) {
      this.forcedCloses++;
      this.closeOpen(this.byLastSeen.peek()!, causeMs);
    }
  }

  private closeOpen(incident: TrackedIncident, causeMs: number): void {
    this.byRule.get(incident.record.ruleId)!.delete(incident.groupKey);
    this.byDeadline.remove(incident);
    this.byLastSeen.remove(incident);
    this.queueClosed(incident, causeMs);
  }

  /**
   * The closing time is the deadline, or earlier if an event at `causeMs` forced the close, but never
   * before lastSeen: so the order of advance() output depends on event times only.
   */
  private queueClosed(incident: TrackedIncident, causeMs: number): void {
    incident.closedAtMs = Math.max(incident.lastSeenMs, Math.min(incident.deadlineMs, causeMs));
    incident.record.status = 'closed';
    this.pending.push(incident);
  }
}

function openingFacts(facts: Readonly<Record<string, number>>): IncidentRecord['facts'] {
  const out: IncidentRecord['facts'] = {};
  for (const name in facts) out[name] = { opened: facts[name]!, peak: facts[name]! };
  return out;
}

function snapshotOf(incident: TrackedIncident): IncidentTrackerSnapshot['open'][number] {
  return {
    record: incident.record,
    groupKey: incident.groupKey,
    firstSeenMs: incident.firstSeenMs,
    lastSeenMs: incident.lastSeenMs,
    windowMs: incident.windowMs,
    maxSpanMs: Number.isFinite(incident.maxSpanMs) ? incident.maxSpanMs : null,
    closedAtMs: Number.isNaN(incident.closedAtMs) ? null : incident.closedAtMs,
  };
}

function compareIds(a: TrackedIncident, b: TrackedIncident): number {
  return a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0;
}
