import { z } from 'zod';
import { NORMALIZE_PROBLEMS } from '../normalize/index.js';

/** Bytes of the offending input kept in a dead letter: enough to find and fix it, never the whole line. */
export const DEAD_LETTER_RAW_CHARS = 1024;

/** An input that could not become an alert. docs/outputs.md documents it. */
export const DeadLetterRecord = z.object({
  /** 1-based line number in the input. */
  line: z.number().int().positive(),
  /** What was wrong and where: `/time: unparseable timestamp "yesterday"`. */
  reason: z.string(),
  /** The start of the input, truncated to DEAD_LETTER_RAW_CHARS characters. */
  raw: z.string(),
  truncated: z.boolean(),
  /** The HTTP ingest request the line came in (POST /ingest answers it as `request`); absent for the input file. `line` then counts in the request's body. */
  request: z.string().optional(),
});
export type DeadLetterRecord = z.infer<typeof DeadLetterRecord>;

/**
 * Why an input became a dead letter, as a small fixed set for counting (metrics labels); the record's
 * `reason` says it in full, with values from the input. The normalizer's problems, a line over the
 * limit, an event time too far ahead of the stream (eventTime.onFutureDated: dead-letter), and what the
 * Kafka worker rejects before the pipeline (no value, empty, not UTF-8).
 */
export const DEAD_LETTER_REASONS = [...NORMALIZE_PROBLEMS, 'oversized', 'future_dated', 'no_value', 'empty', 'not_utf8'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export function deadLetter(line: number, reason: string, text: string): DeadLetterRecord {
  const truncated = text.length > DEAD_LETTER_RAW_CHARS;
  return { line, reason, raw: truncated ? text.slice(0, DEAD_LETTER_RAW_CHARS) : text, truncated };
}

/** The reason of a line over the input's byte limit (it is never read into memory: only its head is kept). */
export function oversizedReason(bytes: number, maxLineBytes: number): string {
  return `line is ${bytes} bytes, over the ${maxLineBytes}-byte limit; split the record or raise the limit (replay, normalize: --max-line-bytes; run: input.maxLineBytes)`;
}
