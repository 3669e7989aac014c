import type { FactReference } from '../conditions.js';
import { compilePath, objectPathReader } from './path.js';
import type { EvalContext, FactSource } from './types.js';

/** Reads one side of a leaf from the evaluation context. */
export type Read = (ctx: EvalContext) => unknown;

/** A fact's value, then its path: json-rules-engine's almanac.factValue, with the source fixed now. */
export function factReader(fact: string, path: string | undefined, source: FactSource): Read {
  const read = sourceReader(fact, source);
  // json-rules-engine ignores an empty path as it ignores a missing one.
  if (!path) return read;
  if (source === 'alert') {
    // compilePath(path)(read(ctx)) in one closure: alert facts with paths are most leaves' reads.
    const resolve = objectPathReader(path);
    return (ctx) => {
      const value = ctx.alert[fact];
      return value != null && typeof value === 'object' ? resolve(value) : value;
    };
  }
  const at = compilePath(path);
  return (ctx) => at(read(ctx));
}

function sourceReader(fact: string, source: FactSource): Read {
  switch (source) {
    case 'alert':
      return (ctx) => ctx.alert[fact];
    case 'aggregate':
      return (ctx) => ctx.aggregates[fact];
    case 'params':
      return (ctx) => ctx.params;
  }
}

/** json-rules-engine's almanac.getValue: a value object with an own `fact` key names a fact. */
export function isFactReference(value: unknown): value is FactReference {
  return value != null && typeof value === 'object' && Object.hasOwn(value, 'fact');
}
