import type { CanonicalAlert } from '../alert.js';

/** A parsed JSON object: what adapters read. */
export type JsonObject = Record<string, unknown>;

/** The input formats with an adapter: a bounded label for metrics. docs/formats.md describes each. */
export const FORMAT_NAMES = ['canonical', 'generic', 'ecs', 'ocsf', 'suricata-eve', 'wazuh', 'falco', 'zeek-notice', 'sigma-match', 'alertmanager'] as const;
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
  /**
   * Mapping-based formats: the canonical fields (`entities.process`, `category`, ...) none of whose
   * paths was present in this input; undefined when every mapped field was found.
   */
  readonly absent?: readonly string[] | undefined;
}

export interface NormalizeFailure {
  readonly ok: false;
  readonly problem: NormalizeProblem;
  /** Names the place and the problem: `/time: unparseable timestamp "yesterday"; use ISO-8601 ...`. */
  readonly reason: string;
}

/**
 * One input record that holds several alerts (an Alertmanager webhook payload: one per element of
 * `alerts[]`): one result per alert, in order, at least one. Each ends as its own decision or dead
 * letter; a failure's reason names its element (`/alerts/2/startsAt: ...`).
 */
export interface NormalizeSplit {
  readonly ok: 'split';
  readonly parts: readonly AlertResult[];
}

/** What reading one alert gives. */
export type AlertResult = NormalizeSuccess | NormalizeFailure;

/** What reading one input record gives: one alert, a reason, or (multi-alert formats) several of those. */
export type NormalizeResult = AlertResult | NormalizeSplit;

/**
 * One input format. Adding a format means adding one file that implements this and one entry in the
 * auto-detection order in ../normalize.ts.
 */
export interface FormatAdapter<Result extends NormalizeResult = NormalizeResult> {
  readonly name: FormatName;
  /** Cheap check: does this object look like this format? Used by `--format auto`, per alert. */
  sniff(obj: JsonObject): boolean;
  /** Maps the object to a canonical alert; `rawLine` is the input line, for ids derived from it. */
  normalize(obj: JsonObject, rawLine: string): Result;
}

/** A format whose records each hold one alert (all but alertmanager). */
export type SingleAlertFormat = FormatAdapter<AlertResult>;

/** The category of alerts whose input names none. */
export const DEFAULT_CATEGORY = 'other';
