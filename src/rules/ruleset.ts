import { createHash } from 'node:crypto';
import type { CanonicalAlert } from '../normalize/alert.js';
import type { CompiledPredicate } from './compile/index.js';
import type { FieldReader } from './field-path.js';
import type { Aggregate, Exception, IncidentSpec, Rule } from './schema.js';

export type CountedAggregate = Exclude<Aggregate, { kind: 'sequence' | 'spike' }>;

/** A rule ready for the hot path: predicates compiled, paths compiled, durations in ms. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly file: string;
  /** Position in the evaluation order (priority desc, then id); lower decides first. */
  readonly order: number;
  readonly match: CompiledPredicate | undefined;
  readonly conditions: CompiledPredicate;
  readonly params: Readonly<Record<string, number>>;
  readonly window: CompiledWindow | undefined;
  /**
   * What the window's counts mean: the window, the aggregates and the match conditions (with the named
   * conditions they may reference). A reload keeps a rule's counts only while this is unchanged.
   */
  readonly windowIdentity: string | undefined;
  readonly incident: CompiledIncident | undefined;
  readonly absence: CompiledAbsence | undefined;
  /** A tenant's rule (rules directory `tenants/<tenant>/`): it looks only at that tenant's alerts. */
  readonly scope?: RuleScope | undefined;
  /** An alert fact the rule pins to constants, for candidate indexing (see decide/candidates). */
  readonly pin: { readonly fact: string; readonly values: readonly (string | number | boolean)[] } | undefined;
}

/** The tenant a rule or exception belongs to: it decides only alerts whose `field` holds `tenant`. */
export interface RuleScope {
  readonly field: string;
  readonly tenant: string;
  readonly read: FieldReader;
}

/** What windows and absence rules share: a group per alert, lateness and a bound on groups held. */
export interface CompiledGrouping {
  readonly groupBy: readonly string[];
  readonly groupReaders: readonly FieldReader[];
  readonly allowedLatenessMs: number;
  readonly maxKeys: number;
}

export interface CompiledWindow extends CompiledGrouping {
  readonly sizeMs: number;
  readonly maxEvents: number;
  readonly maxEventsPerKey: number;
  /** The counted aggregates' names, then the spike's and the sequence's (when there are). */
  readonly aggregateNames: readonly string[];
  /** The counted aggregates (count, distinct, sum, risk: a sum of scores), kept by the window store. */
  readonly aggregates: readonly CountedAggregate[];
  /** Reads each aggregate's input value (undefined for count and risk). */
  readonly aggregateReaders: readonly (FieldReader | undefined)[];
  /** Each aggregate's `where`: an alert it does not hold for adds nothing to that aggregate. */
  readonly aggregateFilters: readonly (CompiledPredicate | undefined)[];
  /** A risk aggregate's scores: what an alert adds is the sum of the scores whose condition holds. */
  readonly aggregateScores: readonly (readonly RiskScore[] | undefined)[];
  readonly sequence: CompiledSequence | undefined;
  readonly spike: CompiledSpike | undefined;
}

export interface RiskScore {
  readonly where: CompiledPredicate;
  readonly score: number;
}

/** A `sequence` aggregate: its steps' conditions and counts, in order (state/sequence-store.ts). */
export interface CompiledSequence {
  readonly name: string;
  readonly steps: readonly CompiledPredicate[];
  readonly counts: readonly number[];
}

export interface CompiledAbsence extends CompiledGrouping {
  readonly afterMs: number;
}

/** A `spike` aggregate (state/baseline-store.ts): its periods and optional where. */
export interface CompiledSpike {
  readonly name: string;
  readonly periods: number;
  readonly where: CompiledPredicate | undefined;
}

export interface CompiledIncident {
  readonly spec: IncidentSpec;
  readonly groupBy: readonly string[];
  readonly groupReaders: readonly FieldReader[];
  readonly windowMs: number;
  readonly maxSpanMs: number | undefined;
  readonly title: (alert: CanonicalAlert) => string;
}

export interface CompiledException {
  readonly exception: Exception;
  readonly file: string;
  readonly expiresMs: number;
  /** A tenant's exception: it silences only that tenant's alerts (`matches` checks it). */
  readonly scope?: RuleScope | undefined;
  /** True when the alert is one this exception silences (expiry is checked separately). */
  readonly matches: (alert: Readonly<Record<string, unknown>>) => boolean;
}

export interface CompiledRuleSet {
  /** Enabled suppress rules in evaluation order. */
  readonly suppressRules: readonly CompiledRule[];
  /** Enabled promote rules in evaluation order. */
  readonly promoteRules: readonly CompiledRule[];
  readonly disabledRules: readonly Rule[];
  readonly exceptions: readonly CompiledException[];
  /** With a `kind: tenancy` object: the tenant field, and the tenants that have rules of their own (sorted). */
  readonly tenancy?: { readonly field: string; readonly tenants: readonly string[] } | undefined;
  /** sha256 of the canonical JSON of every loaded object: identifies a rule set version in logs and the ledger. */
  readonly fingerprint: string;
}

/** No rules: every alert passes. For running the pipeline only to read its input (tune's probe, `alertgate normalize`). */
export const EMPTY_RULESET: CompiledRuleSet = { suppressRules: [], promoteRules: [], disabledRules: [], exceptions: [], fingerprint: 'none' };

/** Priority first (higher runs first, as json-rules-engine), then id for a total, stable order. */
export function compareRules(a: Rule, b: Rule): number {
  return b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function fingerprintOf(objects: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(JSON.stringify(o)).update('\n');
  return hash.digest('hex').slice(0, 16);
}
