import type { z } from 'zod';
import { Mapping } from '../mapping.js';
import type { FormatName, JsonObject } from './adapter.js';
import { compileMapping, type MappingReader } from './generic.js';

/** A mapping as written (before defaults): how built-in formats spell theirs. */
export type MappingInput = z.input<typeof Mapping>;

/**
 * A built-in format's mapping, checked by the same schema as users' mapping files and compiled the
 * first time an alert of the format comes: checking all eight when the module loaded was a twentieth of
 * `replay`'s startup, for streams that are mostly canonical. test/normalize/formats.test.ts parses
 * every built-in mapping, so a mistake in one still fails the tests at once.
 */
export function builtinReader(format: FormatName, input: MappingInput): () => MappingReader {
  let reader: MappingReader | undefined;
  return () => (reader ??= compileMapping(format, builtinMapping(format, input)));
}

function builtinMapping(format: string, input: MappingInput): Mapping {
  const parsed = Mapping.safeParse(input);
  if (!parsed.success) throw new Error(`the built-in ${format} mapping is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** A plain object (not null, not an array): what sniffers test nested fields with. */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
