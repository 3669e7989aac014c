import { quote } from './describe.js';

/**
 * A mapping's value map (`severity.map`): detector values → canonical values, by exact text
 * (`2: medium`) or by inclusive numeric range (`0-3: info`, `90-100: critical`), plus an optional
 * `default` for values it does not list. docs/formats.md, "Value maps", is the reference.
 */
export interface ValueMap<Value> {
  /** The canonical value for a detector value, or undefined when neither a key nor a range holds it (default aside). */
  lookup(value: unknown): Value | undefined;
  /** The keys as written, for messages. */
  readonly keys: readonly string[];
}

interface Range<Value> {
  readonly low: number;
  readonly high: number;
  readonly key: string;
  readonly value: Value;
}

/** `lo-hi`: two decimal numbers (each may be negative) joined by a dash, spaces allowed around it. */
const RANGE_KEY = /^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$/;
const NUMERIC_TEXT = /^\s*-?\d+(?:\.\d+)?\s*$/;

/** A range key's bounds, or undefined for an exact key. */
function rangeOf(key: string): { low: number; high: number } | undefined {
  const match = RANGE_KEY.exec(key);
  return match ? { low: Number(match[1]), high: Number(match[2]) } : undefined;
}

/**
 * What is wrong with a map's keys, by key: a range whose low bound is above its high bound, and
 * ranges that overlap (which would make the answer depend on key order). Exact keys may sit inside a
 * range: the exact key wins.
 */
export function valueMapProblems(keys: readonly string[]): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const ranges: { key: string; low: number; high: number }[] = [];
  for (const key of keys) {
    const range = rangeOf(key);
    if (range === undefined) continue;
    if (range.low > range.high) {
      problems.push({ key, message: `the range's low bound ${range.low} is above its high bound ${range.high}; write ${range.high}-${range.low}` });
      continue;
    }
    const other = ranges.find((r) => range.low <= r.high && r.low <= range.high);
    if (other !== undefined) {
      const from = Math.max(range.low, other.low);
      const to = Math.min(range.high, other.high);
      const both = from === to ? String(from) : `${from} to ${to}`;
      problems.push({ key, message: `overlaps the range ${other.key} (both hold ${both}); ranges must not overlap` });
      continue;
    }
    ranges.push({ key, ...range });
  }
  return problems;
}

/** Compiles a validated map (valueMapProblems found nothing). */
export function compileValueMap<Value>(entries: Readonly<Record<string, Value>>): ValueMap<Value> {
  const exact = new Map<string, Value>(Object.entries(entries));
  const ranges: Range<Value>[] = [];
  for (const [key, value] of Object.entries(entries)) {
    const range = rangeOf(key);
    if (range !== undefined) ranges.push({ ...range, key, value });
  }
  ranges.sort((a, b) => a.low - b.low);
  return {
    keys: [...exact.keys()],
    lookup(value) {
      // By its text: the number 2 and the string "2" both find the key 2.
      const found = exact.get(String(value));
      if (found !== undefined || ranges.length === 0) return found;
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : Number.NaN;
      if (Number.isNaN(n)) return undefined;
      for (const range of ranges) if (n >= range.low && n <= range.high) return range.value;
      return undefined;
    },
  };
}

/** "5 is not in the mapping's severity.map (1, 2, 3, 4); add it there" */
export function notInMapMessage(value: unknown, field: string, map: ValueMap<unknown>): string {
  return `${quote(value)} is not in the mapping's ${field}.map (${map.keys.join(', ')}); add it there, or give a default`;
}
