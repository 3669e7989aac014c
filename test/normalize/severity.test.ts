import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../src/normalize/alert.js';
import { parseSeverity, severityFromScore, unknownSeverityMessage } from '../../src/normalize/severity.js';

describe('parseSeverity', () => {
  it.each([
    ['info', 'info'],
    ['Informational', 'info'],
    ['debug', 'info'],
    ['low', 'low'],
    ['notice', 'low'],
    ['MEDIUM', 'medium'],
    ['moderate', 'medium'],
    ['Warning', 'medium'],
    ['high', 'high'],
    ['error', 'high'],
    ['critical', 'critical'],
    ['CRIT', 'critical'],
    ['emergency', 'critical'],
    ['  High ', 'high'],
  ])('reads the word %s as %s', (word, severity) => {
    expect(parseSeverity(word)).toBe(severity);
  });

  it.each([
    [0, 'info'],
    [0.9, 'info'],
    [1, 'low'],
    [3.9, 'low'],
    [4, 'medium'],
    [6.9, 'medium'],
    [7, 'high'],
    [8.9, 'high'],
    [9, 'critical'],
    [10, 'critical'],
    ['7.5', 'high'],
    [' 2 ', 'low'],
  ])('reads the score %s on the 0–10 scale as %s', (score, severity) => {
    expect(parseSeverity(score)).toBe(severity);
  });

  it.each([['urgent'], [''], ['-1'], [-0.5], [10.1], [Number.NaN], [true], [null], [undefined], [{ level: 'high' }], [['high']]])(
    'does not recognize %s',
    (value) => {
      expect(parseSeverity(value)).toBeUndefined();
    },
  );

  it('reads every canonical severity as itself', () => {
    for (const severity of SEVERITIES) expect(parseSeverity(severity)).toBe(severity);
  });

  it('orders scores like the severities they map to', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 10, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(SEVERITIES.indexOf(severityFromScore(low)!)).toBeLessThanOrEqual(SEVERITIES.indexOf(severityFromScore(high)!));
      }),
    );
  });
});

describe('unknownSeverityMessage', () => {
  it('names the value and every way to fix it', () => {
    const message = unknownSeverityMessage('urgent');
    expect(message).toContain('unrecognized severity "urgent"');
    expect(message).toContain('a number from 0 to 10');
    expect(message).toContain('severity.map');
  });
});
