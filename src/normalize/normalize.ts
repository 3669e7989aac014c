import { z } from 'zod';
import { jsonType } from './describe.js';
import type { FormatAdapter, JsonObject, NormalizeProblem, NormalizeResult } from './formats/adapter.js';
import { canonicalFormat } from './formats/canonical.js';
import { genericFormat } from './formats/generic.js';
import type { Mapping } from './mapping.js';

export type { NormalizeResult } from './formats/adapter.js';

/** `--format`: auto detects per alert; the others force one adapter. */
export const InputFormat = z.enum(['auto', 'canonical', 'generic']);
export type InputFormat = z.infer<typeof InputFormat>;

export interface NormalizerOptions {
  readonly format: InputFormat;
  /** The generic format's mapping (`--map`); required for `generic`, optional for `auto`. */
  readonly mapping?: Mapping | undefined;
}

/**
 * One input line → a canonical alert, or a reason naming the place in the line (`/time: ...`).
 * `line` (1-based) is part of the contract for adapters that may need it; reasons do not repeat it,
 * since the dead letter carries it.
 */
export type Normalizer = (text: string, line: number) => NormalizeResult;

/**
 * Builds the per-alert normalizer. Configuration mistakes (generic without a mapping) throw here,
 * once; problems with an alert are returned as a reason, never thrown.
 */
export function createNormalizer(opts: NormalizerOptions): Normalizer {
  const pickAdapter = adapterPicker(opts);
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failure('invalid_json', `invalid JSON: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return failure('not_object', `expected a JSON object, got ${jsonType(value)}`);
    }
    const adapter = pickAdapter(value as JsonObject);
    if (adapter === undefined) {
      return failure(
        'unknown_format',
        'not a canonical alert (it lacks time, source, name or severity); for other shapes pass ' +
          '--format generic --map <mapping.yaml>',
      );
    }
    return adapter.normalize(value as JsonObject, text);
  };
}

/**
 * How an object's adapter is chosen: forced by --format, or in auto mode the first that sniffs it.
 * Formats that can be recognized go before generic, which takes anything.
 */
function adapterPicker(opts: NormalizerOptions): (obj: JsonObject) => FormatAdapter | undefined {
  const generic = opts.mapping === undefined ? undefined : genericFormat(opts.mapping);
  switch (opts.format) {
    case 'canonical':
      return () => canonicalFormat;
    case 'generic': {
      if (generic === undefined) throw new Error('--format generic needs a mapping file: pass --map <mapping.yaml>');
      return () => generic;
    }
    case 'auto': {
      const candidates = generic === undefined ? [canonicalFormat] : [canonicalFormat, generic];
      return (obj) => {
        for (const adapter of candidates) if (adapter.sniff(obj)) return adapter;
        return undefined;
      };
    }
  }
}

function failure(problem: NormalizeProblem, reason: string): NormalizeResult {
  return { ok: false, problem, reason };
}
