import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import { FutureDatedAction } from '../config/event-time.js';
import type { FutureDatedEvent, Pipeline, PipelineView, WatermarkReset } from '../pipeline/pipeline.js';

/** Future-dated alerts GET /watermark lists (the newest). */
export const RECENT_FUTURE_DATED = 20;
/** At most one log line per this many ms about future-dated alerts (the first one at once). */
export const FUTURE_DATED_LOG_INTERVAL_MS = 10_000;
/** How long POST /watermark/reset waits for the reset to be applied (and checkpointed) before answering 202. */
export const RESET_WAIT_MS = 30_000;

const Time = z.string().describe('ISO-8601 UTC');

/** GET /watermark: the watermark, the stream's event time it is compared with, and what moved it lately. */
export const WatermarkView = z
  .object({
    /** Whether this worker decides (a Kafka standby does not: ask the decider). */
    deciding: z.boolean(),
    /** The newest event time decided: windows and incidents close relative to it (null before any alert). */
    watermark: Time.nullable(),
    /** The stream's event time: from the median of the recent alerts' times up to the newest one near it (null before any alert). */
    streamTime: Time.nullable(),
    /** watermark − streamTime, in ms. */
    leadMs: z.number().nullable(),
    /** The watermark is more than maxFutureSkew ahead of the stream: reset it (POST /watermark/reset). */
    poisoned: z.boolean(),
    eventTime: z
      .object({ maxFutureSkew: z.string(), onFutureDated: FutureDatedAction, recentAlerts: z.number().int(), sampled: z.number().int() })
      .strict(),
    futureDated: z.object({ total: z.number().int(), clamped: z.number().int(), deadLettered: z.number().int() }).strict(),
    /** The newest future-dated alerts seen by this process, oldest first. */
    recentFutureDated: z.array(z.object({ at: Time, alertId: z.string(), time: Time, streamTime: Time, action: FutureDatedAction }).strict()),
    /** The last changes of the watermark seen by this process (`at`: wall clock), oldest first. */
    history: z.array(z.object({ at: Time, from: Time.nullable(), to: Time.nullable(), cause: z.enum(['alerts', 'reset']) }).strict()),
    /** A reset asked for and not applied yet (Kafka: waiting for a chunk, or for its checkpoint). */
    pendingReset: z.object({ to: z.string(), actor: z.string(), requestedAt: Time }).strict().nullable(),
  })
  .strict();
export type WatermarkView = z.infer<typeof WatermarkView>;

export const WatermarkResetRequest = z
  .object({
    to: z
      .union([z.literal('recent'), z.iso.datetime({ offset: true })])
      .describe('`recent`: the stream\'s event time (GET /watermark `streamTime`); or an ISO-8601 date-time'),
  })
  .strict();
export type WatermarkResetRequest = z.infer<typeof WatermarkResetRequest>;

export const WatermarkResetAnswer = z.union([
  z
    .object({
      applied: z.literal(true),
      from: Time,
      to: Time,
      windowEventsDropped: z.number().int(),
      incidentsClosed: z.array(z.string()),
    })
    .strict(),
  z.object({ applied: z.literal(false), pending: z.literal(true), message: z.string() }).strict(),
]);
export type WatermarkResetAnswer = z.infer<typeof WatermarkResetAnswer>;

/** A reset that cannot be done as asked (nothing to move back, no stream time yet, a standby, one pending): 409. */
export class WatermarkConflict extends Error {
  override name = 'WatermarkConflict';
}

export interface WorkerWatermarkOptions {
  /** The deciding pipeline, once it exists. */
  readonly pipeline: () => PipelineView | undefined;
  /**
   * Runs a change of the pipeline's state between two batches and resolves once it is durable: the file
   * worker at once; the Kafka worker through the decider, checkpointed (Decider.changeState).
   */
  readonly apply: <T>(change: (pipeline: Pipeline) => T) => Promise<T>;
  /** Whether this worker decides now (a Kafka standby does not). */
  readonly deciding: () => boolean;
  readonly audit: AuditLog;
  readonly log: Logger;
  /** Wall clock (epoch ms); tests inject it. */
  readonly now?: () => number;
}

interface FutureDatedSeen extends FutureDatedEvent {
  readonly atMs: number;
}

/**
 * The watermark, for people: what GET /watermark shows, the repair POST /watermark/reset and
 * `alertgate run --reset-watermark` make (audited), and the log of future-dated alerts at a bounded
 * rate (one line at once, then at most one per FUTURE_DATED_LOG_INTERVAL_MS with the count since).
 */
export class WorkerWatermark {
  private readonly recent: FutureDatedSeen[] = [];
  private lastLogMs = Number.NEGATIVE_INFINITY;
  private unlogged = 0;
  private pending: { to: string; actor: string; requestedAtMs: number } | undefined;
  private readonly now: () => number;

  constructor(private readonly options: WorkerWatermarkOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The pipeline's onFutureDated: remembers the alert and logs at a bounded rate. */
  readonly onFutureDated = (event: FutureDatedEvent): void => {
    const atMs = this.now();
    if (this.recent.length === RECENT_FUTURE_DATED) this.recent.shift();
    this.recent.push({ ...event, atMs });
    this.unlogged++;
    if (atMs - this.lastLogMs < FUTURE_DATED_LOG_INTERVAL_MS) return;
    this.options.log.warn(
      { futureDated: this.unlogged, action: event.action, alertId: event.alertId, time: iso(event.timeMs), streamTime: iso(event.referenceMs) },
      event.action === 'clamp'
        ? 'future-dated alerts (more than eventTime.maxFutureSkew ahead of the stream) decided at the stream\'s event time'
        : 'future-dated alerts (more than eventTime.maxFutureSkew ahead of the stream) dead-lettered',
    );
    this.lastLogMs = atMs;
    this.unlogged = 0;
  };

  view(): WatermarkView {
    const pipeline = this.options.pipeline();
    const watermarkMs = pipeline?.watermark ?? Number.NEGATIVE_INFINITY;
    const bound = pipeline?.eventTime;
    const streamMs = bound?.streamTime() ?? Number.NEGATIVE_INFINITY;
    const leadMs = watermarkMs - streamMs;
    const counts = pipeline?.counts;
    return {
      deciding: this.options.deciding(),
      watermark: isoOrNull(watermarkMs),
      streamTime: isoOrNull(streamMs),
      leadMs: Number.isFinite(leadMs) ? leadMs : null,
      poisoned: bound !== undefined && Number.isFinite(leadMs) && leadMs > bound.maxFutureSkewMs,
      eventTime: {
        maxFutureSkew: bound?.options.maxFutureSkew ?? '',
        onFutureDated: bound?.options.onFutureDated ?? 'clamp',
        recentAlerts: bound?.options.recentAlerts ?? 0,
        sampled: bound?.sampled ?? 0,
      },
      futureDated: { total: counts?.futureDated ?? 0, clamped: counts?.clamped ?? 0, deadLettered: (counts?.futureDated ?? 0) - (counts?.clamped ?? 0) },
      recentFutureDated: this.recent.map((e) => ({ at: iso(e.atMs), alertId: e.alertId, time: iso(e.timeMs), streamTime: iso(e.referenceMs), action: e.action })),
      history: (pipeline?.stats.watermarks ?? []).map((c) => ({ at: iso(c.atMs), from: isoOrNull(c.fromMs), to: isoOrNull(c.toMs), cause: c.cause })),
      pendingReset: this.pending ? { to: this.pending.to, actor: this.pending.actor, requestedAt: iso(this.pending.requestedAtMs) } : null,
    };
  }

  /**
   * Moves the watermark back (Pipeline.resetWatermark) to `to`: `recent` (the stream's event time when
   * the reset is applied) or a time. Answers once it is applied (Kafka: and checkpointed), or, after
   * `waitMs`, that it is pending (it is still applied and audited then). Throws WatermarkConflict when it
   * cannot be done. `atStart` (`alertgate run --reset-watermark`): waits, however long, for this worker
   * to decide rather than refusing a standby.
   */
  async reset(request: WatermarkResetRequest, actor: string, options: { waitMs?: number; atStart?: boolean } = {}): Promise<WatermarkResetAnswer> {
    if (!options.atStart && !this.options.deciding()) throw new WatermarkConflict('this worker does not decide (a standby): reset the watermark on the decider, the worker whose GET /watermark says deciding: true');
    if (this.pending) throw new WatermarkConflict(`a reset to ${this.pending.to} asked by ${this.pending.actor} is not applied yet`);
    this.pending = { to: request.to, actor, requestedAtMs: this.now() };
    const applied = this.options
      .apply((pipeline) => pipeline.resetWatermark(targetOf(pipeline, request.to)))
      // The decider's refusals (the partitions moved, the worker stopped, another change pending) are conflicts too.
      .catch((err: unknown) => Promise.reject(err instanceof WatermarkConflict ? err : new WatermarkConflict((err as Error).message)))
      .then((reset) => this.record(reset, request.to, actor))
      .finally(() => {
        this.pending = undefined;
      });
    if (options.atStart) return applied;
    const waited = await Promise.race([applied, sleep(options.waitMs ?? RESET_WAIT_MS, undefined, { ref: false })]);
    if (waited) return waited;
    applied.catch((err: unknown) => this.options.log.error({ err, actor, to: request.to }, 'the pending watermark reset was not applied'));
    return { applied: false, pending: true, message: 'the reset is applied between two chunks after a chunk that was decided since the last checkpoint: it waits for the next alert; GET /watermark shows it as pendingReset until then' };
  }

  private record(reset: WatermarkReset, requested: string, actor: string): WatermarkResetAnswer {
    const answer = { applied: true as const, from: iso(reset.fromMs), to: iso(reset.toMs), windowEventsDropped: reset.windowEventsDropped, incidentsClosed: [...reset.incidentsClosed] };
    this.options.audit.watermarkReset({ actor, requested, from: answer.from, to: answer.to, windowEventsDropped: answer.windowEventsDropped, incidentsClosed: answer.incidentsClosed });
    this.options.log.warn({ actor, ...answer }, 'watermark reset');
    return answer;
  }
}

/** Where `to` puts the watermark now; refuses what would not repair anything. */
function targetOf(pipeline: Pipeline, to: string): number {
  const bound = pipeline.eventTime;
  const streamMs = bound.streamTime();
  const targetMs = to === 'recent' ? streamMs : Date.parse(to);
  if (!Number.isFinite(targetMs)) throw new WatermarkConflict('no alert decided since the state was restored or started, so there is no stream time to reset to yet: wait for alerts, or give a time (to: an ISO-8601 date-time)');
  if (!(targetMs < pipeline.watermark)) throw new WatermarkConflict(`the watermark (${isoOrNull(pipeline.watermark) ?? 'none'}) is not after ${iso(targetMs)}: there is nothing to move back`);
  if (targetMs > streamMs + bound.maxFutureSkewMs && Number.isFinite(streamMs)) {
    throw new WatermarkConflict(`${iso(targetMs)} is more than eventTime.maxFutureSkew (${bound.options.maxFutureSkew}) ahead of the stream's event time ${iso(streamMs)}: the watermark would still be poisoned; use to: recent`);
  }
  return targetMs;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) ? iso(ms) : null;
}
