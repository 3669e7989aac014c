import type { z } from 'zod';
import { Mapping } from '../mapping.js';
import type { JsonObject } from './adapter.js';

/** A mapping as written (before defaults): how built-in formats spell theirs. */
export type MappingInput = z.input<typeof Mapping>;

/**
 * A built-in format's mapping, checked by the same schema as users' mapping files when the module
 * loads: a mistake in one fails every test at once, not one alert at a time.
 */
export function builtinMapping(format: string, input: MappingInput): Mapping {
  const parsed = Mapping.safeParse(input);
  if (!parsed.success) throw new Error(`the built-in ${format} mapping is invalid: ${parsed.error.message}`);
  return parsed.data;
}

/** A plain object (not null, not an array): what sniffers test nested fields with. */
export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
