import type { TopLevelCondition } from '../conditions.js';
import type { AlertShare } from './shared.js';

/** Where a fact's value comes from; decided once, when the condition is compiled. */
export type FactSource = 'alert' | 'aggregate' | 'params';

/** What one evaluation sees. alert's top-level fields are facts by name; aggregates by declared name; params is the fact "params". */
export interface EvalContext {
  alert: Readonly<Record<string, unknown>>;
  aggregates: Readonly<Record<string, number | undefined>>;
  params: Readonly<Record<string, number>>;
}

export interface CompileOptions {
  /** Where a fact name comes from; undefined = unknown fact (a compile error). */
  resolveFact(name: string): FactSource | undefined;
  /** Named conditions, referenced as {condition: "name"} (json-rules-engine's engine.setCondition). */
  namedConditions: ReadonlyMap<string, TopLevelCondition>;
  /** Alert-fact reads and leaves shared with the rule set's other conditions (shared.ts); left out, each condition works for itself. */
  shared?: AlertShare;
}

/**
 * One leaf of an explanation. Values are the evaluated objects themselves (not copies), so a trace is
 * as small as the data it points at.
 */
export interface FactTrace {
  readonly kind: 'fact';
  /** The condition's own `name`, when the rule gives one. */
  readonly name?: string;
  readonly fact: string;
  readonly path?: string;
  readonly operator: string;
  /** As written: a constant or a `{fact, path}` reference. */
  readonly value: unknown;
  /** The left-hand side: the fact's value after the path. */
  readonly factValue: unknown;
  /** The right-hand side when `value` is a fact reference: the referenced fact's value (for constants it is `value`). */
  readonly compareTo?: unknown;
  readonly result: boolean;
  /** Set where json-rules-engine would have thrown; the leaf is then false (docs/engine.md). */
  readonly error?: string;
}

export interface GroupTrace {
  readonly kind: 'all' | 'any' | 'not';
  readonly name?: string;
  readonly result: boolean;
  readonly children: readonly ConditionTrace[];
}

export interface ReferenceTrace {
  readonly kind: 'condition';
  /** The referenced named condition. */
  readonly condition: string;
  readonly name?: string;
  readonly result: boolean;
  /** The named condition's trace. */
  readonly children: readonly [ConditionTrace];
}

/** A JSON-serializable tree of how a condition evaluated, for decision explanations. */
export type ConditionTrace = FactTrace | GroupTrace | ReferenceTrace;

export interface CompiledPredicate {
  /** Hot path: synchronous, no promises, fact sources and paths resolved at compile time. */
  test(ctx: EvalContext): boolean;
  /**
   * Used once per decided alert: evaluates every branch (no short-circuit) to show all of them, and
   * writes the trace as JSON (a ConditionTrace).
   */
  explainJson(ctx: EvalContext): string;
  /** explainJson, parsed: for callers that want the trace as an object. */
  explain(ctx: EvalContext): ConditionTrace;
  /** Facts this predicate reads, named conditions and fact references included. */
  readonly facts: ReadonlySet<string>;
}
