import type { EvalContext } from './types.js';

/** Reads one side of a leaf from the evaluation context. */
export type Read = (ctx: EvalContext) => unknown;

/** The hot path: one synchronous closure per condition node. */
export type Test = (ctx: EvalContext) => boolean;

/**
 * The work on alert facts that the conditions of one rule set share, made once per alert: a rule set
 * reads the same few fields of each alert in many rules (50 rules, 4 paths), and often repeats a
 * whole leaf (`severity in [high, critical]` in every rule of a pack). `reads`: alert-fact reads
 * through a path, by fact and path; `tests`: leaves comparing an alert fact with a constant, by
 * fact, path, operator and constant (leafShareKey). Each remembers its last alert.
 */
export interface AlertShare {
  readonly reads: Map<string, Read>;
  readonly tests: Map<string, Test>;
}

export function newAlertShare(): AlertShare {
  return { reads: new Map(), tests: new Map() };
}

/** The shared closure for `key`, made from `make` (and made remembering its last alert) the first time. */
export function sharedByAlert<T>(map: Map<string, (ctx: EvalContext) => T>, key: string, make: () => (ctx: EvalContext) => T): (ctx: EvalContext) => T {
  let shared = map.get(key);
  if (!shared) map.set(key, (shared = rememberingAlert(make())));
  return shared;
}

/**
 * The function, remembered for the last alert it saw: sound because what it computes depends on the
 * alert alone, and an alert is not changed once normalized (it is recognized by identity). A call that
 * throws is not remembered, so it throws again where json-rules-engine would.
 */
function rememberingAlert<T>(compute: (ctx: EvalContext) => T): (ctx: EvalContext) => T {
  let lastAlert: object | undefined;
  let lastValue: T;
  return (ctx) => {
    if (ctx.alert === lastAlert) return lastValue;
    const value = compute(ctx);
    lastAlert = ctx.alert;
    lastValue = value;
    return value;
  };
}

/**
 * The key of a leaf that compares an alert fact with a constant, or undefined when the constant is
 * not one whose text identifies it: strings, finite numbers other than -0, booleans, null, and arrays
 * of them (others, such as objects, whose engine copy depends on more than their JSON, are not shared).
 */
export function leafShareKey(fact: string, path: string | undefined, operator: string, value: unknown): string | undefined {
  const constant = (Array.isArray(value) ? allKeyable(value) : isKeyable(value)) ? JSON.stringify(value) : undefined;
  return constant === undefined ? undefined : `${fact}\u0000${path ?? ''}\u0000${operator}\u0000${constant}`;
}

/** By index, so that a hole (which JSON writes as null) is not keyable. */
function allKeyable(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (!(i in values) || !isKeyable(values[i])) return false;
  return true;
}

function isKeyable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  return value === null || typeof value === 'string' || typeof value === 'boolean';
}
