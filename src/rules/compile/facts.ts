import type { FactReference } from '../conditions.js';
import { compilePath, objectPathReader } from './path.js';
import type { EvalContext, FactSource } from './types.js';

/** Reads one side of a leaf from the evaluation context. */
export type Read = (ctx: EvalContext) => unknown;

/**
 * The alert-fact reads of one rule set, by fact and path, shared by all its conditions: a rule set
 * reads the same few fields of each alert in many rules (50 rules, 4 paths), and a shared read reads
 * each once per alert.
 */
export type AlertReads = Map<string, Read>;

/**
 * A fact's value, then its path: json-rules-engine's almanac.factValue, with the source fixed now.
 * `shared`: reads of alert facts through a path come from there (made once, remembering their alert).
 */
export function factReader(fact: string, path: string | undefined, source: FactSource, shared?: AlertReads): Read {
  // json-rules-engine ignores an empty path as it ignores a missing one.
  if (!path) return sourceReader(fact, source);
  if (source === 'alert') {
    if (!shared) return alertPathReader(fact, path);
    const key = `${fact}\u0000${path}`;
    let read = shared.get(key);
    if (!read) shared.set(key, (read = rememberingAlert(alertPathReader(fact, path))));
    return read;
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

/**
 * The read, remembered for the last alert it read: sound because it depends on the alert alone, and
 * an alert is not changed once normalized (it is recognized by identity). A read that throws is not
 * remembered, so it throws again where json-rules-engine would.
 */
function rememberingAlert(read: Read): Read {
  let lastAlert: object | undefined;
  let lastValue: unknown;
  return (ctx) => {
    if (ctx.alert === lastAlert) return lastValue;
    const value = read(ctx);
    lastAlert = ctx.alert;
    lastValue = value;
    return value;
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
