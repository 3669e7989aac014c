import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/state/index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '1.5h', '-1s', '10 m', '10M', '1w', ' 1s', '1s '])('rejects %j and says what is expected', (text) => {
    expect(() => parseDuration(text)).toThrow(/invalid duration .*whole number followed by ms, s, m, h or d/);
  });

  it('rejects durations too large to count in ms', () => {
    expect(() => parseDuration('99999999999999999d')).toThrow(/too large/);
  });

  it('with a maximum: refuses anything longer, naming the maximum (also what is too large to count)', () => {
    expect(parseDuration('400d', '400d')).toBe(400 * 86_400_000);
    expect(() => parseDuration('401d', '400d')).toThrow('invalid duration "401d": longer than the maximum of 400d');
    expect(() => parseDuration('99999999999999999d', '400d')).toThrow('invalid duration "99999999999999999d": longer than the maximum of 400d');
  });
});
