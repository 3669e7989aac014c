import { isKnownOperator, STRING_OPERATORS, type BaseOperator, type OperatorDecorator, type OperatorName } from '../conditions.js';
import { STRING_OPERATOR_DEFINITIONS } from './string-operators.js';

/** A compiled operator: left-hand side (the fact) against right-hand side (the value). */
export type Operator = (factValue: unknown, compareTo: unknown) => boolean;

interface Searchable {
  indexOf(item: unknown): number;
}

/**
 * json-rules-engine's engine-default-operators.js, validator first (`validator(a) && cb(a, b)`).
 * The bodies stay the same expressions on purpose: where one throws there (in/notIn without an
 * indexOf on the right, values without a primitive form), it throws here too, and the leaf turns
 * that into false.
 */
const ENGINE_OPERATORS: Readonly<Record<BaseOperator, Operator>> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => (b as Searchable).indexOf(a) > -1,
  notIn: (a, b) => (b as Searchable).indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => Array.isArray(a) && a.indexOf(b) === -1,
  lessThan: (a, b) => isNumeric(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => isNumeric(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => isNumeric(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => isNumeric(a) && (a as number) >= (b as number),
};

/** alertgate's own, composed as json-rules-engine's Operator.evaluate composes a registered one. */
const OPERATORS: Readonly<Record<OperatorName, Operator>> = {
  ...ENGINE_OPERATORS,
  ...Object.fromEntries(
    STRING_OPERATORS.map((name) => {
      const { validator, compare } = STRING_OPERATOR_DEFINITIONS[name];
      return [name, (a: unknown, b: unknown) => validator(a) && compare(a, b)];
    }),
  ),
} as Record<OperatorName, Operator>;

/**
 * json-rules-engine's numberValidator, `parseFloat(v).toString() !== 'NaN'`: so "12abc" and [5] pass.
 * For a number, parseFloat(String(v)) is NaN only when v is NaN, which skips the string round trip.
 */
function isNumeric(value: unknown): boolean {
  return typeof value === 'number' ? !Number.isNaN(value) : !Number.isNaN(Number.parseFloat(value as string));
}

/**
 * json-rules-engine's engine-default-operator-decorators.js. someFact/everyFact validate the fact
 * with Array.isArray (a non-array is false); someValue/everyValue call the value's some/every
 * unvalidated (a non-array value throws there, so it throws here).
 */
const DECORATORS: Readonly<Record<OperatorDecorator, (next: Operator) => Operator>> = {
  someFact: (next) => (a, b) => Array.isArray(a) && a.some((item) => next(item, b)),
  everyFact: (next) => (a, b) => Array.isArray(a) && a.every((item) => next(item, b)),
  someValue: (next) => (a, b) => (b as unknown[]).some((item) => next(a, item)),
  everyValue: (next) => (a, b) => (b as unknown[]).every((item) => next(a, item)),
  swap: (next) => (a, b) => next(b, a),
  not: (next) => (a, b) => !next(a, b),
};

/**
 * `"not:someFact:equal"` → not(someFact(equal)): the leftmost decorator is the outermost, as in
 * json-rules-engine's OperatorMap.get. Undefined for an unknown operator.
 */
export function compileOperator(operator: string): Operator | undefined {
  if (!isKnownOperator(operator)) return undefined;
  const names = operator.split(':');
  const base = OPERATORS[names.pop() as OperatorName];
  return (names as OperatorDecorator[]).reduceRight((next, decorator) => DECORATORS[decorator](next), base);
}
