import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readRawLines } from '../../src/source/raw-lines.js';

async function lines(...chunks: (string | Buffer)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readRawLines(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))))) {
    out.push(...batch.map((b) => b.toString('latin1')));
  }
  return out;
}

describe('raw NDJSON lines (alertgate produce)', () => {
  it('splits on LF, drops a CR before it and blank lines, keeps a last line without newline', async () => {
    expect(await lines('a\r\n\n  \t\nb\nc')).toEqual(['a', 'b', 'c']);
  });

  it('joins a line split across chunks', async () => {
    expect(await lines('{"id":', '"x"}\n{"id"', ':"y"}')).toEqual(['{"id":"x"}', '{"id":"y"}']);
  });

  it('keeps bytes as they are (no UTF-8 decoding) but drops a byte order mark at the start', async () => {
    expect(await lines(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0x0a, 0xff, 0xfe, 0x0a]))).toEqual(['a', '\xff\xfe']);
  });
});
