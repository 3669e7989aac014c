import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, OVERSIZED_HEAD_BYTES, readLines, type InputLine } from '../../src/source/ndjson.js';
import { referenceLines } from './reference-lines.js';

async function* chunksOf(chunks: readonly (Buffer | string)[]): AsyncGenerator<Buffer> {
  // Strings stand in for a stream with setEncoding(); readLines accepts both.
  for (const chunk of chunks) yield chunk as Buffer;
}

async function batches(chunks: readonly (Buffer | string)[], maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<InputLine[][]> {
  const out: InputLine[][] = [];
  for await (const batch of readLines(chunksOf(chunks), { maxLineBytes })) out.push(batch);
  return out;
}

async function lines(chunks: readonly (Buffer | string)[], maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<InputLine[]> {
  return (await batches(chunks, maxLineBytes)).flat();
}

/** Cuts `input` at the given offsets (any order, duplicates give empty chunks). */
function cut(input: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...offsets.map((o) => o % (input.length + 1))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(input.subarray(from, p));
    from = p;
  }
  chunks.push(input.subarray(from));
  return chunks;
}

describe('readLines', () => {
  it('numbers lines from 1 and skips blank lines without renumbering', async () => {
    expect(await lines(['{"a":1}\n\n   \n{"b":2}\n'])).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 4, text: '{"b":2}' },
    ]);
  });

  it('strips the \\r of CRLF line breaks', async () => {
    expect(await lines(['a\r\nb\r\n\r\nc'])).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'b' },
      { line: 4, text: 'c' },
    ]);
  });

  it('reads a last line that has no newline', async () => {
    expect(await lines(['a\nlast'])).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'last' },
    ]);
  });

  it('joins a line split across chunks, including a CRLF split between them', async () => {
    expect(await lines(['{"na', 'me":', '"x"}\r', '\nnext\n'])).toEqual([
      { line: 1, text: '{"name":"x"}' },
      { line: 2, text: 'next' },
    ]);
  });

  it('yields one batch per chunk that completes lines, and none for a chunk that completes none', async () => {
    const result = await batches(['a\nb\nc', 'c-continued', 'd\n']);
    expect(result.map((b) => b.map((l) => l.line))).toEqual([[1, 2], [3]]);
  });

  it('keeps a multi-byte character split across chunks intact', async () => {
    const bytes = Buffer.from('{"user":"jürgen"}\n');
    const split = bytes.indexOf(0xc3) + 1;
    expect(await lines([bytes.subarray(0, split), bytes.subarray(split)])).toEqual([{ line: 1, text: '{"user":"jürgen"}' }]);
  });

  it('decodes invalid UTF-8 as U+FFFD instead of failing', async () => {
    expect(await lines([Buffer.from([0x7b, 0xff, 0x7d, 0x0a])])).toEqual([{ line: 1, text: '{\uFFFD}' }]);
  });

  it('drops a byte order mark at the start of the input only', async () => {
    expect(await lines(['\uFEFF{"a":1}\n\uFEFF{"b":2}\n'])).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '\uFEFF{"b":2}' },
    ]);
  });

  it('reports a line over the limit as oversized, with its size and head, and goes on counting', async () => {
    const long = 'x'.repeat(1000);
    expect(await lines([`${long}\nok\n`], 100)).toEqual([
      { line: 1, oversized: true, bytes: 1000, head: 'x'.repeat(OVERSIZED_HEAD_BYTES) },
      { line: 2, text: 'ok' },
    ]);
  });

  it('detects an oversized line that arrives in many small chunks', async () => {
    const long = Buffer.from(`${'y'.repeat(5000)}\r\nok`);
    const chunks = cut(long, Array.from({ length: 100 }, (_, i) => i * 53));
    expect(await lines(chunks, 64)).toEqual([
      { line: 1, oversized: true, bytes: 5000, head: 'y'.repeat(OVERSIZED_HEAD_BYTES) },
      { line: 2, text: 'ok' },
    ]);
  });

  it('does not hold on to an oversized line: memory stays flat while a 256 MiB line streams past', async () => {
    const MiB = 1024 * 1024;
    async function* hugeLine(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 256; i++) yield Buffer.alloc(MiB, 0x78); // a fresh chunk each time, as a stream gives
      yield Buffer.from('\n{"after":true}\n');
    }
    // Measured after a full collection, so the bound is on what the reader retains, not on GC timing.
    const collect = globalThis.gc as () => void;
    collect();
    const before = process.memoryUsage().arrayBuffers;
    const result: InputLine[] = [];
    for await (const batch of readLines(hugeLine(), { maxLineBytes: MiB })) result.push(...batch);
    collect();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MiB);
    expect(result).toEqual([
      { line: 1, oversized: true, bytes: 256 * MiB, head: 'x'.repeat(OVERSIZED_HEAD_BYTES) },
      { line: 2, text: '{"after":true}' },
    ]);
  });

  it('accepts a line of exactly the limit, with or without CR, and rejects one byte more', async () => {
    for (const chunks of [['12345\n12345\r\n123456\n'], ['123', '45\n1234', '5\r', '\n1234', '56\n']]) {
      expect(await lines(chunks, 5)).toEqual([
        { line: 1, text: '12345' },
        { line: 2, text: '12345' },
        { line: 3, oversized: true, bytes: 6, head: '123456' },
      ]);
    }
  });

  it('reads a Node stream', async () => {
    const stream = Readable.from([Buffer.from('{"a":1}\n{"b"'), Buffer.from(':2}\n')]);
    const result: InputLine[] = [];
    for await (const batch of readLines(stream, { maxLineBytes: 100 })) result.push(...batch);
    expect(result).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
    ]);
  });

  it('reads nothing from empty input', async () => {
    expect(await batches([])).toEqual([]);
    expect(await batches([Buffer.alloc(0), '\n\n'])).toEqual([]);
  });

  describe('properties', () => {
    /** Bytes rich in the ones that matter: newlines, CRs, blanks, multi-byte starts, a BOM. */
    const inputBytes = fc
      .array(
        fc.oneof(
          fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '\uFEFF', 'é', '€', '😀', '{"a":1}').map((s) => Buffer.from(s)),
          fc.string({ maxLength: 12 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
        ),
        { maxLength: 40 },
      )
      .map((parts) => Buffer.concat(parts));

    it('gives the same lines, numbers and oversize verdicts however the input is chunked', async () => {
      await fc.assert(
        fc.asyncProperty(
          inputBytes,
          fc.array(fc.nat(), { maxLength: 20 }),
          fc.oneof(fc.integer({ min: 1, max: 24 }), fc.constant(DEFAULT_MAX_LINE_BYTES)),
          async (input, offsets, maxLineBytes) => {
            expect(await lines(cut(input, offsets), maxLineBytes)).toEqual(referenceLines(input, maxLineBytes));
          },
        ),
        { numRuns: 500 },
      );
    });

    it('yields every line number at most once, in increasing order', async () => {
      await fc.assert(
        fc.asyncProperty(inputBytes, fc.array(fc.nat(), { maxLength: 10 }), async (input, offsets) => {
          const numbers = (await lines(cut(input, offsets), 8)).map((l) => l.line);
          expect(numbers).toEqual([...new Set(numbers)].sort((a, b) => a - b));
        }),
      );
    });
  });
});
