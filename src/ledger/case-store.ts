import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import type { CaseAudit } from '../audit/audit-log.js';
import { caseIdOf } from '../cases/case-id.js';
import { CaseDetail, CaseEvent, CaseSummary, NotificationStatus, type CaseEventKind } from '../cases/case-record.js';
import { MAX_FLAGS } from '../cases/flags.js';
import { transition, UNACKNOWLEDGED, type CaseAction } from '../cases/lifecycle.js';
import { notificationId, noticeOf, severityRank } from '../cases/notice.js';
import { Explanation } from '../decide/decision-record.js';
import type { Verdict } from '../feedback/feedback.js';
import { IncidentRecord } from '../incidents/index.js';
import { CaseNotice, type CaseState, type NotificationKind } from '../receivers/receiver.js';
import type { OpeningAlert } from './records.js';
import { obligationStatusOf } from './obligation-store.js';
import { CaseEventRow, CaseRow, IncidentRow, NotificationRow, ObligationRow, type LedgerTables } from './rows.js';

type Db = Kysely<LedgerTables> | Transaction<LedgerTables>;

/** What the case store and the outbox share with the ledger: its database, backend and clock. */
export interface LedgerContext {
  readonly db: Kysely<LedgerTables>;
  readonly backend: 'sqlite' | 'postgres';
  readonly now: () => number;
  /** A drill's ledger: every notice says so (CaseNotice.drill). */
  readonly drill?: boolean;
}

/** An event written to a case, for the audit log, the metrics and the escalation's wake-up. */
export interface CaseChange {
  readonly caseId: string;
  readonly event: CaseEvent;
  /** Notifications written with it (same transaction). */
  readonly notifications: readonly { readonly id: string; readonly receiver: string; readonly kind: NotificationKind }[];
}

/** The audit record of a case event (docs/logging.md). */
export function caseAuditOf(change: CaseChange): CaseAudit {
  const { event } = change;
  return {
    actor: event.actor,
    caseId: change.caseId,
    change: event.event,
    seq: event.seq,
    from: event.from,
    to: event.to,
    note: event.note,
    notified: change.notifications.map((n) => `${n.receiver}:${n.kind}`),
  };
}

/** Most values one entity kind lists on a case (the alphabetically first: the same whatever the order incidents arrive in). */
const MAX_ENTITY_VALUES = 20;
const MAX_TAGS = 20;
/** Case ids per IN list. */
const CHUNK = 200;

/**
 * Files a flush's incidents into their cases (same transaction as the incidents): a new case is opened
 * (and, with `escalate`, due for escalation at once); an existing one takes the new detection facts,
 * and a new incident or a higher severity is a `grew` event that updates every receiver already told.
 * Detection going quiet (every incident closed) or active again is an event too, never a state change.
 * The case's facts are derived from its incidents, so writing the same records again changes nothing.
 */
export async function fileIntoCases(
  trx: Transaction<LedgerTables>,
  ctx: LedgerContext,
  incidents: readonly IncidentRecord[],
  openings: readonly { incidentId: string; decisionJson: string; alert: OpeningAlert }[],
  options: { readonly escalate: boolean },
): Promise<CaseChange[]> {
  // The case a ledger filed an incident under the first time stays its case (the column, not the record).
  const filed = new Map<string, string>();
  for (let i = 0; i < incidents.length; i += CHUNK) {
    const rows = await trx.selectFrom('incidents').select(['id', 'case_id']).where('id', 'in', incidents.slice(i, i + CHUNK).map((r) => r.id)).execute();
    for (const r of rows) if (r.case_id !== null) filed.set(r.id, r.case_id);
  }
  const byCase = new Map<string, IncidentRecord[]>();
  for (const r of incidents) {
    const id = filed.get(r.id) ?? caseOfIncident(r);
    const list = byCase.get(id);
    if (list) list.push(r);
    else byCase.set(id, [r]);
  }
  if (byCase.size === 0) return [];
  const openingOf = new Map(openings.map((o) => [o.incidentId, o]));
  const ids = [...byCase.keys()].sort();
  const now = ctx.now();
  const changes: CaseChange[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    let locked = trx.selectFrom('cases').selectAll().where('id', 'in', chunk);
    // Writers of one case (this flush, an analyst's action, the escalation) queue on its row (PostgreSQL).
    if (ctx.backend === 'postgres') locked = locked.forUpdate();
    const existing = new Map((await locked.execute()).map((r) => [r.id, CaseRow.parse(r)]));
    const facts = await detectionFacts(trx, chunk);
    for (const id of chunk) {
      const derived = facts.get(id)!;
      const batch = byCase.get(id)!.sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || (a.id < b.id ? -1 : 1));
      const before = existing.get(id);
      const entities = mergeEntities(before ? (JSON.parse(before.entities) as Record<string, string[]>) : {}, batch, openingOf);
      const tags = mergeTags(before ? (JSON.parse(before.tags) as string[]) : [], batch, openingOf);
      // The incident the case id derives from names the case, whichever flush brings it.
      const opener = batch.find((r) => caseIdOf(r.id) === id);
      const named = opener ?? (before ? undefined : batch[0]!);
      const naming = named ? { title: named.title, category: named.category, summary: summaryOf(named, openingOf.get(named.id)?.decisionJson) } : {};
      const detection = {
        severity: derived.severity,
        first_seen_ms: derived.firstSeenMs,
        last_seen_ms: derived.lastSeenMs,
        alert_count: derived.alertCount,
        incident_count: derived.incidentCount,
        open_incidents: derived.openIncidents,
        rules: JSON.stringify(derived.rules),
        entities: JSON.stringify(entities),
        tags: JSON.stringify(tags),
        updated_at_ms: now,
      };
      if (!before) {
        const row: CaseRow = {
          id,
          title: naming.title!,
          category: naming.category!,
          summary: naming.summary!,
          ...detection,
          state: 'open',
          assignee: null,
          classification: null,
          policy: null,
          oncall: null,
          escalation_level: 0,
          reminders: 0,
          next_escalation_at_ms: options.escalate ? now : null,
          rematch: 0,
          opened_at_ms: now,
          acknowledged_at_ms: null,
          resolved_at_ms: null,
          closed_at_ms: null,
          last_seq: 0,
          flags: '[]',
          obligations_seq: 0,
          postmortem_done_at_ms: null,
          postmortem_done_by: null,
        };
        await trx.insertInto('cases').values(row).execute();
        changes.push(await appendEvent(trx, ctx, row, { actor: 'alertgate', event: 'opened', from: null, to: 'open', note: `${named!.ruleId}: ${named!.title}` }));
        continue;
      }
      const grew = derived.incidentCount > before.incident_count || severityRank(derived.severity) > severityRank(before.severity);
      const severityRose = severityRank(derived.severity) > severityRank(before.severity);
      const after: CaseRow = {
        ...before,
        ...naming,
        ...detection,
        // A higher severity may call for another escalation policy (matched again by the escalation).
        rematch: severityRose && UNACKNOWLEDGED.includes(before.state as CaseState) ? 1 : before.rematch,
      };
      await trx.updateTable('cases').set(withoutId(after)).where('id', '=', id).execute();
      let current = after;
      if (grew) {
        const added = derived.rules.filter((r) => !(JSON.parse(before.rules) as { id: string }[]).some((b) => b.id === r.id)).map((r) => r.id);
        const change = await appendEvent(trx, ctx, current, {
          actor: 'alertgate',
          event: 'grew',
          from: `${before.incident_count} incidents, ${before.severity}`,
          to: `${derived.incidentCount} incidents, ${derived.severity}`,
          note: added.length > 0 ? `new rules: ${added.join(', ')}` : null,
          notify: 'update',
        });
        changes.push(change);
        current = { ...current, last_seq: change.event.seq };
      }
      if (before.open_incidents > 0 && derived.openIncidents === 0) {
        changes.push(await appendEvent(trx, ctx, current, { actor: 'alertgate', event: 'quiet', from: 'active', to: 'quiet', note: 'every incident closed: no more alerts (the case stays as people left it)' }));
      } else if (before.open_incidents === 0 && derived.openIncidents > 0) {
        changes.push(await appendEvent(trx, ctx, current, { actor: 'alertgate', event: 'active', from: 'quiet', to: 'active', note: null }));
      }
    }
  }
  return changes;
}

/** The case an incident record is filed under: its own field, or a case of its own for records from before cases. */
export function caseOfIncident(record: IncidentRecord): string {
  return record.caseId ?? caseIdOf(record.id);
}

interface DerivedFacts {
  severity: string;
  firstSeenMs: number;
  lastSeenMs: number;
  alertCount: number;
  incidentCount: number;
  openIncidents: number;
  rules: { id: string; alerts: number }[];
}

/** A case's detection facts from its incidents as the ledger holds them now. */
async function detectionFacts(db: Db, ids: readonly string[]): Promise<Map<string, DerivedFacts>> {
  const rows = await db
    .selectFrom('incidents')
    .select((eb) => [
      'case_id',
      'rule_id',
      'severity',
      eb.fn.min('first_seen_ms').as('first'),
      eb.fn.max('last_seen_ms').as('last'),
      eb.fn.sum<number>('alert_count').as('alerts'),
      eb.fn.countAll().as('n'),
      eb.fn.sum<number>(eb.case().when('status', '=', 'open').then(1).else(0).end()).as('open'),
    ])
    .where('case_id', 'in', ids)
    .groupBy(['case_id', 'rule_id', 'severity'])
    .execute();
  const out = new Map<string, DerivedFacts>();
  for (const r of rows) {
    const id = r.case_id!;
    let f = out.get(id);
    if (!f) out.set(id, (f = { severity: r.severity, firstSeenMs: Infinity, lastSeenMs: -Infinity, alertCount: 0, incidentCount: 0, openIncidents: 0, rules: [] }));
    if (severityRank(r.severity) > severityRank(f.severity)) f.severity = r.severity;
    f.firstSeenMs = Math.min(f.firstSeenMs, Number(r.first));
    f.lastSeenMs = Math.max(f.lastSeenMs, Number(r.last));
    f.alertCount += Number(r.alerts);
    f.incidentCount += Number(r.n);
    f.openIncidents += Number(r.open);
    const rule = f.rules.find((x) => x.id === r.rule_id);
    if (rule) rule.alerts += Number(r.alerts);
    else f.rules.push({ id: r.rule_id, alerts: Number(r.alerts) });
  }
  for (const f of out.values()) f.rules.sort((a, b) => b.alerts - a.alerts || (a.id < b.id ? -1 : 1));
  return out;
}

function mergeEntities(
  into: Record<string, string[]>,
  incidents: readonly IncidentRecord[],
  openings: ReadonlyMap<string, { alert: OpeningAlert }>,
): Record<string, string[]> {
  const sets = new Map<string, Set<string>>(Object.entries(into).map(([k, v]) => [k, new Set(v)]));
  const add = (kind: string, value: string) => {
    if (value === '') return;
    let set = sets.get(kind);
    if (!set) sets.set(kind, (set = new Set()));
    set.add(value);
  };
  for (const r of incidents) {
    for (const [path, value] of Object.entries(r.groupKey)) if (path.startsWith('entities.')) add(path.slice('entities.'.length), value);
    for (const [kind, value] of Object.entries(openings.get(r.id)?.alert.entities ?? {})) add(kind, value);
  }
  // The alphabetically first values: taking the first n is the same however the values arrive.
  return Object.fromEntries([...sets].sort(([a], [b]) => (a < b ? -1 : 1)).map(([kind, set]) => [kind, [...set].sort().slice(0, MAX_ENTITY_VALUES)]));
}

function mergeTags(into: readonly string[], incidents: readonly IncidentRecord[], openings: ReadonlyMap<string, { alert: OpeningAlert }>): string[] {
  const tags = new Set(into);
  for (const r of incidents) for (const tag of openings.get(r.id)?.alert.tags ?? []) tags.add(tag);
  return [...tags].sort().slice(0, MAX_TAGS);
}

/** One or two sentences from the opening decision: the rule, the values it saw against its thresholds, the group. */
function summaryOf(incident: IncidentRecord, decisionJson: string | undefined): string {
  const group = Object.entries(incident.groupKey).map(([k, v]) => `${k.replace(/^entities\./, '')}=${v}`);
  let why = '';
  if (decisionJson !== undefined) {
    const explanation = Explanation.safeParse((JSON.parse(decisionJson) as { explanation?: unknown }).explanation);
    if (explanation.success) {
      const { aggregates = {}, params = {} } = explanation.data;
      const seen = Object.entries(aggregates).map(([k, v]) => `${k} ${v}`);
      const thresholds = Object.entries(params).map(([k, v]) => `${k} ${v}`);
      if (seen.length > 0) why = `: ${seen.join(', ')}${thresholds.length > 0 ? ` (thresholds ${thresholds.join(', ')})` : ''}`;
    }
  }
  return `${incident.title}. Opened by rule ${incident.ruleId} v${incident.ruleVersion}${why}${group.length > 0 ? ` on ${group.join(', ')}` : ''}.`;
}

/** What a case event writes: the event, and optionally the notifications of the same kind to every receiver already told. */
export interface NewEvent {
  readonly actor: string;
  readonly event: CaseEventKind;
  readonly from: string | null;
  readonly to: string | null;
  readonly note: string | null;
  /** Tell every receiver told about the case so far (update or resolve). */
  readonly notify?: NotificationKind;
  /** And these receivers, with their kind (escalation levels, fallbacks). */
  readonly receivers?: readonly { readonly receiver: string; readonly kind: NotificationKind }[];
  /** What the notices say instead of the case's summary (an obligation's reminder). */
  readonly summary?: string;
}

/** Appends an event to a case (the next seq) with its notifications, in the caller's transaction. `row` is the case as it now is. */
export async function appendEvent(trx: Transaction<LedgerTables>, ctx: LedgerContext, row: CaseRow, e: NewEvent): Promise<CaseChange> {
  const seq = row.last_seq + 1;
  const atMs = ctx.now();
  await trx.insertInto('case_events').values({ case_id: row.id, seq, at_ms: atMs, actor: e.actor, event: e.event, from_value: e.from, to_value: e.to, note: e.note }).execute();
  await trx.updateTable('cases').set({ last_seq: seq }).where('id', '=', row.id).execute();
  const targets: { receiver: string; kind: NotificationKind }[] = [];
  if (e.notify !== undefined) {
    const told = await trx.selectFrom('notifications').select('receiver').distinct().where('case_id', '=', row.id).orderBy('receiver').execute();
    for (const { receiver } of told) targets.push({ receiver, kind: e.notify });
  }
  for (const t of e.receivers ?? []) if (!targets.some((x) => x.receiver === t.receiver)) targets.push(t);
  const facts = factsOf(row);
  const notice = noticeOf(e.summary === undefined ? facts : { ...facts, summary: e.summary }, ctx.drill ?? false);
  const written: CaseChange['notifications'][number][] = [];
  for (const { receiver, kind } of targets) {
    const id = notificationId(row.id, receiver, seq, kind);
    await insertNotification(trx, { id, case_id: row.id, case_seq: seq, receiver, kind, notice: JSON.stringify(notice), created_at_ms: atMs, fallback_for: null });
    written.push({ id, receiver, kind });
  }
  return { caseId: row.id, event: eventOf({ case_id: row.id, seq, at_ms: atMs, actor: e.actor, event: e.event, from_value: e.from, to_value: e.to, note: e.note }), notifications: written };
}

/** Writes one pending notification (once: the id is its idempotency key). */
export async function insertNotification(
  trx: Db,
  n: Pick<NotificationRow, 'id' | 'case_id' | 'case_seq' | 'receiver' | 'kind' | 'notice' | 'created_at_ms' | 'fallback_for'>,
): Promise<void> {
  await trx
    .insertInto('notifications')
    .values({ ...n, status: 'pending', attempts: 0, next_attempt_at_ms: n.created_at_ms, last_error: null, delivered_at_ms: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

export function factsOf(row: CaseRow) {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity,
    classification: row.classification,
    state: row.state,
    assignee: row.assignee,
    entities: JSON.parse(row.entities) as Record<string, string[]>,
    firstSeenMs: row.first_seen_ms,
    lastSeenMs: row.last_seen_ms,
    alertCount: row.alert_count,
    rules: JSON.parse(row.rules) as { id: string; alerts: number }[],
    summary: row.summary,
    escalationLevel: row.escalation_level,
    oncall: row.oncall,
  };
}

function withoutId(row: CaseRow): Omit<CaseRow, 'id'> {
  const { id: _id, ...rest } = row;
  return rest;
}

export function eventOf(row: CaseEventRow): CaseEvent {
  return CaseEvent.parse({
    seq: row.seq,
    at: new Date(row.at_ms).toISOString(),
    actor: row.actor,
    event: row.event,
    from: row.from_value,
    to: row.to_value,
    note: row.note,
  });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const VERDICT_BY_RANK: readonly (Verdict | null)[] = [null, 'false_positive', 'benign_positive', 'true_positive'];

function summaryRowOf(row: CaseRow, verdictRank: number): CaseSummary {
  return CaseSummary.parse({
    id: row.id,
    title: row.title,
    severity: row.severity,
    category: row.category,
    classification: row.classification,
    state: row.state,
    assignee: row.assignee,
    flags: JSON.parse(row.flags),
    verdict: VERDICT_BY_RANK[verdictRank] ?? null,
    detection: row.open_incidents > 0 ? 'active' : 'quiet',
    firstSeen: iso(row.first_seen_ms),
    lastSeen: iso(row.last_seen_ms),
    alertCount: row.alert_count,
    incidentCount: row.incident_count,
    rules: JSON.parse(row.rules),
    entities: JSON.parse(row.entities),
    escalation: { policy: row.policy, level: row.escalation_level, oncall: row.oncall, nextAt: iso(row.next_escalation_at_ms) },
    openedAt: iso(row.opened_at_ms),
    acknowledgedAt: iso(row.acknowledged_at_ms),
    resolvedAt: iso(row.resolved_at_ms),
    closedAt: iso(row.closed_at_ms),
    updatedAt: iso(row.updated_at_ms),
  });
}

export function notificationStatusOf(row: NotificationRow): NotificationStatus {
  const notice = CaseNotice.parse(JSON.parse(row.notice));
  return NotificationStatus.parse({
    id: row.id,
    caseId: row.case_id,
    receiver: row.receiver,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at_ms) : null,
    lastError: row.last_error,
    createdAt: iso(row.created_at_ms),
    deliveredAt: iso(row.delivered_at_ms),
    fallbackFor: row.fallback_for,
    escalationLevel: notice.escalationLevel,
    oncall: notice.oncall,
  });
}

/** Time to acknowledge (MTTA) buckets, seconds: a minute to three days. */
const ACKNOWLEDGE_BOUNDS = [60, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 259_200] as const;
/** Time to resolve (MTTR) buckets, seconds: fifteen minutes to four weeks. */
const RESOLVE_BOUNDS = [900, 3600, 14_400, 28_800, 86_400, 259_200, 604_800, 1_209_600, 2_419_200] as const;

/** What a report reads of a case (wall-clock times of what people did; its verdict from the feedback). */
export interface ReportCase {
  readonly classification: string | null;
  readonly verdict: Verdict | null;
  readonly openedAtMs: number;
  readonly acknowledgedAtMs: number | null;
  readonly resolvedAtMs: number | null;
}

/** A histogram as the metrics export it (src/metrics/collected-metric.ts). */
export interface DurationHistogram {
  readonly count: number;
  readonly sum: number;
  cumulative(): { le: string; count: number }[];
}

/** The cases' figures for the metrics. */
export interface CaseStats {
  /** Cases not closed, by state and severity. */
  readonly cases: readonly { state: string; severity: string; count: number }[];
  /** Per severity: how long the oldest case nobody acknowledged has been open (wall clock). */
  readonly oldestUnacknowledged: readonly { severity: string; seconds: number }[];
  /** Escalation steps taken, by the level reached. */
  readonly escalations: readonly { level: string; count: number }[];
  /** Seconds from opening to the first acknowledgement, and to the (last) resolution, over every case. */
  readonly acknowledge: DurationHistogram;
  readonly resolve: DurationHistogram;
}

export interface CaseFilter {
  readonly state?: CaseState | undefined;
  readonly severity?: string | undefined;
  /** Cases with an incident of this rule. */
  readonly ruleId?: string | undefined;
  /** First seen (event time) at or after / at or before. */
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
  readonly classification?: string | undefined;
  readonly assignee?: string | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** What an action takes besides the action itself. */
export interface CaseActionInput {
  /** Who: `cli:<user>`, `api:<token name>`. */
  readonly actor: string;
  readonly assignee?: string | undefined;
  readonly classification?: string | undefined;
  readonly flag?: string | undefined;
  readonly note?: string | undefined;
  /** Severities whose cases need their postmortem marked done before they close (docs/postmortems.md). */
  readonly postmortemRequiredFor?: readonly string[] | undefined;
}

export type CaseActionResult =
  | { readonly status: 'not_found'; readonly caseId: string }
  | { readonly status: 'refused'; readonly caseId: string; readonly message: string }
  | { readonly status: 'done'; readonly case: CaseSummary; readonly change: CaseChange };

/** What the escalation decides for a due case: column changes, events (in order) and who to tell with each. */
export interface EscalationUpdate {
  readonly set: Partial<Pick<CaseRow, 'policy' | 'oncall' | 'escalation_level' | 'reminders' | 'next_escalation_at_ms' | 'rematch'>>;
  readonly events: readonly Omit<NewEvent, 'actor'>[];
}

/** A due case as the escalation sees it. */
export type EscalationCase = Readonly<CaseRow>;

/**
 * Cases in the ledger: listing and reading them (with their incidents, timeline and notifications),
 * the lifecycle actions people take, and the escalation's steps. Every change is one transaction with
 * its case event and the notifications it causes.
 */
export class CaseStore {
  constructor(private readonly ctx: LedgerContext) {}

  /** Cases, newest first (first seen, then id). */
  async list(filter: CaseFilter = {}): Promise<CaseSummary[]> {
    let query = this.withVerdicts();
    if (filter.state) query = query.where('cases.state', '=', filter.state);
    if (filter.severity) query = query.where('cases.severity', '=', filter.severity);
    if (filter.classification) query = query.where('cases.classification', '=', filter.classification);
    if (filter.assignee) query = query.where('cases.assignee', '=', filter.assignee);
    if (filter.sinceMs !== undefined) query = query.where('cases.first_seen_ms', '>=', filter.sinceMs);
    if (filter.untilMs !== undefined) query = query.where('cases.first_seen_ms', '<=', filter.untilMs);
    if (filter.ruleId) {
      const ruleId = filter.ruleId;
      query = query.where((eb) => eb.exists(eb.selectFrom('incidents').select('incidents.id').whereRef('incidents.case_id', '=', 'cases.id').where('incidents.rule_id', '=', ruleId)));
    }
    const rows = await query
      .orderBy('cases.first_seen_ms', 'desc')
      .orderBy('cases.id')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map(({ verdict_rank, ...row }) => summaryRowOf(CaseRow.parse(row), Number(verdict_rank ?? 0)));
  }

  /** A case id, or the case of an incident id (`inc-…`); undefined when the ledger has neither. */
  async resolveId(idOrIncident: string): Promise<string | undefined> {
    if (idOrIncident.startsWith('inc-')) {
      const row = await this.ctx.db.selectFrom('incidents').select('case_id').where('id', '=', idOrIncident).executeTakeFirst();
      return row?.case_id ?? undefined;
    }
    const row = await this.ctx.db.selectFrom('cases').select('id').where('id', '=', idOrIncident).executeTakeFirst();
    return row?.id;
  }

  /** One case as lists show it. */
  async summary(id: string): Promise<CaseSummary | undefined> {
    const row = await this.withVerdicts().where('cases.id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const { verdict_rank, ...caseRow } = row;
    return summaryRowOf(CaseRow.parse(caseRow), Number(verdict_rank ?? 0));
  }

  async get(id: string): Promise<CaseDetail | undefined> {
    const row = await this.withVerdicts().where('cases.id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const { verdict_rank, ...caseRow } = row;
    const parsed = CaseRow.parse(caseRow);
    const incidents = await this.ctx.db.selectFrom('incidents').select(['record', 'verdict']).where('case_id', '=', id).orderBy('first_seen_ms').orderBy('id').execute();
    const events = await this.ctx.db.selectFrom('case_events').selectAll().where('case_id', '=', id).orderBy('seq').execute();
    const notifications = await this.ctx.db.selectFrom('notifications').selectAll().where('case_id', '=', id).orderBy('case_seq').orderBy('receiver').execute();
    return CaseDetail.parse({
      ...summaryRowOf(parsed, Number(verdict_rank ?? 0)),
      summary: parsed.summary,
      tags: JSON.parse(parsed.tags),
      incidents: incidents.map((r) => ({ ...IncidentRecord.parse(JSON.parse(r.record)), verdict: IncidentRow.shape.verdict.parse(r.verdict) })),
      timeline: events.map((e) => eventOf(CaseEventRow.parse(e))),
      notifications: notifications.map((n) => notificationStatusOf(NotificationRow.parse(n))),
      obligations: (await this.ctx.db.selectFrom('case_obligations').selectAll().where('case_id', '=', id).orderBy('due_at_ms').orderBy('name').execute()).map((o) =>
        obligationStatusOf(ObligationRow.parse(o)),
      ),
      postmortem: { doneAt: iso(parsed.postmortem_done_at_ms), doneBy: parsed.postmortem_done_by },
    });
  }

  /** The incident ids of a case (for feedback on all of them). */
  async incidentIds(caseId: string): Promise<string[]> {
    const rows = await this.ctx.db.selectFrom('incidents').select('id').where('case_id', '=', caseId).orderBy('first_seen_ms').orderBy('id').execute();
    return rows.map((r) => r.id);
  }

  /**
   * A person's action on a case: refused (with why, and what is possible) when the lifecycle does not
   * allow it; otherwise the case changes, the event is recorded and the receivers already told are
   * updated (resolve: resolved), all in one transaction.
   */
  async act(caseId: string, action: CaseAction, input: CaseActionInput): Promise<CaseActionResult> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const before = await this.lock(trx, caseId);
      if (!before) return { status: 'not_found', caseId } as const;
      const state = before.state as CaseState;
      const step = transition(state, action);
      if (!step.ok) return { status: 'refused', caseId, message: step.message } as const;
      const now = this.ctx.now();
      const after: CaseRow = { ...before, state: step.to, updated_at_ms: now };
      let from: string | null = state;
      let to: string | null = step.to;
      if (action === 'assign') {
        [from, to] = [before.assignee, input.assignee ?? null];
        after.assignee = input.assignee ?? null;
      } else if (action === 'classify') {
        [from, to] = [before.classification, input.classification ?? null];
        after.classification = input.classification ?? null;
        if (UNACKNOWLEDGED.includes(state)) after.rematch = 1;
      } else if (action === 'flag' || action === 'unflag') {
        const flags = new Set(JSON.parse(before.flags) as string[]);
        const flag = input.flag ?? '';
        if (action === 'flag' && flags.has(flag)) return { status: 'refused', caseId, message: `the case is flagged ${flag} already` } as const;
        if (action === 'unflag' && !flags.has(flag)) return { status: 'refused', caseId, message: `the case is not flagged ${flag} (its flags: ${[...flags].join(', ') || 'none'})` } as const;
        if (action === 'flag' && flags.size >= MAX_FLAGS) return { status: 'refused', caseId, message: `a case carries at most ${MAX_FLAGS} flags` } as const;
        if (action === 'flag') flags.add(flag);
        else flags.delete(flag);
        after.flags = JSON.stringify([...flags].sort());
        [from, to] = action === 'flag' ? [null, flag] : [flag, null];
      }
      if (action === 'close' && before.postmortem_done_at_ms === null && (input.postmortemRequiredFor ?? []).includes(before.severity)) {
        return {
          status: 'refused',
          caseId,
          message: `cannot close a ${before.severity} case before its postmortem is done: write it (alertgate postmortem ${caseId}) and mark it done (alertgate postmortem ${caseId} --done); docs/postmortems.md`,
        } as const;
      }
      if (action === 'acknowledge' || action === 'contain' || action === 'resolve') {
        // Taken: escalation stops, and the first of these is the case's time to acknowledge.
        after.acknowledged_at_ms = before.acknowledged_at_ms ?? now;
        after.next_escalation_at_ms = null;
        after.rematch = 0;
      }
      if (action === 'resolve') after.resolved_at_ms = now;
      if (action === 'close') after.closed_at_ms = now;
      if (action === 'reopen') {
        // Nobody has it again: escalation starts over from its first level, under the policy that matches now.
        Object.assign(after, { closed_at_ms: null, policy: null, escalation_level: 0, reminders: 0, next_escalation_at_ms: now, rematch: 0 });
      }
      await trx.updateTable('cases').set(withoutId(after)).where('id', '=', caseId).execute();
      const change = await appendEvent(trx, this.ctx, after, {
        actor: input.actor,
        event: EVENT_OF[action],
        from,
        to,
        note: input.note ?? null,
        ...(action === 'close' ? {} : { notify: action === 'resolve' ? ('resolve' as const) : ('update' as const) }),
      });
      return { status: 'done', case: summaryRowOf({ ...after, last_seq: change.event.seq }, await this.verdictRank(trx, caseId)), change } as const;
    });
  }

  /**
   * Cases first seen in [fromMs, toMs] of these severities whose postmortem is not done: how many, and the
   * oldest `limit` of them (a report over a busy year holds a page, not every case).
   */
  async openPostmortems(fromMs: number, toMs: number, severities: readonly string[], limit: number): Promise<{ total: number; cases: { id: string; first_seen_ms: number; title: string; severity: string; state: string }[] }> {
    if (severities.length === 0) return { total: 0, cases: [] };
    const open = this.ctx.db
      .selectFrom('cases')
      .where('first_seen_ms', '>=', fromMs)
      .where('first_seen_ms', '<=', toMs)
      .where('severity', 'in', [...severities])
      .where('postmortem_done_at_ms', 'is', null);
    const total = await open.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    const cases = await open.select(['id', 'first_seen_ms', 'title', 'severity', 'state']).orderBy('first_seen_ms').orderBy('id').limit(limit).execute();
    return { total: Number(total?.n ?? 0), cases: cases.map((c) => ({ ...c, first_seen_ms: Number(c.first_seen_ms) })) };
  }

  /** Marks a case's postmortem done (once: a second time is refused), with the event in its timeline. */
  async postmortemDone(caseId: string, input: { readonly actor: string; readonly note?: string | undefined }): Promise<CaseActionResult> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const before = await this.lock(trx, caseId);
      if (!before) return { status: 'not_found', caseId } as const;
      if (before.postmortem_done_at_ms !== null) {
        return { status: 'refused', caseId, message: `its postmortem was marked done already (${new Date(before.postmortem_done_at_ms).toISOString()} by ${before.postmortem_done_by})` } as const;
      }
      const now = this.ctx.now();
      const after: CaseRow = { ...before, postmortem_done_at_ms: now, postmortem_done_by: input.actor, updated_at_ms: now };
      await trx.updateTable('cases').set(withoutId(after)).where('id', '=', caseId).execute();
      const change = await appendEvent(trx, this.ctx, after, { actor: input.actor, event: 'postmortem-done', from: null, to: 'done', note: input.note ?? null });
      return { status: 'done', case: summaryRowOf({ ...after, last_seq: change.event.seq }, await this.verdictRank(trx, caseId)), change } as const;
    });
  }

  /** When escalation acts next on any case nobody has acknowledged (epoch ms), or undefined. */
  async nextEscalationMs(): Promise<number | undefined> {
    const row = await this.ctx.db
      .selectFrom('cases')
      .select((eb) => eb.fn.min('next_escalation_at_ms').as('next'))
      .where('state', 'in', [...UNACKNOWLEDGED])
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  /** Cases the escalation should look at: nobody has acknowledged them and they are due, or their policy is to be matched again. */
  async dueForEscalation(nowMs: number, limit = 100): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('cases')
      .select('id')
      .where('state', 'in', [...UNACKNOWLEDGED])
      .where((eb) => eb.or([eb('next_escalation_at_ms', '<=', nowMs), eb('rematch', '=', 1)]))
      .orderBy('next_escalation_at_ms')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * One escalation step on a case, in one transaction: `decide` sees the case as it is now (locked) and
   * returns what changes, which events to record and who to tell; undefined changes nothing (the case
   * was acknowledged meanwhile, or is not due).
   */
  async escalate(caseId: string, decide: (row: EscalationCase) => EscalationUpdate | undefined): Promise<CaseChange[]> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const before = await this.lock(trx, caseId);
      if (!before || !UNACKNOWLEDGED.includes(before.state as CaseState)) return [];
      const update = decide(before);
      if (!update) return [];
      let row: CaseRow = { ...before, ...update.set, updated_at_ms: this.ctx.now() };
      await trx.updateTable('cases').set(withoutId(row)).where('id', '=', caseId).execute();
      const changes: CaseChange[] = [];
      for (const event of update.events) {
        const change = await appendEvent(trx, this.ctx, row, { ...event, actor: 'alertgate' });
        row = { ...row, last_seq: change.event.seq };
        changes.push(change);
      }
      return changes;
    });
  }

  /** Records a dead-lettered notification on its case and tells the fallback receiver (same transaction as the dead letter). */
  async noteDeadLetter(trx: Transaction<LedgerTables>, dead: NotificationRow, error: string, fallback: string | undefined): Promise<CaseChange | undefined> {
    const row = await this.lock(trx, dead.case_id);
    if (!row) return undefined;
    const tellFallback = fallback !== undefined && fallback !== dead.receiver && dead.fallback_for === null;
    const change = await appendEvent(trx, this.ctx, row, {
      actor: 'delivery',
      event: 'notification-dead',
      from: dead.receiver,
      to: tellFallback ? fallback : null,
      note: `${dead.kind} ${dead.id} after ${dead.attempts + 1} attempts: ${error}`,
    });
    if (tellFallback) {
      const id = notificationId(dead.case_id, fallback, change.event.seq, dead.kind as NotificationKind);
      await insertNotification(trx, { id, case_id: dead.case_id, case_seq: change.event.seq, receiver: fallback, kind: dead.kind, notice: dead.notice, created_at_ms: this.ctx.now(), fallback_for: dead.id });
      return { ...change, notifications: [{ id, receiver: fallback, kind: dead.kind as NotificationKind }] };
    }
    return change;
  }

  /** What a report reads of the cases first seen (event time) in [fromMs, toMs]. */
  async reportCases(fromMs: number, toMs: number): Promise<ReportCase[]> {
    const verdicts = this.ctx.db
      .selectFrom('incidents')
      .select((eb) => ['case_id', eb.fn.max(verdictRankExpr(eb)).as('verdict_rank')])
      .where('incidents.first_seen_ms', '>=', fromMs)
      .groupBy('case_id')
      .as('v');
    const out: ReportCase[] = [];
    // Only the five figures the report needs, a page at a time: a year of cases fits a small heap.
    let after: { firstSeenMs: number; id: string } | undefined;
    for (;;) {
      let query = this.ctx.db
        .selectFrom('cases')
        .leftJoin(verdicts, 'v.case_id', 'cases.id')
        .select(['cases.id', 'cases.first_seen_ms', 'cases.classification', 'cases.opened_at_ms', 'cases.acknowledged_at_ms', 'cases.resolved_at_ms', 'v.verdict_rank'])
        .where('cases.first_seen_ms', '>=', fromMs)
        .where('cases.first_seen_ms', '<=', toMs);
      if (after !== undefined) {
        const { firstSeenMs, id } = after;
        query = query.where((eb) => eb.or([eb('cases.first_seen_ms', '>', firstSeenMs), eb.and([eb('cases.first_seen_ms', '=', firstSeenMs), eb('cases.id', '>', id)])]));
      }
      const rows = await query.orderBy('cases.first_seen_ms').orderBy('cases.id').limit(REPORT_PAGE).execute();
      for (const row of rows) {
        out.push({
          classification: row.classification ?? null,
          verdict: VERDICT_BY_RANK[Number(row.verdict_rank ?? 0)] ?? null,
          openedAtMs: Number(row.opened_at_ms),
          acknowledgedAtMs: row.acknowledged_at_ms === null ? null : Number(row.acknowledged_at_ms),
          resolvedAtMs: row.resolved_at_ms === null ? null : Number(row.resolved_at_ms),
        });
      }
      if (rows.length < REPORT_PAGE) return out;
      const last = rows[rows.length - 1]!;
      after = { firstSeenMs: Number(last.first_seen_ms), id: last.id };
    }
  }

  /** What the metrics export of the cases (docs/metrics.md, "Cases"), read at scrape time. */
  async stats(nowMs: number): Promise<CaseStats> {
    const { db } = this.ctx;
    const byState = await db.selectFrom('cases').select((eb) => ['state', 'severity', eb.fn.countAll().as('n')]).where('state', '!=', 'closed').groupBy(['state', 'severity']).orderBy('state').orderBy('severity').execute();
    const oldest = await db
      .selectFrom('cases')
      .select((eb) => ['severity', eb.fn.min('opened_at_ms').as('opened')])
      .where('state', 'in', [...UNACKNOWLEDGED])
      .groupBy('severity')
      .orderBy('severity')
      .execute();
    const escalations = await db
      .selectFrom('case_events')
      .select((eb) => ['to_value', eb.fn.countAll().as('n')])
      .where('event', '=', 'escalated')
      .groupBy('to_value')
      .execute();
    return {
      cases: byState.map((r) => ({ state: r.state, severity: r.severity, count: Number(r.n) })),
      oldestUnacknowledged: oldest.map((r) => ({ severity: r.severity, seconds: Math.max(0, (nowMs - Number(r.opened)) / 1000) })),
      escalations: escalations.map((r) => ({ level: r.to_value ?? '', count: Number(r.n) })).sort((a, b) => Number(a.level) - Number(b.level)),
      acknowledge: await this.durations('acknowledged_at_ms', ACKNOWLEDGE_BOUNDS),
      resolve: await this.durations('resolved_at_ms', RESOLVE_BOUNDS),
    };
  }

  /** Seconds from opening to `column` over every case that has it, as a cumulative histogram. */
  private async durations(column: 'acknowledged_at_ms' | 'resolved_at_ms', bounds: readonly number[]): Promise<DurationHistogram> {
    const elapsed = sql`${sql.ref(column)} - ${sql.ref('opened_at_ms')}`;
    const row = await this.ctx.db
      .selectFrom('cases')
      .select([
        sql<number>`count(*)`.as('n'),
        sql<number>`coalesce(sum(${elapsed}), 0)`.as('total'),
        ...bounds.map((b, i) => sql<number>`coalesce(sum(case when ${elapsed} <= ${b * 1000} then 1 else 0 end), 0)`.as(`b${i}`)),
      ])
      .where(column, 'is not', null)
      .executeTakeFirstOrThrow();
    const values = row as unknown as Record<string, unknown>;
    const count = Number(values.n);
    return {
      count,
      sum: Number(values.total) / 1000,
      cumulative: () => [...bounds.map((b, i) => ({ le: String(b), count: Number(values[`b${i}`]) })), { le: '+Inf', count }],
    };
  }

  private lock(trx: Transaction<LedgerTables>, caseId: string): Promise<CaseRow | undefined> {
    return lockCase(trx, this.ctx, caseId);
  }

  private async verdictRank(db: Db, caseId: string): Promise<number> {
    const row = await db
      .selectFrom('incidents')
      .select((eb) => eb.fn.max(verdictRankExpr(eb)).as('rank'))
      .where('case_id', '=', caseId)
      .executeTakeFirst();
    return Number(row?.rank ?? 0);
  }

  private withVerdicts() {
    const verdicts = this.ctx.db
      .selectFrom('incidents')
      .select((eb) => ['case_id', eb.fn.max(verdictRankExpr(eb)).as('verdict_rank')])
      .groupBy('case_id')
      .as('v');
    return this.ctx.db.selectFrom('cases').leftJoin(verdicts, 'v.case_id', 'cases.id').selectAll('cases').select('v.verdict_rank');
  }
}

/** Reads a case for a change in `trx`: its row is locked until the transaction ends (PostgreSQL; SQLite has one writer). */
export async function lockCase(trx: Transaction<LedgerTables>, ctx: LedgerContext, caseId: string): Promise<CaseRow | undefined> {
  let query = trx.selectFrom('cases').selectAll().where('id', '=', caseId);
  if (ctx.backend === 'postgres') query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? CaseRow.parse(row) : undefined;
}

/** Cases read per query by reportCases. */
const REPORT_PAGE = 5_000;

const EVENT_OF: Readonly<Record<CaseAction, CaseEventKind>> = {
  acknowledge: 'acknowledged',
  assign: 'assigned',
  classify: 'classified',
  flag: 'flagged',
  unflag: 'unflagged',
  contain: 'contained',
  resolve: 'resolved',
  close: 'closed',
  reopen: 'reopened',
};

/** TP 3, BP 2, FP 1, none 0: the case's verdict is its incidents' highest. */
function verdictRankExpr(eb: ExpressionBuilder<LedgerTables, 'incidents'>) {
  return eb
    .case()
    .when('incidents.verdict', '=', 'true_positive')
    .then(3)
    .when('incidents.verdict', '=', 'benign_positive')
    .then(2)
    .when('incidents.verdict', '=', 'false_positive')
    .then(1)
    .else(0)
    .end();
}

