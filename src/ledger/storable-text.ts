import { z } from 'zod';

/** A UTF-16 surrogate without its other half: not Unicode text (UTF-8 has no encoding for it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text from outside that the ledger stores or looks up (verdicts, notes, assignees, ids) must be text
 * PostgreSQL can hold: no NUL (U+0000: text and jsonb refuse it, the insert fails) and no lone
 * surrogate (it would be stored altered, as U+FFFD). Rejected at the schema, naming the field, rather
 * than altered: a verdict's reason is evidence, and the SQLite and PostgreSQL ledgers must agree.
 */
export function storable(schema: z.ZodString): z.ZodString {
  return schema
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL (\\u0000): the ledger cannot store it')
    .refine((text) => !LONE_SURROGATE.test(text), 'must not contain a lone UTF-16 surrogate (\\ud800-\\udfff without its pair): not Unicode text');
}

/** Any storable text. */
export const StorableText = storable(z.string());

/**
 * Whether the ledger refused a write for what it was given (PostgreSQL SQLSTATE class 22, data
 * exception, e.g. 22P05 untranslatable character, or 23, integrity constraint; SQLite's constraint and
 * mismatch errors), as opposed to being unreachable or busy: writing it again cannot succeed.
 */
export function refusedAsData(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return false;
  return /^2[23][0-9A-Z]{3}$/.test(code) || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}
