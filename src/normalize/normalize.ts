import { z } from 'zod';
import { jsonType } from './describe.js';
import { FORMAT_NAMES, type FormatAdapter, type FormatName, type JsonObject, type NormalizeProblem, type NormalizeResult } from './formats/adapter.js';
import { alertmanagerFormat } from './formats/alertmanager.js';
import { canonicalFormat } from './formats/canonical.js';
import { ecsFormat } from './formats/ecs.js';
import { falcoFormat } from './formats/falco.js';
import { genericFormat } from './formats/generic.js';
import { ocsfFormat } from './formats/ocsf.js';
import { sigmaMatchFormat } from './formats/sigma-match.js';
import { suricataEveFormat } from './formats/suricata-eve.js';
import { wazuhFormat } from './formats/wazuh.js';
import { zeekNoticeFormat } from './formats/zeek-notice.js';
import type { Mapping } from './mapping.js';

export type { NormalizeResult } from './formats/adapter.js';

/** `--format`: auto detects per alert; the others force one adapter. */
export const InputFormat = z.enum(['auto', ...FORMAT_NAMES]);
export type InputFormat = z.infer<typeof InputFormat>;

/**
 * The built-in formats, in the order `auto` tries them after canonical. Each recognizes its records
 * by fields no other format has at the top level (a test checks that no fixture of one is sniffed by
 * another), so the order matters only for records made to look like two formats at once.
 */
export const BUILTIN_FORMATS: readonly FormatAdapter[] = [
  alertmanagerFormat,
  ocsfFormat,
  ecsFormat,
  suricataEveFormat,
  wazuhFormat,
  falcoFormat,
  zeekNoticeFormat,
  sigmaMatchFormat,
];

const BUILTIN_NAMES = BUILTIN_FORMATS.map((f) => f.name).join(', ');

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
        `not a canonical alert (it lacks time, source, name or severity), nor one of ${BUILTIN_NAMES} ` +
          '(docs/formats.md says how each is recognized); name the format with --format, or for other shapes pass ' +
          '--format generic --map <mapping.yaml>',
      );
    }
    return adapter.normalize(value as JsonObject, text);
  };
}

/**
 * How an object's adapter is chosen: forced by --format, or in auto mode the first that sniffs it:
 * canonical first (the common case costs four property checks), then, with a mapping, the mapping
 * (it takes anything: the user's mapping decides, so a mapping's reading never changes as formats are
 * added), otherwise the built-in formats in BUILTIN_FORMATS order.
 */
function adapterPicker(opts: NormalizerOptions): (obj: JsonObject) => FormatAdapter | undefined {
  const generic = opts.mapping === undefined ? undefined : genericFormat(opts.mapping);
  switch (opts.format) {
    case 'auto': {
      const candidates = generic === undefined ? [canonicalFormat, ...BUILTIN_FORMATS] : [canonicalFormat, generic];
      return (obj) => {
        for (const adapter of candidates) if (adapter.sniff(obj)) return adapter;
        return undefined;
      };
    }
    case 'generic': {
      if (generic === undefined) throw new Error('--format generic needs a mapping file: pass --map <mapping.yaml>');
      return () => generic;
    }
    default: {
      const forced = formatAdapter(opts.format);
      return () => forced;
    }
  }
}

/** The adapter of a format other than generic (which needs a mapping). */
export function formatAdapter(name: Exclude<FormatName, 'generic'>): FormatAdapter {
  if (name === 'canonical') return canonicalFormat;
  return BUILTIN_FORMATS.find((f) => f.name === name)!;
}

function failure(problem: NormalizeProblem, reason: string): NormalizeResult {
  return { ok: false, problem, reason };
}
