import type { FactReference } from '../conditions.js';
import { compilePath, objectPathReader } from './path.js';
import { sharedByAlert, type AlertShare, type Read } from './shared.js';
import type { FactSource } from './types.js';

/**
 * A fact's value, then its path: json-rules-engine's almanac.factValue, with the source fixed now.
 * `shared`: reads of alert facts through a path come from there (made once, remembering their alert).
 */
export function factReader(fact: string, path: string | undefined, source: FactSource, shared?: AlertShare): Read {
  // json-rules-engine ignores an empty path as it ignores a missing one.
  if (!path) return sourceReader(fact, source);
  if (source === 'alert') {
    return shared ? sharedByAlert(shared.reads, `${fact}\u0000${path}`, () => alertPathReader(fact, path)) : alertPathReader(fact, path);
  }
  const read = sourceReader(fact, source);
  const at = compilePath(path);
  return (ctx) => at(read(ctx));
}

/** compilePath(path)(alert[fact]) in one closure: alert facts with paths are most leaves' reads. */
function alertPathReader(fact: string, path: string): Read {
  const resolve = objectPathReader(path);
  return (ctx) => {
    const value = ctx.alert[fact];
    return value != null && typeof value === 'object' ? resolve(value) : value;
  };
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
