import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deterministicId } from '../../src/normalize/id.js';

describe('deterministicId', () => {
  const line = '{"time":"2026-11-20T10:00:00Z","name":"x"}';

  it('is h- and the first 32 hex characters of the line’s SHA-256', () => {
    const sha = createHash('sha256').update(line).digest('hex');
    expect(deterministicId(line)).toBe(`h-${sha.slice(0, 32)}`);
    expect(deterministicId(line)).toMatch(/^h-[0-9a-f]{32}$/);
  });

  it('is the same for the same line and differs for another', () => {
    expect(deterministicId(line)).toBe(deterministicId(line));
    expect(deterministicId(line)).not.toBe(deterministicId(`${line} `));
  });
});
