import type { CanonicalAlert } from '../alert.js';

/** A parsed JSON object: what adapters read. */
export type JsonObject = Record<string, unknown>;

export interface NormalizeSuccess {
  readonly ok: true;
  readonly alert: CanonicalAlert;
  /** Event time in epoch milliseconds (the same instant as alert.time). */
  readonly timeMs: number;
}

export interface NormalizeFailure {
  readonly ok: false;
  /** Names the place and the problem: `/time: unparseable timestamp "yesterday"; use ISO-8601 ...`. */
  readonly reason: string;
}

export type NormalizeResult = NormalizeSuccess | NormalizeFailure;

/**
 * One input format. Adding a format (OCSF, ECS, Suricata EVE, ...) means adding one file that
 * implements this and one entry in the auto-detection order in ../normalize.ts.
 */
export interface FormatAdapter {
  readonly name: string;
  /** Cheap check: does this object look like this format? Used by `--format auto`, per alert. */
  sniff(obj: JsonObject): boolean;
  /** Maps the object to a canonical alert; `rawLine` is the input line, for ids derived from it. */
  normalize(obj: JsonObject, rawLine: string): NormalizeResult;
}

/** The category of alerts whose input names none. */
export const DEFAULT_CATEGORY = 'other';
