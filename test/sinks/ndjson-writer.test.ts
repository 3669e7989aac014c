import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.js';
import { tempDir } from '../helpers.js';

describe('NdjsonWriter', () => {
  it('writes every line, in order, whatever their sizes and characters', async () => {
    // Lines around and beyond the writer's flush size, multi-byte characters and surrogate pairs among them.
    const line = fc.oneof(
      fc.string({ maxLength: 40, unit: 'grapheme' }),
      fc.string({ maxLength: 40, unit: 'binary' }),
      fc.nat({ max: 300_000 }).map((n) => 'é'.repeat(n >> 1) + 'x'.repeat(n & 1)),
      fc.nat({ max: 300_000 }).map((n) => '😀'.repeat(n >> 2)),
    );
    const dir = tempDir();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), async (lines) => {
        const file = join(dir, `out-${run++}.ndjson`);
        const writer = NdjsonWriter.open(file);
        for (const l of lines) writer.writeJson(JSON.stringify(l));
        await writer.close();
        const expected = lines.map((l) => JSON.stringify(l) + '\n').join('');
        expect(readFileSync(file, 'utf8')).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('counts what it holds and has not handed over (what backpressure reads)', async () => {
    const file = join(tempDir(), 'out.ndjson');
    const writer = NdjsonWriter.open(file);
    expect(writer.pendingBytes).toBe(0);
    writer.writeJson('"é"');
    expect(writer.pendingBytes).toBeGreaterThanOrEqual(4);
    await writer.close();
    expect(readFileSync(file, 'utf8')).toBe('"é"\n');
  });

  it('reports a target it cannot write, naming it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'taken'));
    const writer = NdjsonWriter.open(join(dir, 'taken'));
    writer.writeJson('{}');
    await expect(writer.close()).rejects.toThrow(/cannot write .*taken/);
  });
});
