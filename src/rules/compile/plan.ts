import {
  OPERATOR_DECORATORS,
  OPERATORS,
  type Condition,
  type ConditionReference,
  type FactReference,
  type LeafCondition,
  type TopLevelCondition,
} from '../conditions.js';
import { CompileError, pointerTo } from './compile-error.js';
import { cloneLikeEngine } from './engine-clone.js';
import { factReader, isFactReference } from './facts.js';
import { compileOperator, type Operator } from './operators.js';
import { leafShareKey, type Read } from './shared.js';
import { stringOperandProblems } from './string-operators.js';
import type { CompileOptions, FactSource } from './types.js';

/**
 * A condition tree with everything resolved that does not depend on the alert: fact sources, paths,
 * operators, named conditions. The hot-path closures (predicate.ts) and explanations (explain.ts)
 * are both built from it.
 */
export type Plan = LeafPlan | GroupPlan | NotPlan | ReferencePlan;

export interface LeafPlan {
  readonly kind: 'fact';
  readonly condition: LeafCondition;
  readonly read: Read;
  readonly compareTo: Read;
  /** True when `value` is a `{fact, path}` reference (its resolved value is then worth showing). */
  readonly comparesFacts: boolean;
  /** Otherwise, what compareTo returns: the constant as json-rules-engine compares against it (its per-evaluation copy, made once here). */
  readonly constant: unknown;
  readonly operator: Operator;
  /** An alert fact against a constant: the key under which the rule set shares the leaf (AlertShare.tests), when it can. */
  readonly shareKey: string | undefined;
}

export interface GroupPlan {
  readonly kind: 'all' | 'any';
  readonly name: string | undefined;
  readonly children: readonly Plan[];
}

export interface NotPlan {
  readonly kind: 'not';
  readonly name: string | undefined;
  readonly child: Plan;
}

export interface ReferencePlan {
  readonly kind: 'condition';
  readonly condition: string;
  readonly name: string | undefined;
  readonly target: Plan;
}

/** json-rules-engine 7.3.1 answers true for an empty condition list (rule.js prioritizeAndRun), `any: []` included. */
export const EMPTY_GROUP_RESULT = true;

interface Scope {
  readonly options: CompileOptions;
  readonly facts: Set<string>;
  /** Named conditions planned so far, shared by every reference to them. */
  readonly named: Map<string, Plan>;
  /** Named conditions being planned, outermost first: referencing one of them again is a cycle. */
  readonly referencing: readonly string[];
}

export function planCondition(condition: TopLevelCondition, options: CompileOptions): { plan: Plan; facts: ReadonlySet<string> } {
  const scope: Scope = { options, facts: new Set(), named: new Map(), referencing: [] };
  return { plan: planNode(condition, '', scope), facts: scope.facts };
}

/** Tells the kinds apart in json-rules-engine's order (Condition.booleanOperator: any, all, not; then references). */
function planNode(condition: Condition, pointer: string, scope: Scope): Plan {
  if ('any' in condition) return { kind: 'any', name: condition.name, children: planChildren(condition.any, pointerTo(pointer, 'any'), scope) };
  if ('all' in condition) return { kind: 'all', name: condition.name, children: planChildren(condition.all, pointerTo(pointer, 'all'), scope) };
  if ('not' in condition) return { kind: 'not', name: condition.name, child: planNode(condition.not, pointerTo(pointer, 'not'), scope) };
  if ('condition' in condition) return planReference(condition, pointer, scope);
  return planLeaf(condition, pointer, scope);
}

function planChildren(children: readonly Condition[], pointer: string, scope: Scope): Plan[] {
  return children.map((child, i) => planNode(child, pointerTo(pointer, i), scope));
}

function planLeaf(leaf: LeafCondition, pointer: string, scope: Scope): LeafPlan {
  const operator = compileOperator(leaf.operator);
  if (!operator) {
    throw new CompileError(
      `unknown operator "${leaf.operator}"; use one of ${OPERATORS.join(', ')}, optionally prefixed by decorators (${OPERATOR_DECORATORS.join(', ')}) joined with ':'`,
      pointerTo(pointer, 'operator'),
    );
  }
  if (!isFactReference(leaf.value)) {
    // The rule schema reports these (all of them, located); a condition compiled without it still may not hold one.
    const [problem] = stringOperandProblems(leaf.operator, leaf.value);
    if (problem) throw new CompileError(problem.message, problem.path.reduce<string>(pointerTo, pointerTo(pointer, 'value')));
  }
  const source = sourceOf(leaf.fact, pointerTo(pointer, 'fact'), scope);
  const comparesFacts = isFactReference(leaf.value);
  const constant = comparesFacts ? undefined : cloneLikeEngine(leaf.value);
  return {
    kind: 'fact',
    condition: leaf,
    read: factReader(leaf.fact, leaf.path, source, scope.options.shared),
    compareTo: comparesFacts ? referenceReader(leaf.value as FactReference, pointerTo(pointer, 'value'), scope) : () => constant,
    comparesFacts,
    constant,
    operator,
    shareKey: source === 'alert' && !comparesFacts ? leafShareKey(leaf.fact, leaf.path, leaf.operator, leaf.value) : undefined,
  };
}

function referenceReader(value: FactReference, pointer: string, scope: Scope): Read {
  return factReader(value.fact, value.path, sourceOf(value.fact, pointerTo(pointer, 'fact'), scope), scope.options.shared);
}

function sourceOf(fact: string, pointer: string, scope: Scope): FactSource {
  const source = scope.options.resolveFact(fact);
  if (source === undefined) {
    throw new CompileError(`unknown fact "${fact}"; facts are the alert's fields, the rule's declared aggregates and "params"`, pointer);
  }
  scope.facts.add(fact);
  return source;
}

function planReference(reference: ConditionReference, pointer: string, scope: Scope): ReferencePlan {
  const at = pointerTo(pointer, 'condition');
  return { kind: 'condition', condition: reference.condition, name: reference.name, target: namedPlan(reference.condition, at, scope) };
}

/** Errors inside a named condition are reported at the reference (`at`), their inner pointer in the message. */
function namedPlan(name: string, at: string, scope: Scope): Plan {
  const cycleStart = scope.referencing.indexOf(name);
  if (cycleStart >= 0) {
    throw new CompileError(`circular condition reference: ${[...scope.referencing.slice(cycleStart), name].join(' → ')}`, at);
  }
  const planned = scope.named.get(name);
  if (planned) return planned;
  const condition = scope.options.namedConditions.get(name);
  if (!condition) {
    const known = [...scope.options.namedConditions.keys()].join(', ') || 'none';
    throw new CompileError(`unknown condition "${name}"; defined: ${known}`, at);
  }
  let plan: Plan;
  try {
    plan = planNode(condition, '', { ...scope, referencing: [...scope.referencing, name] });
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    throw new CompileError(`in condition "${name}" at ${err.pointer || '/'}: ${err.message}`, at);
  }
  scope.named.set(name, plan);
  return plan;
}
