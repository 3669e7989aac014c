import { OVERSIZED_HEAD_BYTES, readLines, type InputLine } from '../source/index.js';

/**
 * A request body → input lines. NDJSON is split exactly as an input file is (docs/formats.md): lines
 * numbered as in the body, blank ones skipped, CRLF read as LF, a line over maxLineBytes kept only
 * as its size and head (a dead letter). A JSON body is one alert (an object) or an array of them,
 * each element one line.
 */

/** The media types POST /ingest reads as NDJSON. */
export const NDJSON_MEDIA_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'text/plain'] as const;
export const JSON_MEDIA_TYPE = 'application/json';

/** Why a body has no lines to take: answered 400. */
export class BodyError extends Error {
  override name = 'BodyError';
}

export async function linesOfBody(body: Buffer, mediaType: string, maxLineBytes: number): Promise<InputLine[]> {
  const lines = mediaType === JSON_MEDIA_TYPE ? jsonLines(body, maxLineBytes) : await ndjsonLines(body, maxLineBytes);
  if (lines.length === 0) throw new BodyError('the body holds no alerts: send one JSON object per line (NDJSON), or a JSON array of them');
  return lines;
}

async function ndjsonLines(body: Buffer, maxLineBytes: number): Promise<InputLine[]> {
  const lines: InputLine[] = [];
  const chunks = (async function* () {
    yield body;
  })();
  for await (const batch of readLines(chunks, { maxLineBytes })) lines.push(...batch);
  return lines;
}

function jsonLines(body: Buffer, maxLineBytes: number): InputLine[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new BodyError(`body: invalid JSON: ${(err as Error).message}; send an array of alerts, or NDJSON as application/x-ndjson`);
  }
  const elements = Array.isArray(value) ? value : [value];
  return elements.map((element, i): InputLine => {
    const text = JSON.stringify(element) ?? 'null';
    const bytes = Buffer.byteLength(text);
    return bytes > maxLineBytes ? { line: i + 1, oversized: true, bytes, head: text.slice(0, OVERSIZED_HEAD_BYTES) } : { line: i + 1, text };
  });
}
