import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openInput } from '../../src/source/input.js';
import { readLines } from '../../src/source/ndjson.js';

const dir = mkdtempSync(join(tmpdir(), 'alertgate-input-'));

describe('openInput', () => {
  it('reads stdin for -', () => {
    expect(openInput('-')).toBe(process.stdin);
  });

  it('streams a file', async () => {
    const file = join(dir, 'alerts.ndjson');
    writeFileSync(file, '{"a":1}\n{"b":2}\n');
    const lines = [];
    for await (const batch of readLines(openInput(file), { maxLineBytes: 1024 })) lines.push(...batch);
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, text: '{"b":2}' },
    ]);
  });

  it('fails at once, naming the path and the fix, for a missing file', () => {
    const missing = join(dir, 'nope.ndjson');
    expect(() => openInput(missing)).toThrow(`cannot read alerts from "${missing}": no such file; check the path, or pass - to read stdin`);
  });

  it('refuses a directory', () => {
    expect(() => openInput(dir)).toThrow(/is a directory; pass an NDJSON file, or - for stdin/);
  });
});
