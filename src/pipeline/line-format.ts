import { createNormalizer, InputFormat, type Normalizer } from '../normalize/index.js';

/** The message header naming the format of a Kafka input message's value (POST /ingest of a named-format route sets it). */
export const FORMAT_HEADER = 'alertgate-format';

/**
 * The normalizer of lines whose source names their format (TextLine.format): an ingest route for one
 * detector's payload, a Kafka message's `alertgate-format` header. A name that is no format, or one
 * that needs a mapping, gives a normalizer that makes every such line a dead letter saying so.
 */
export function normalizerNamed(format: string): Normalizer {
  const known = NAMED.get(format);
  if (known !== undefined) return known;
  const named = InputFormat.safeParse(format);
  let reason: string;
  if (!named.success) reason = `the line's source names format "${format}", which is none of ${InputFormat.options.join(', ')}`;
  else {
    try {
      const normalize = createNormalizer({ format: named.data });
      // Kept per format name, a fixed set (a header's arbitrary text is never kept).
      NAMED.set(format, normalize);
      return normalize;
    } catch (err) {
      reason = `the line's source names format "${format}": ${(err as Error).message}`;
    }
  }
  return () => ({ ok: false, problem: 'unknown_format', reason });
}

const NAMED = new Map<string, Normalizer>();
