import { isLeaf, type Condition, type LeafCondition, type TopLevelCondition } from '../conditions.js';
import type { CompileOptions } from './types.js';

export type PinnedValue = string | number | boolean;

export interface PinnedValues {
  readonly fact: string;
  readonly values: readonly PinnedValue[];
}

/** When several facts are pinned, index by the one that usually splits a rule set best. */
const PREFERRED_FACTS: readonly string[] = ['name', 'source', 'category', 'severity'];

/**
 * For rule indexing: an alert fact the condition pins to constants. Only leaves that are conjuncts
 * of the top-level `all` (through nested alls) count, and only `equal` to a constant or `in` a
 * constant array, on an alert fact without a path. Both compare with ===, so when the alert's value
 * is not in `values` that leaf is false, and with it the whole condition.
 */
export function pinnedValues(condition: TopLevelCondition, options: CompileOptions): PinnedValues | undefined {
  const pins = conjuncts(condition).flatMap((leaf) => pinOf(leaf, options) ?? []);
  // Array.prototype.sort is stable: among equally preferred facts, the first written wins.
  return pins.sort((a, b) => preference(a.fact) - preference(b.fact))[0];
}

function conjuncts(condition: Condition): LeafCondition[] {
  if (!('all' in condition)) return [];
  return condition.all.flatMap((child) => (isLeaf(child) ? [child] : conjuncts(child)));
}

function pinOf({ fact, path, operator, value }: LeafCondition, options: CompileOptions): PinnedValues | undefined {
  if (path || options.resolveFact(fact) !== 'alert') return undefined;
  if (operator === 'equal' && isPinnable(value)) return { fact, values: [value] };
  if (operator === 'in' && Array.isArray(value) && value.every(isPinnable)) return { fact, values: [...value] };
  return undefined;
}

function isPinnable(value: unknown): value is PinnedValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function preference(fact: string): number {
  const i = PREFERRED_FACTS.indexOf(fact);
  return i < 0 ? PREFERRED_FACTS.length : i;
}
