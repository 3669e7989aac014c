import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { Explanation } from '../decide/decision-record.js';
import { FeedbackRecord, type FeedbackLine, type FeedbackResult, type Verdict } from '../feedback/feedback.js';
import { IncidentRecord } from '../incidents/index.js';
import type { LedgerStats } from '../metrics/ledger-stats.js';
import { CaseStore, caseOfIncident, fileIntoCases, type CaseChange, type LedgerContext } from './case-store.js';
import { connect, describeLocation, type LedgerLocation } from './connect.js';
import { AutoTuneRunStore } from './auto-tune-runs.js';
import { DrillStore } from './drill-store.js';
import { Leases } from './leases.js';
import { ObligationStore } from './obligation-store.js';
import { Outbox } from './outbox.js';
import { hourBucketEndMs, hourBucketMs, LedgerIncident, OpeningAlert, RuleStats, TuningChange, type DecisionCount, type ReportIncident, type TuningIncident } from './records.js';
import {
  DecisionCountRow,
  FeedbackRow,
  IncidentOpeningRow,
  IncidentRow,
  TuningChangeRow,
  type LedgerTables,
  type RuleVersionRow,
} from './rows.js';

/** Rows per INSERT statement: well inside SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;
const DAY_MS = 86_400_000;

/** One flush of a LedgerRecorder: written in one transaction. */
export interface LedgerBatch {
  /** The last record of each incident since the previous batch. */
  readonly incidents: readonly IncidentRecord[];
  readonly openings: readonly { incidentId: string; alertId: string; decisionJson: string; alert: OpeningAlert }[];
  /** Decision counts per (rule, decision, event-time hour), added to what the source already has. */
  readonly counts: readonly DecisionCount[];
  /**
   * Decisions counted once per alert id and source (a source that counts each alert once): added to
   * the counts unless the source counted that alert id before (a chunk sent again after a crash).
   */
  readonly counted?: readonly CountedDecision[];
  readonly source: string;
}

/** One alert's decision, counted once per (source, alert id). */
export interface CountedDecision extends Omit<DecisionCount, 'count'> {
  readonly alertId: string;
}

/** How long a source remembers the alert ids it counted: a chunk sent again comes far sooner (at the next takeover). */
export const COUNT_ONCE_HORIZON_MS = DAY_MS;

export interface IncidentFilter {
  readonly status?: 'open' | 'closed' | undefined;
  /** A current verdict, or `unreviewed` for incidents without one. */
  readonly verdict?: Verdict | 'unreviewed' | undefined;
  readonly ruleId?: string | undefined;
  /** Incidents first seen at or after this event time. */
  readonly sinceMs?: number | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

export interface NewTuningChange extends Omit<TuningChange, 'appliedAt' | 'reverted'> {
  readonly appliedAtMs: number;
}

export interface LedgerOptions {
  /** Wall clock for the times the ledger stamps (recorded at, updated at). */
  readonly now?: () => number;
  /** A drill's own ledger: every notice it writes says drill (docs/drills.md). */
  readonly drill?: boolean;
}

/**
 * The decision ledger: incidents with their facts and opening explanation, decision counts over event
 * time, analysts' feedback with its history, rule versions and tuning changes. One implementation for
 * SQLite and PostgreSQL (Kysely); docs/ledger.md describes the tables and their guarantees.
 */
export class Ledger implements LedgerStats {
  /** Cases: listing, reading, people's actions, escalation steps (docs/cases.md). */
  readonly cases: CaseStore;
  /** The notification outbox and what receivers remember of cases (docs/escalation.md, "Delivery"). */
  readonly outbox: Outbox;
  /** Which worker delivers (a lease in the ledger). */
  readonly leases: Leases;
  /** Cases' notification deadlines (docs/obligations.md). */
  readonly obligations: ObligationStore;
  /** Drill runs, kept apart from cases (docs/drills.md). */
  readonly drills: DrillStore;
  /** Auto-tune's runs, the newest kept (docs/tuning.md, "Auto-tune"). */
  readonly autoTuneRuns: AutoTuneRunStore;
  private readonly ctx: LedgerContext;

  private constructor(
    private readonly db: Kysely<LedgerTables>,
    readonly location: LedgerLocation,
    private readonly now: () => number,
    drill: boolean,
  ) {
    this.ctx = { db, backend: location.backend, now, drill };
    this.cases = new CaseStore(this.ctx);
    this.outbox = new Outbox(this.ctx, this.cases);
    this.leases = new Leases(this.ctx);
    this.obligations = new ObligationStore(this.ctx);
    this.drills = new DrillStore(this.ctx);
    this.autoTuneRuns = new AutoTuneRunStore(this.ctx);
  }

  /** Connects and migrates to the latest schema. */
  static async open(location: LedgerLocation, options: LedgerOptions = {}): Promise<Ledger> {
    return new Ledger(await connect(location), location, options.now ?? Date.now, options.drill ?? false);
  }

  /** Where it is, for people: a PostgreSQL URL without its password. */
  describe(): string {
    return describeLocation(this.location);
  }

  get backend(): LedgerLocation['backend'] {
    return this.location.backend;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /**
   * Writes one recorder flush in one transaction. Incidents are upserted by id, except that a closed
   * incident is never replaced by an open one (an at-least-once redelivery can replay an older state);
   * verdicts are left alone. Counts add up. The incidents' cases are opened or updated in the same
   * transaction (with `escalate`, a new case is due for escalation at once); returns the case events.
   */
  async writeBatch(batch: LedgerBatch, options: { readonly escalate?: boolean } = {}): Promise<CaseChange[]> {
    const updatedAt = this.now();
    return this.db.transaction().execute(async (trx) => {
      for (const chunk of chunks(batch.incidents)) {
        await trx
          .insertInto('incidents')
          .values(
            chunk.map((r) => ({
              id: r.id,
              rule_id: r.ruleId,
              rule_version: r.ruleVersion,
              status: r.status,
              severity: r.severity,
              first_seen_ms: Date.parse(r.firstSeen),
              last_seen_ms: Date.parse(r.lastSeen),
              alert_count: r.alertCount,
              record: JSON.stringify(r),
              updated_at_ms: updatedAt,
              case_id: caseOfIncident(r),
            })),
          )
          .onConflict((oc) =>
            oc
              .column('id')
              .doUpdateSet((eb) => ({
                rule_version: eb.ref('excluded.rule_version'),
                status: eb.ref('excluded.status'),
                severity: eb.ref('excluded.severity'),
                first_seen_ms: eb.ref('excluded.first_seen_ms'),
                last_seen_ms: eb.ref('excluded.last_seen_ms'),
                alert_count: eb.ref('excluded.alert_count'),
                record: eb.ref('excluded.record'),
                updated_at_ms: eb.ref('excluded.updated_at_ms'),
              }))
              .where((eb) => eb.or([eb('incidents.status', '=', 'open'), eb('excluded.status', '=', 'closed')])),
          )
          .execute();
      }
      for (const chunk of chunks(batch.openings)) {
        await trx
          .insertInto('incident_openings')
          .values(chunk.map((o) => ({ incident_id: o.incidentId, alert_id: o.alertId, decision: o.decisionJson, alert: JSON.stringify(o.alert) })))
          .onConflict((oc) => oc.column('incident_id').doNothing())
          .execute();
      }
      const counts = mergeCounts([...batch.counts, ...(await countOnce(trx, batch.source, batch.counted ?? [], this.now()))]);
      for (const chunk of chunks(counts)) {
        await trx
          .insertInto('decision_counts')
          .values(chunk.map((c) => ({ source: batch.source, rule_id: c.ruleId, decision: c.decision, bucket_ms: c.bucketMs, count: c.count })))
          .onConflict((oc) =>
            oc.columns(['source', 'rule_id', 'decision', 'bucket_ms']).doUpdateSet({ count: sql<number>`decision_counts.count + excluded.count` }),
          )
          .execute();
      }
      return fileIntoCases(trx, this.ctx, batch.incidents, batch.openings, { escalate: options.escalate ?? false });
    });
  }

  /** Forgets a source's decision counts: a replay of the same input replaces its counts instead of adding to them. */
  async resetDecisionCounts(source: string): Promise<void> {
    await this.db.deleteFrom('decision_counts').where('source', '=', source).execute();
    await this.db.deleteFrom('counted_alerts').where('source', '=', source).execute();
  }

  /** Records the versions of the rules a run decides with (each definition once). */
  async recordRuleVersions(rules: readonly Omit<RuleVersionRow, 'first_seen_ms'>[]): Promise<void> {
    const seenAt = this.now();
    for (const chunk of chunks(rules)) {
      await this.db
        .insertInto('rule_versions')
        .values(chunk.map((r) => ({ ...r, first_seen_ms: seenAt })))
        .onConflict((oc) => oc.columns(['rule_id', 'version', 'fingerprint']).doNothing())
        .execute();
    }
  }

  async ruleVersions(ruleId: string): Promise<RuleVersionRow[]> {
    const rows = await this.db.selectFrom('rule_versions').selectAll().where('rule_id', '=', ruleId).orderBy('version').orderBy('first_seen_ms').execute();
    return rows.map((r) => ({ ...r, version: Number(r.version), first_seen_ms: Number(r.first_seen_ms) }));
  }

  /** One incident with its opening explanation and its feedback history, or undefined. */
  async incident(id: string): Promise<LedgerIncident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const incident = IncidentRow.parse(row);
    const opening = await this.db.selectFrom('incident_openings').selectAll().where('incident_id', '=', id).executeTakeFirst();
    const history = await this.feedbackOf(this.db, id);
    return LedgerIncident.parse({
      incident: IncidentRecord.parse(JSON.parse(incident.record)),
      verdict: incident.verdict,
      ...(opening ? { opening: openingOf(IncidentOpeningRow.parse(opening)) } : {}),
      feedback: history.map(feedbackOf),
    });
  }

  /** Incidents, newest first (by first seen, then id). */
  async incidents(filter: IncidentFilter = {}): Promise<{ incident: IncidentRecord; verdict: Verdict | null }[]> {
    let query = this.db.selectFrom('incidents').select(['record', 'verdict']);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.verdict === 'unreviewed') query = query.where('verdict', 'is', null);
    else if (filter.verdict) query = query.where('verdict', '=', filter.verdict);
    if (filter.ruleId) query = query.where('rule_id', '=', filter.ruleId);
    if (filter.sinceMs !== undefined) query = query.where('first_seen_ms', '>=', filter.sinceMs);
    const rows = await query
      .orderBy('first_seen_ms', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map((r) => ({ incident: IncidentRecord.parse(JSON.parse(r.record)), verdict: IncidentRow.shape.verdict.parse(r.verdict) }));
  }

  /** What the tuner reads: every incident first seen at or after `sinceMs`, with its verdict, the entity it names and its opening alert. */
  async tuningIncidents(sinceMs?: number): Promise<TuningIncident[]> {
    let query = this.db
      .selectFrom('incidents')
      .leftJoin('incident_openings', 'incident_openings.incident_id', 'incidents.id')
      .leftJoin('feedback', 'feedback.id', 'incidents.feedback_id')
      .select(['incidents.record', 'incidents.verdict', 'incident_openings.alert', 'feedback.entity_kind', 'feedback.entity_value']);
    if (sinceMs !== undefined) query = query.where('incidents.first_seen_ms', '>=', sinceMs);
    const rows = await query.orderBy('incidents.first_seen_ms').orderBy('incidents.id').execute();
    return rows.map((r) => ({
      record: IncidentRecord.parse(JSON.parse(r.record)),
      verdict: IncidentRow.shape.verdict.parse(r.verdict),
      entity: r.entity_kind !== null && r.entity_value !== null ? { kind: r.entity_kind, value: r.entity_value } : undefined,
      openingAlert: r.alert !== null ? OpeningAlert.parse(JSON.parse(r.alert)) : undefined,
    }));
  }

  /**
   * What a report reads of the incidents first seen in [fromMs, toMs] (event time): the record, the
   * current verdict, the opening alert and when the first verdict was given. Oldest first (then by id),
   * in pages of at most `pageRows`: a report over a long period holds one page at a time, and the
   * caller can yield to the event loop between pages.
   */
  async *reportIncidentPages(fromMs: number, toMs: number, pageRows: number): AsyncGenerator<ReportIncident[]> {
    let after: { firstSeenMs: number; id: string } | undefined;
    for (;;) {
      let query = this.db
        .selectFrom('incidents')
        .leftJoin('incident_openings', 'incident_openings.incident_id', 'incidents.id')
        .select(['incidents.id', 'incidents.rule_id', 'incidents.first_seen_ms', 'incidents.alert_count', 'incidents.record', 'incidents.verdict', 'incident_openings.alert'])
        .select((eb) =>
          eb.selectFrom('feedback').select((f) => f.fn.min('feedback.at_ms').as('at')).whereRef('feedback.incident_id', '=', 'incidents.id').as('first_at_ms'),
        )
        .where('incidents.first_seen_ms', '>=', fromMs)
        .where('incidents.first_seen_ms', '<=', toMs);
      if (after !== undefined) {
        const { firstSeenMs, id } = after;
        query = query.where((eb) => eb.or([eb('incidents.first_seen_ms', '>', firstSeenMs), eb.and([eb('incidents.first_seen_ms', '=', firstSeenMs), eb('incidents.id', '>', id)])]));
      }
      const rows = await query.orderBy('incidents.first_seen_ms').orderBy('incidents.id').limit(pageRows).execute();
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = { firstSeenMs: Number(last.first_seen_ms), id: last.id };
      yield rows.map((r) => ({
        ruleId: r.rule_id,
        firstSeenMs: Number(r.first_seen_ms),
        alertCount: Number(r.alert_count),
        groupKey: IncidentRecord.shape.groupKey.parse((JSON.parse(r.record) as { groupKey: unknown }).groupKey),
        verdict: IncidentRow.shape.verdict.parse(r.verdict),
        openingAlert: r.alert !== null ? OpeningAlert.parse(JSON.parse(r.alert)) : undefined,
        firstFeedbackMs: r.first_at_ms === null ? undefined : Number(r.first_at_ms),
      }));
      if (rows.length < pageRows) return;
    }
  }

  /**
   * Decisions per (rule, decision, event-time hour) with the hour starting in [fromMs rounded down to
   * its hour, toMs], summed over every source, oldest hour first. Pass and duplicate decisions have rule id ''.
   */
  async decisionCountsBetween(fromMs: number, toMs: number): Promise<DecisionCount[]> {
    const rows = await this.db
      .selectFrom('decision_counts')
      .select((eb) => ['rule_id', 'decision', 'bucket_ms', eb.fn.sum<number>('count').as('count')])
      .where('bucket_ms', '>=', hourBucketMs(fromMs))
      .where('bucket_ms', '<=', toMs)
      .groupBy(['rule_id', 'decision', 'bucket_ms'])
      .orderBy('bucket_ms')
      .orderBy('rule_id')
      .orderBy('decision')
      .execute();
    return rows.map((row) => {
      const r = DecisionCountRow.omit({ source: true }).parse(row);
      return { ruleId: r.rule_id, decision: r.decision, bucketMs: r.bucket_ms, count: r.count };
    });
  }

  /** The newest event time of any incident (the tuner's "now" for offline ledgers), or undefined when empty. */
  async latestEventTimeMs(): Promise<number | undefined> {
    const row = await this.db.selectFrom('incidents').select((eb) => eb.fn.max('last_seen_ms').as('latest')).executeTakeFirst();
    return row?.latest === null || row?.latest === undefined ? undefined : Number(row.latest);
  }

  /**
   * The event time of the newest decision, as far as the ledger knows it: decisions are counted per
   * hour, so the end of the newest decision-count hour (or the newest incident's last alert, if later).
   * Undefined when the ledger holds no decisions.
   */
  async latestDecisionTimeMs(): Promise<number | undefined> {
    const row = await this.db.selectFrom('decision_counts').select((eb) => eb.fn.max('bucket_ms').as('latest')).executeTakeFirst();
    const incident = await this.latestEventTimeMs();
    if (row?.latest === null || row?.latest === undefined) return incident;
    return Math.max(hourBucketEndMs(Number(row.latest)), incident ?? -Infinity);
  }

  /**
   * The oldest and newest event time the ledger has data for (incidents first and last seen, hours of
   * decisions), or undefined when it has none.
   */
  async eventTimeSpan(): Promise<{ oldestMs: number; newestMs: number } | undefined> {
    const incidents = await this.db
      .selectFrom('incidents')
      .select((eb) => [eb.fn.min('first_seen_ms').as('oldest'), eb.fn.max('last_seen_ms').as('newest')])
      .executeTakeFirst();
    const counts = await this.db
      .selectFrom('decision_counts')
      .select((eb) => [eb.fn.min('bucket_ms').as('oldest'), eb.fn.max('bucket_ms').as('newest')])
      .executeTakeFirst();
    const times = (pick: 'oldest' | 'newest') => [incidents?.[pick], counts?.[pick]].filter((v) => v !== null && v !== undefined).map(Number);
    const oldest = times('oldest');
    const newest = times('newest');
    return oldest.length === 0 ? undefined : { oldestMs: Math.min(...oldest), newestMs: Math.max(...newest) };
  }

  /**
   * Records one verdict. Idempotent: the same feedback (incident, verdict, reason, analyst, entity and,
   * when given, time) is one record whatever how often it arrives. Otherwise it joins the incident's
   * history, and the latest verdict by time (ties: the later arrival) becomes the current one.
   */
  async addFeedback(line: FeedbackLine, source: string): Promise<FeedbackResult> {
    const recordedAt = this.now();
    const atMs = line.at !== undefined ? Date.parse(line.at) : recordedAt;
    const id = feedbackId(line, line.at !== undefined ? atMs : undefined);
    return this.db.transaction().execute(async (trx) => {
      let incident = trx.selectFrom('incidents').select(['id', 'rule_id', 'verdict', 'feedback_id']).where('id', '=', line.incidentId);
      // Writers of one incident's feedback queue on its row (PostgreSQL); SQLite runs one writer at a time anyway.
      if (this.backend === 'postgres') incident = incident.forUpdate();
      const exists = await incident.executeTakeFirst();
      if (!exists) return { status: 'not_found', incidentId: line.incidentId } as const;
      const previous = exists.feedback_id;
      const found = await trx.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirst();
      if (!found) {
        const last = await trx
          .selectFrom('feedback')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .where('incident_id', '=', line.incidentId)
          .executeTakeFirst();
        await trx
          .insertInto('feedback')
          .values({
            id,
            incident_id: line.incidentId,
            seq: Number(last?.seq ?? 0) + 1,
            verdict: line.verdict,
            reason: line.reason,
            analyst: line.analyst,
            entity_kind: line.entity?.kind ?? null,
            entity_value: line.entity?.value ?? null,
            at_ms: atMs,
            source,
            recorded_at_ms: recordedAt,
          })
          .execute();
      }
      const current = FeedbackRow.parse(
        await trx
          .selectFrom('feedback')
          .selectAll()
          .where('incident_id', '=', line.incidentId)
          .orderBy('at_ms', 'desc')
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirstOrThrow(),
      );
      if (current.id !== previous) {
        await trx.updateTable('incidents').set({ verdict: current.verdict, feedback_id: current.id }).where('id', '=', line.incidentId).execute();
      }
      const mine = found ? FeedbackRow.parse(found) : FeedbackRow.parse(await trx.selectFrom('feedback').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      const superseded =
        !found && previous !== null && current.id === id
          ? FeedbackRow.parse(await trx.selectFrom('feedback').selectAll().where('id', '=', previous).executeTakeFirstOrThrow())
          : undefined;
      return {
        status: found ? 'duplicate' : 'created',
        ruleId: exists.rule_id,
        previousVerdict: IncidentRow.shape.verdict.parse(exists.verdict),
        feedback: feedbackOf(mine),
        current: feedbackOf(current),
        ...(superseded ? { superseded: feedbackOf(superseded) } : {}),
      } as const;
    });
  }

  async feedbackHistory(incidentId: string): Promise<FeedbackRecord[]> {
    return (await this.feedbackOf(this.db, incidentId)).map(feedbackOf);
  }

  /** A rule's incidents, verdicts and decisions over [sinceMs, ∞) of event time, and its tuning changes. */
  async ruleStats(ruleId: string, sinceMs?: number): Promise<RuleStats> {
    let incidents = this.db
      .selectFrom('incidents')
      .select((eb) => ['verdict', eb.fn.countAll().as('n'), eb.fn.min('first_seen_ms').as('first'), eb.fn.max('last_seen_ms').as('last')])
      .where('rule_id', '=', ruleId)
      .groupBy('verdict');
    if (sinceMs !== undefined) incidents = incidents.where('first_seen_ms', '>=', sinceMs);
    const byVerdict = await incidents.execute();
    const count = (v: Verdict | null) => Number(byVerdict.find((r) => r.verdict === v)?.n ?? 0);
    const total = byVerdict.reduce((n, r) => n + Number(r.n), 0);
    const firsts = byVerdict.map((r) => Number(r.first));
    const lasts = byVerdict.map((r) => Number(r.last));

    let decisions = this.db
      .selectFrom('decision_counts')
      .select((eb) => ['bucket_ms', 'decision', eb.fn.sum<number>('count').as('count')])
      .where('rule_id', '=', ruleId)
      .groupBy(['bucket_ms', 'decision'])
      .orderBy('bucket_ms');
    if (sinceMs !== undefined) decisions = decisions.where('bucket_ms', '>=', hourBucketMs(sinceMs));
    const byDay = new Map<number, { promote: number; suppress: number }>();
    for (const row of await decisions.execute()) {
      const { bucket_ms, decision, count: n } = DecisionCountRow.pick({ bucket_ms: true, decision: true, count: true }).parse(row);
      const day = Math.floor(bucket_ms / DAY_MS) * DAY_MS;
      let tally = byDay.get(day);
      if (!tally) byDay.set(day, (tally = { promote: 0, suppress: 0 }));
      if (decision === 'promote' || decision === 'suppress') tally[decision] += n;
    }
    const tp = count('true_positive');
    const fp = count('false_positive');
    const changes = await this.tuningChanges(ruleId);
    return RuleStats.parse({
      ruleId,
      incidents: total,
      truePositive: tp,
      benignPositive: count('benign_positive'),
      falsePositive: fp,
      unreviewed: count(null),
      precision: tp + fp > 0 ? tp / (tp + fp) : null,
      firstSeen: total > 0 ? new Date(Math.min(...firsts)).toISOString() : null,
      lastSeen: total > 0 ? new Date(Math.max(...lasts)).toISOString() : null,
      decisionsByDay: [...byDay].map(([day, t]) => ({ day: new Date(day).toISOString().slice(0, 10), ...t })),
      tuningChanges: changes.map(({ beforeText: _b, afterText: _a, ...rest }) => rest),
    });
  }

  /** Rule ids that have incidents, decisions or tuning changes in the ledger. */
  async ruleIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .select('rule_id')
      .union(this.db.selectFrom('decision_counts').select('rule_id').where('rule_id', '!=', ''))
      .union(this.db.selectFrom('tuning_changes').select('rule_id'))
      .execute();
    return rows.map((r) => r.rule_id).sort();
  }

  async recordTuningChange(change: NewTuningChange): Promise<void> {
    const { appliedAtMs, evidence, ...c } = change;
    await this.db
      .insertInto('tuning_changes')
      .values({
        id: c.id,
        rule_id: c.ruleId,
        file: c.file,
        param: c.param,
        from_value: c.from,
        to_value: c.to,
        version_before: c.versionBefore,
        version_after: c.versionAfter,
        before_text: c.beforeText,
        after_text: c.afterText,
        author: c.author,
        reason: c.reason,
        evidence: JSON.stringify(evidence),
        applied_at_ms: appliedAtMs,
        reverted_at_ms: null,
        reverted_by: null,
        revert_reason: null,
      })
      .execute();
  }

  async tuningChange(id: string): Promise<TuningChange | undefined> {
    const row = await this.db.selectFrom('tuning_changes').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? tuningChangeOf(TuningChangeRow.parse(row)) : undefined;
  }

  /** Tuning changes, oldest first; of one rule when given. */
  async tuningChanges(ruleId?: string): Promise<TuningChange[]> {
    let query = this.db.selectFrom('tuning_changes').selectAll();
    if (ruleId !== undefined) query = query.where('rule_id', '=', ruleId);
    const rows = await query.orderBy('applied_at_ms').orderBy('id').execute();
    return rows.map((r) => tuningChangeOf(TuningChangeRow.parse(r)));
  }

  /** Marks a change reverted; false when it does not exist or was reverted already. */
  async markReverted(id: string, by: string, reason: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tuning_changes')
      .set({ reverted_at_ms: this.now(), reverted_by: by, revert_reason: reason })
      .where('id', '=', id)
      .where('reverted_at_ms', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async feedbackCounts(): Promise<{ ruleId: string; verdict: Verdict; count: number }[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .select((eb) => ['rule_id', 'verdict', eb.fn.countAll().as('n')])
      .where('verdict', 'is not', null)
      .groupBy(['rule_id', 'verdict'])
      .orderBy('rule_id')
      .orderBy('verdict')
      .execute();
    return rows.map((r) => ({ ruleId: r.rule_id, verdict: IncidentRow.shape.verdict.parse(r.verdict)!, count: Number(r.n) }));
  }

  async precision(horizonMs: number, nowMs: number): Promise<{ ruleId: string; precision: number }[]> {
    const rows = await this.db
      .selectFrom('incidents')
      .select((eb) => [
        'rule_id',
        eb.fn.sum<number>(eb.case().when('verdict', '=', 'true_positive').then(1).else(0).end()).as('tp'),
        eb.fn.sum<number>(eb.case().when('verdict', '=', 'false_positive').then(1).else(0).end()).as('fp'),
      ])
      .where('first_seen_ms', '>=', nowMs - horizonMs)
      .where('first_seen_ms', '<=', nowMs)
      .groupBy('rule_id')
      .orderBy('rule_id')
      .execute();
    return rows
      .map((r) => ({ ruleId: r.rule_id, tp: Number(r.tp), fp: Number(r.fp) }))
      .filter((r) => r.tp + r.fp > 0)
      .map((r) => ({ ruleId: r.ruleId, precision: r.tp / (r.tp + r.fp) }));
  }

  caseStats(nowMs: number) {
    return this.cases.stats(nowMs);
  }

  notificationTally() {
    return this.outbox.tally();
  }

  obligationStats(nowMs: number) {
    return this.obligations.stats(nowMs);
  }

  drillStats() {
    return this.drills.stats();
  }

  async tuningChangesApplied(): Promise<{ ruleId: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('tuning_changes')
      .select((eb) => ['rule_id', eb.fn.countAll().as('n')])
      .where('reverted_at_ms', 'is', null)
      .groupBy('rule_id')
      .orderBy('rule_id')
      .execute();
    return rows.map((r) => ({ ruleId: r.rule_id, count: Number(r.n) }));
  }

  private async feedbackOf(db: Kysely<LedgerTables> | Transaction<LedgerTables>, incidentId: string): Promise<FeedbackRow[]> {
    const rows = await db.selectFrom('feedback').selectAll().where('incident_id', '=', incidentId).orderBy('at_ms').orderBy('seq').execute();
    return rows.map((r) => FeedbackRow.parse(r));
  }
}

/** `fb-` + a hash of everything that makes two verdicts the same one. */
function feedbackId(line: FeedbackLine, atMs: number | undefined): string {
  const identity = [line.incidentId, line.verdict, line.reason, line.analyst, line.entity?.kind ?? null, line.entity?.value ?? null, atMs ?? null];
  return `fb-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24)}`;
}

function feedbackOf(row: FeedbackRow): FeedbackRecord {
  return FeedbackRecord.parse({
    id: row.id,
    incidentId: row.incident_id,
    verdict: row.verdict,
    reason: row.reason,
    analyst: row.analyst,
    ...(row.entity_kind !== null && row.entity_value !== null ? { entity: { kind: row.entity_kind, value: row.entity_value } } : {}),
    at: new Date(row.at_ms).toISOString(),
    source: row.source,
    recordedAt: new Date(row.recorded_at_ms).toISOString(),
  });
}

function openingOf(row: IncidentOpeningRow): NonNullable<LedgerIncident['opening']> {
  const decision = JSON.parse(row.decision) as { explanation: unknown };
  return { alertId: row.alert_id, alert: OpeningAlert.parse(JSON.parse(row.alert)), explanation: Explanation.parse(decision.explanation) };
}

function tuningChangeOf(row: TuningChangeRow): TuningChange {
  return TuningChange.parse({
    id: row.id,
    ruleId: row.rule_id,
    file: row.file,
    param: row.param,
    from: row.from_value,
    to: row.to_value,
    versionBefore: row.version_before,
    versionAfter: row.version_after,
    beforeText: row.before_text,
    afterText: row.after_text,
    author: row.author,
    reason: row.reason,
    evidence: JSON.parse(row.evidence),
    appliedAt: new Date(row.applied_at_ms).toISOString(),
    reverted:
      row.reverted_at_ms === null ? null : { at: new Date(row.reverted_at_ms).toISOString(), by: row.reverted_by ?? '', reason: row.revert_reason ?? '' },
  });
}

function* chunks<T>(items: readonly T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Counted alert ids per INSERT: three parameters a row, a chunk's worth in a few statements. */
const COUNTED_CHUNK = 2_000;

/**
 * The decisions of alert ids the source has not counted yet, as counts (remembering the ids); the
 * ids it counted more than COUNT_ONCE_HORIZON_MS ago are forgotten.
 */
async function countOnce(trx: Transaction<LedgerTables>, source: string, counted: readonly CountedDecision[], now: number): Promise<DecisionCount[]> {
  if (counted.length === 0) return [];
  const first = new Map<string, CountedDecision>();
  for (const c of counted) if (!first.has(c.alertId)) first.set(c.alertId, c);
  const tallies: DecisionCount[] = [];
  for (const chunk of chunks([...first.values()], COUNTED_CHUNK)) {
    const fresh = await trx
      .insertInto('counted_alerts')
      .values(chunk.map((c) => ({ source, alert_id: c.alertId, recorded_at_ms: now })))
      .onConflict((oc) => oc.columns(['source', 'alert_id']).doNothing())
      .returning('alert_id')
      .execute();
    for (const { alert_id } of fresh) tallies.push({ ...first.get(alert_id)!, count: 1 });
  }
  await trx.deleteFrom('counted_alerts').where('source', '=', source).where('recorded_at_ms', '<', now - COUNT_ONCE_HORIZON_MS).execute();
  return tallies;
}

/** One row per (rule, decision, hour): an INSERT … ON CONFLICT may not touch a row twice. */
function mergeCounts(counts: readonly DecisionCount[]): DecisionCount[] {
  const merged = new Map<string, DecisionCount>();
  for (const c of counts) {
    const key = `${c.ruleId}\u0000${c.decision}\u0000${c.bucketMs}`;
    merged.set(key, { ruleId: c.ruleId, decision: c.decision, bucketMs: c.bucketMs, count: (merged.get(key)?.count ?? 0) + c.count });
  }
  return [...merged.values()];
}
