import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalAlert } from '../../src/normalize/alert.js';
import { loadMapping } from '../../src/normalize/mapping.js';
import { createNormalizer, type Normalizer } from '../../src/normalize/normalize.js';
import { NORMALIZE_PROBLEMS, type AlertResult } from '../../src/normalize/formats/adapter.js';
import { readLines, type InputLine } from '../../src/source/ndjson.js';
import { referenceLines } from '../source/reference-lines.js';

/**
 * End-to-end properties of the source and normalize stages: whatever the bytes, reading never
 * throws, and every non-blank input line yields exactly one result (an alert or a reason).
 */

const normalizers: Record<string, Normalizer> = {
  auto: createNormalizer({ format: 'auto' }),
  canonical: createNormalizer({ format: 'canonical' }),
  autoWithMapping: createNormalizer({ format: 'auto', mapping: await loadMapping('fixtures/mappings/suricata-eve.yaml') }),
  generic: createNormalizer({ format: 'generic', mapping: await loadMapping('fixtures/mappings/wazuh-alerts.yaml') }),
};

const MAX_LINE_BYTES = 200;

/** The normalizer's verdict, or the reader's for an oversized line. */
type LineResult = AlertResult | { readonly ok: false; readonly reason: 'oversized' };

/** One result per line: a reason for an oversized one, the normalizer's verdict for the rest. */
async function resultsOf(chunks: readonly Buffer[], normalize: Normalizer): Promise<{ line: InputLine; result: LineResult }[]> {
  async function* source(): AsyncGenerator<Buffer> {
    yield* chunks;
  }
  const out: { line: InputLine; result: LineResult }[] = [];
  for await (const batch of readLines(source(), { maxLineBytes: MAX_LINE_BYTES })) {
    for (const line of batch) {
      const result = 'oversized' in line ? ({ ok: false, reason: 'oversized' } as const) : normalize(line.text, line.line);
      // These normalizers read canonical and generic records: one alert each.
      if (result.ok === 'split') throw new Error(`line ${line.line} was split into ${result.parts.length} alerts`);
      out.push({ line, result });
    }
  }
  return out;
}

function chunked(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= bytes.length) break;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  if (at < bytes.length) chunks.push(bytes.subarray(at));
  return chunks;
}

/** The numbers of the lines that should give a result: not blank, or over the limit. */
function expectedLineNumbers(input: Buffer): number[] {
  return referenceLines(input, MAX_LINE_BYTES).map((l) => l.line);
}

function expectWellFormed(result: LineResult): void {
  if (result.ok) {
    expect(['canonical', 'generic']).toContain(result.format);
    expect(CanonicalAlert.safeParse(result.alert).success).toBe(true);
    expect(Date.parse(result.alert.time)).toBe(result.timeMs);
    expect(result.alert.time).toBe(new Date(result.timeMs).toISOString());
  } else {
    expect(result.reason.length).toBeGreaterThan(0);
    if ('problem' in result) expect(NORMALIZE_PROBLEMS).toContain(result.problem);
  }
}

/** Values near the canonical shape, so the adapters' deeper paths run, not only "not an object". */
const nearCanonical = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    time: fc.oneof(
      fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.integer({ min: -1e3, max: 1e16 }),
      fc.string(),
      fc.jsonValue(),
    ),
    source: fc.oneof(fc.string(), fc.jsonValue()),
    name: fc.oneof(fc.string(), fc.jsonValue()),
    severity: fc.oneof(fc.constantFrom('high', 'Warning', 'crit', 'nope'), fc.double(), fc.jsonValue()),
    category: fc.oneof(fc.string(), fc.constant(null)),
    entities: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue())), fc.jsonValue()),
    tags: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

/** Objects shaped a little like the example mappings' inputs. */
const nearMapped = fc.record(
  {
    timestamp: fc.oneof(fc.constant('2026-11-20T10:00:00.123+0000'), fc.integer(), fc.string(), fc.jsonValue()),
    id: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
    alert: fc.record({ signature: fc.jsonValue(), severity: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.jsonValue()) }, { requiredKeys: [] }),
    rule: fc.record(
      { level: fc.oneof(fc.integer({ min: -1, max: 16 }), fc.jsonValue()), description: fc.oneof(fc.string(), fc.jsonValue()), groups: fc.jsonValue() },
      { requiredKeys: [] },
    ),
    src_ip: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const lineText = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  nearCanonical.map((v) => JSON.stringify(v)),
  nearMapped.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom('', '   ', '\r', '\uFEFF', '{', 'x'.repeat(MAX_LINE_BYTES + 1), ' '.repeat(MAX_LINE_BYTES + 1)),
);

describe('source + normalize properties', () => {
  it('random bytes never throw, and each non-blank line gives one result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        fc.array(fc.integer({ min: 1, max: 300 })),
        fc.constantFrom(...Object.keys(normalizers)),
        async (bytes, sizes, which) => {
          const results = await resultsOf(chunked(bytes, sizes), normalizers[which]!);
          expect(results.map((r) => r.line.line)).toEqual(expectedLineNumbers(bytes));
          for (const { result } of results) expectWellFormed(result);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random JSON lines never throw, and each line keeps its number and gets one well-formed result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineText, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 120 })),
        fc.constantFrom(...Object.keys(normalizers)),
        async (lines, sizes, which) => {
          const text = lines.join('\n');
          const results = await resultsOf(chunked(Buffer.from(text), sizes), normalizers[which]!);
          expect(results.map((r) => r.line.line)).toEqual(expectedLineNumbers(Buffer.from(text)));
          for (const { line, result } of results) {
            expectWellFormed(result);
            // The line a result belongs to is the line that was written there.
            if (!('oversized' in line)) {
              const written = lines[line.line - 1]!.replace(/\r$/, '');
              expect(line.text).toBe(line.line === 1 ? written.replace(/^\uFEFF/, '') : written);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('valid canonical alerts are read back to the same alert', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 40 }),
          time: fc.date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
          source: fc.string({ minLength: 1 }),
          name: fc.string({ minLength: 1 }),
          severity: fc.constantFrom('info', 'low', 'medium', 'high', 'critical'),
          category: fc.string(),
          entities: fc.dictionary(fc.string(), fc.string()),
          tags: fc.array(fc.string()),
        }),
        (input) => {
          const result = normalizers.canonical!(JSON.stringify(input), 1);
          expect(result.ok === true && result.alert).toEqual({ ...input, severityOriginal: input.severity, raw: JSON.parse(JSON.stringify(input)) });
        },
      ),
    );
  });
});
