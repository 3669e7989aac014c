import type { CanonicalAlert } from '../alert.js';

/** A parsed JSON object: what adapters read. */
export type JsonObject = Record<string, unknown>;

/** The input formats with an adapter: a bounded label for metrics. */
export const FORMAT_NAMES = ['canonical', 'generic'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

/**
 * What kind of problem made an input unusable, for counting (metrics labels): a small fixed set,
 * unlike the reason text, which names values from the input.
 */
export const NORMALIZE_PROBLEMS = ['invalid_json', 'not_object', 'unknown_format', 'schema', 'bad_timestamp', 'bad_severity'] as const;
export type NormalizeProblem = (typeof NORMALIZE_PROBLEMS)[number];

export interface NormalizeSuccess {
  readonly ok: true;
  /** The adapter that read it. */
  readonly format: FormatName;
  readonly alert: CanonicalAlert;
  /** Event time in epoch milliseconds (the same instant as alert.time). */
  readonly timeMs: number;
}

export interface NormalizeFailure {
  readonly ok: false;
  readonly problem: NormalizeProblem;
  /** Names the place and the problem: `/time: unparseable timestamp "yesterday"; use ISO-8601 ...`. */
  readonly reason: string;
}

export type NormalizeResult = NormalizeSuccess | NormalizeFailure;

/**
 * One input format. Adding a format (OCSF, ECS, Suricata EVE, ...) means adding one file that
 * implements this and one entry in the auto-detection order in ../normalize.ts.
 */
export interface FormatAdapter {
  readonly name: FormatName;
  /** Cheap check: does this object look like this format? Used by `--format auto`, per alert. */
  sniff(obj: JsonObject): boolean;
  /** Maps the object to a canonical alert; `rawLine` is the input line, for ids derived from it. */
  normalize(obj: JsonObject, rawLine: string): NormalizeResult;
}

/** The category of alerts whose input names none. */
export const DEFAULT_CATEGORY = 'other';
