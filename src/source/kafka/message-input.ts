import { isUtf8 } from 'node:buffer';
import { OVERSIZED_HEAD_BYTES, type InputLine } from '../ndjson.js';

/**
 * One Kafka message value → the pipeline's input: the message is one NDJSON line (one alert). What
 * cannot even be text is rejected here, with a reason, and becomes a dead letter without reaching
 * the pipeline.
 */

/** A message that is not an alert's text at all: no value, empty, or not UTF-8. */
export interface RejectedMessage {
  readonly rejected: true;
  /** The reason as a class, for counting (metrics labels). */
  readonly problem: 'no_value' | 'empty' | 'not_utf8';
  readonly reason: string;
  /** The value as text (invalid UTF-8 sequences as U+FFFD), for the dead letter. */
  readonly text: string;
}

const BYTE_ORDER_MARK = 0xfeff;

/**
 * `line` numbers the inputs of one batch for the pipeline (1-based); the caller maps it back to the
 * message's offset. Longer values than `maxLineBytes` are passed on as oversized, only their head decoded.
 * `format`: the message's `alertgate-format` header, when it names the value's format.
 */
export function messageInput(value: Buffer | null, line: number, maxLineBytes: number, format?: string): InputLine | RejectedMessage {
  if (value === null) return { rejected: true, problem: 'no_value', reason: 'message has no value (a tombstone); expected one alert as JSON', text: '' };
  if (value.length > maxLineBytes) {
    return { line, oversized: true, bytes: value.length, head: value.toString('utf8', 0, Math.min(value.length, OVERSIZED_HEAD_BYTES)) };
  }
  if (!isUtf8(value)) {
    return {
      rejected: true,
      problem: 'not_utf8',
      reason: `message is not UTF-8 text (invalid byte sequence at byte ${firstInvalidUtf8Byte(value)}); expected one alert as JSON`,
      text: value.toString('utf8'),
    };
  }
  let text = value.toString('utf8');
  // A producer that writes files' first lines as they are may send a byte order mark, which JSON.parse rejects.
  if (text.charCodeAt(0) === BYTE_ORDER_MARK) text = text.slice(1);
  if (text.trim() === '') return { rejected: true, problem: 'empty', reason: 'message is empty; expected one alert as JSON', text };
  return format === undefined ? { line, text } : { line, text, format };
}

/** Offset of the first byte that starts no valid UTF-8 sequence (only called on invalid input). */
function firstInvalidUtf8Byte(value: Buffer): number {
  let i = 0;
  while (i < value.length) {
    const b = value[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > value.length || !isUtf8(value.subarray(i, i + length))) return i;
    i += length;
  }
  return i;
}
