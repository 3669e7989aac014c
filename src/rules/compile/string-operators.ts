import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type ipaddr from 'ipaddr.js';
import type { RE2JS } from 're2js';
import type { StringOperator } from '../conditions.js';

/**
 * re2js and ipaddr.js are required on first use, not imported: most rule sets use neither operator,
 * and loading them cost every `replay` a tenth of its startup (README, "Startup and the CLI path").
 */
const requireLazily = createRequire(import.meta.url);
let re2js: typeof import('re2js') | undefined;
let ipaddrJs: typeof ipaddr | undefined;
const RE2 = (): typeof RE2JS => (re2js ??= requireLazily('re2js') as typeof import('re2js')).RE2JS;
const addresses = (): typeof ipaddr => (ipaddrJs ??= requireLazily('ipaddr.js') as typeof ipaddr);


/**
 * The string operators alertgate adds to json-rules-engine's, each in the shape engine.addOperator
 * takes (`new Operator(name, compare, validator)`: `validator(fact) && compare(fact, value)`), so a
 * json-rules-engine with these registered decides as alertgate does (test/rules/string-operators.property.test.ts).
 * None of them throws: a fact or value of the wrong kind makes the comparison false.
 */
export interface StringOperatorDefinition {
  /** json-rules-engine's factValueValidator: the fact must be a string. */
  readonly validator: (factValue: unknown) => boolean;
  readonly compare: (factValue: unknown, value: unknown) => boolean;
  /**
   * Why a constant `value` cannot be compared with, or undefined when it can: checked when the rules
   * load, so a bad pattern or CIDR is a located problem instead of a leaf that is always false.
   */
  readonly checkValue: (value: unknown) => string | undefined;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const needsString = (value: unknown): string | undefined => (isString(value) ? undefined : `expected a string value, got ${describe(value)}`);

export const STRING_OPERATOR_DEFINITIONS: Readonly<Record<StringOperator, StringOperatorDefinition>> = {
  startsWith: { validator: isString, compare: (a, b) => isString(b) && (a as string).startsWith(b), checkValue: needsString },
  endsWith: { validator: isString, compare: (a, b) => isString(b) && (a as string).endsWith(b), checkValue: needsString },
  equalIgnoreCase: {
    validator: isString,
    compare: (a, b) => isString(b) && (a as string).toLowerCase() === b.toLowerCase(),
    checkValue: needsString,
  },
  regex: {
    validator: isString,
    compare: (a, b) => isString(b) && (compiledPattern(b)?.test(a as string) ?? false),
    checkValue: (value) => (isString(value) ? patternProblem(value) : needsString(value)),
  },
  inCidr: {
    validator: isString,
    compare: (a, b) => {
      if (!isString(b)) return false;
      const range = parsedRange(b);
      const address = range && parseAddress(a as string);
      return address !== undefined && range !== undefined && address.kind() === range[0].kind() && address.match(range);
    },
    checkValue: (value) => {
      if (!isString(value)) return needsString(value);
      return parsedRange(value) === undefined ? `"${value}" is not a CIDR range (10.0.0.0/8, 2001:db8::/32) or an IP address` : undefined;
    },
  },
};

/**
 * What is wrong with a string operator's constant value (a pattern, a range, a prefix), each with its
 * path below `value`; [] for other operators. The decorators say where the constant ends up: swap moves
 * it to the fact's side (it is then the string looked at, and anything goes), someValue/everyValue hand
 * the operator its elements (a value that is not an array makes the leaf false at run time, as for the
 * built-in operators).
 */
export function stringOperandProblems(operator: string, value: unknown): { path: number[]; message: string }[] {
  const names = operator.split(':');
  const definition = STRING_OPERATOR_DEFINITIONS[names.pop() as StringOperator] as StringOperatorDefinition | undefined;
  if (definition === undefined) return [];
  let onValueSide = true;
  let operands: [unknown, number[]][] = [[value, []]];
  for (const decorator of names) {
    if (decorator === 'swap') onValueSide = !onValueSide;
    else if (onValueSide && (decorator === 'someValue' || decorator === 'everyValue')) {
      operands = operands.flatMap(([v, path]) => (Array.isArray(v) ? v.map((item, i): [unknown, number[]] => [item, [...path, i]]) : []));
    }
  }
  if (!onValueSide) return [];
  return operands.flatMap(([operand, path]) => {
    const message = definition.checkValue(operand);
    return message === undefined ? [] : [{ path, message }];
  });
}

/**
 * Parsed patterns and ranges by their text. Constant values repeat on every alert, and values read
 * from facts could be anything: the caches are bounded and emptied when full (results never depend on them).
 */
const CACHE_LIMIT = 1024;
const patterns = new Map<string, RE2JS | null>();
const ranges = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | null>();

function cached<T>(cache: Map<string, T | null>, text: string, parse: (text: string) => T | null): T | undefined {
  let entry = cache.get(text);
  if (entry === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    entry = parse(text);
    cache.set(text, entry);
  }
  return entry ?? undefined;
}

/** RE2 syntax, unanchored search: linear in the input's length whatever the pattern (no backtracking). */
function compiledPattern(pattern: string): RE2JS | undefined {
  return cached(patterns, pattern, (text) => {
    try {
      return RE2().compile(text);
    } catch {
      return null;
    }
  });
}

function patternProblem(pattern: string): string | undefined {
  try {
    RE2().compile(pattern);
    return undefined;
  } catch (err) {
    return `invalid regex (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`;
  }
}

/**
 * "10.0.0.0/8", "2001:db8::/32", or one address (its own range). The address part is as strict as
 * node's isIP (dotted decimal IPv4, no "10" or "0x0a.1"): ipaddr.js alone would read those as addresses.
 */
function parsedRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  return cached(ranges, text, (cidr) => {
    const slash = cidr.indexOf('/');
    const address = parseAddress(slash < 0 ? cidr : cidr.slice(0, slash));
    if (address === undefined) return null;
    const bits = address.kind() === 'ipv4' ? 32 : 128;
    if (slash < 0) return [address, bits];
    const prefix = cidr.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) return null;
    return [address, Number(prefix)];
  });
}

/** An IPv4 or IPv6 address; an IPv4-mapped IPv6 address (::ffff:10.0.0.1) is its IPv4 address. */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  return isIP(text) === 0 ? undefined : addresses().process(text);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
