import * as crypto from 'node:crypto';

/** 32 hex characters = 128 bits: collisions are out of reach, ids stay short. */
const ID_HEX_CHARS = 32;

/** One-shot crypto.hash (Node 20.12+) is about twice as fast as createHash; earlier Node 20 releases lack it. */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * The id of an alert that has none: a hash of its raw input line, so reprocessing the same input
 * yields the same ids (dedup, replay and tests depend on this; never random).
 */
export function deterministicId(rawLine: string): string {
  return 'h-' + sha256Hex(rawLine).slice(0, ID_HEX_CHARS);
}
