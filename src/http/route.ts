import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.js';
import type { Role } from '../config/api.js';
import type { EscalationPolicy } from '../escalation/load.js';
import type { CaseChange } from '../ledger/case-store.js';
import type { Ledger } from '../ledger/ledger.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { ReloadOutcome } from '../cli/rule-reload.js';
import type { IngestTarget } from '../ingest/target.js';
import type { AutoTuner } from '../tune/auto-tune.js';
import type { TuningService } from '../tune/service.js';
import type { WorkerWatermark } from '../cli/worker-watermark.js';
import { ApiError } from './api-error.js';
import type { Principal } from './auth.js';

/** What the API routes work with: the worker's ledger, rules and tuner. */
export interface ApiContext {
  /** Undefined when no ledger is configured: the routes that need one answer 503. */
  readonly ledger: Ledger | undefined;
  /** The rule set deciding now. */
  readonly rules: () => CompiledRuleSet;
  /** Reloads the rules directory (POST /rules/reload), `actor` named in the audit log; undefined when the worker cannot. */
  readonly reloadRules?: ((actor: string) => Promise<ReloadOutcome>) | undefined;
  readonly tuning?: TuningService | undefined;
  /** The worker's auto-tune (GET /tuning/auto/last, POST /tuning/auto/run); undefined without a ledger. */
  readonly autoTune?: AutoTuner | undefined;
  /** Where recorded feedback goes in the audit trail (tuning changes are audited by the tuning service). */
  readonly audit?: AuditLog | undefined;
  /** The watermark's view and repair (GET /watermark, POST /watermark/reset); undefined while the worker starts. */
  readonly watermark?: WorkerWatermark | undefined;
  /** Where POST /ingest's lines go (undefined from it while the worker starts); undefined when HTTP input is off. */
  readonly ingest?: (() => IngestTarget | undefined) | undefined;
  /** Sees the case events an API action wrote: audits them and wakes the delivery (the worker's cases). */
  readonly onCaseChanges?: ((changes: readonly CaseChange[]) => void) | undefined;
  /** The worker's escalation file, for GET /escalation/explain; undefined without one. */
  readonly escalation?: (() => EscalationPolicy | undefined) | undefined;
  /** Severities whose cases close only once their postmortem is done (postmortems.requiredFor). */
  readonly postmortemRequiredFor?: readonly string[] | undefined;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly principal: Principal;
}

export interface Reply {
  readonly status: number;
  /** JSON, or text when `type` says which. */
  readonly body: unknown;
  /** The media type of a text body (`text/html; charset=utf-8`); JSON without it. */
  readonly type?: string;
  /** Response headers (`retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A body the route reads as bytes, in one of several media types (NDJSON input), rather than as JSON
 * validated by a schema: the handler gets `{bytes, mediaType}`. The schemas only document each type.
 */
export interface RawBody {
  readonly types: Readonly<Record<string, z.ZodType>>;
}

/** What a raw-body route's handler gets as its body. */
export interface RawRequestBody {
  readonly bytes: Buffer;
  /** The Content-Type without parameters, lowercase. */
  readonly mediaType: string;
}

/**
 * One API route: its method and path, the role it needs, and zod schemas for what it reads and
 * answers. The server validates requests with the schemas and the OpenAPI document is generated
 * from them, so the two cannot drift.
 */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** Fastify syntax: `/incidents/:id`. */
  readonly path: string;
  readonly role: Role;
  readonly summary: string;
  readonly params: z.ZodObject;
  readonly query: z.ZodObject;
  readonly body: z.ZodType | undefined;
  /** Instead of a JSON body: bytes in one of these media types. */
  readonly rawBody?: RawBody | undefined;
  readonly responses: Readonly<Record<number, RouteResponse>>;
  handle(input: RouteInput<unknown, unknown, unknown>, ctx: ApiContext): Promise<Reply>;
}

export interface RouteResponse {
  readonly description: string;
  /** The JSON answer's schema. */
  readonly schema?: z.ZodType;
  /** Text media types the route can answer with instead (a string body). */
  readonly text?: readonly string[];
  /** Response headers it sets, by name: what each says (an integer). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const NoParams = z.object({}).strict();

/** Declares a route with its handler typed from its schemas. */
export function defineRoute<P extends z.ZodObject = typeof NoParams, Q extends z.ZodObject = typeof NoParams, B extends z.ZodType | undefined = undefined>(spec: {
  method: 'GET' | 'POST';
  path: string;
  role: Role;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  rawBody?: RawBody;
  responses: Route['responses'];
  handle(input: RouteInput<z.infer<P>, z.infer<Q>, B extends z.ZodType ? z.infer<B> : RawRequestBody>, ctx: ApiContext): Promise<Reply>;
}): Route {
  return {
    method: spec.method,
    path: spec.path,
    role: spec.role,
    summary: spec.summary,
    params: spec.params ?? NoParams,
    query: spec.query ?? NoParams,
    body: spec.body,
    rawBody: spec.rawBody,
    responses: spec.responses,
    handle: spec.handle as Route['handle'],
  };
}

/** The ledger, or 503 when the worker runs without one. */
export function ledgerOf(ctx: ApiContext): Ledger {
  if (!ctx.ledger) throw new ApiError(503, 'no_ledger', 'this worker has no ledger: set ledger.url (or ALERTGATE_LEDGER) in its config');
  return ctx.ledger;
}
