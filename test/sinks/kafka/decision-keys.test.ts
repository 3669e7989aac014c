import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../../src/normalize/index.js';
import { BatchOutputs } from '../../../src/sinks/kafka/batch-outputs.js';

const normalize = createNormalizer({ format: 'canonical' });
const line = (id: string) => JSON.stringify({ id, time: '2026-11-20T10:00:00.000Z', source: 'suricata', name: 'ET SCAN', severity: 'high' });

/** The key bytes a decision goes to Kafka with (kafkajs writes a string key as UTF-8). */
function keyBytes(id: string): Buffer | undefined {
  const result = normalize(line(id), 1);
  if (result.ok !== true) return undefined;
  const outputs = new BatchOutputs({ decisions: 'd', incidents: 'i', deadLetters: 'dl' });
  outputs.decision('{}', result.alert.id);
  return Buffer.from(outputs.decisions[0]!.key as string, 'utf8');
}

/** Ids with lone surrogates anywhere, well-formed pairs and plain text. */
const idArb = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)), fc.constant('\ud83d\ude00')), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''))
  .filter((id) => id.length > 0 && id.length <= 512);

describe('decision keys on Kafka', () => {
  it('lone-\\ud800 and lone-\\udbff no longer share the key lone-\\ufffd: such ids are dead letters naming /id and the fix', () => {
    for (const [id, unit] of [['lone-\ud800', 'd800'], ['lone-\udbff', 'dbff']] as const) {
      expect(keyBytes(id), JSON.stringify(id)).toBeUndefined();
      expect(normalize(line(id), 1)).toEqual({
        ok: false,
        problem: 'schema',
        reason: `/id: an id must be well-formed Unicode, and this one has a lone UTF-16 surrogate (\\u${unit} at character 6), which UTF-8 and Kafka keys cannot carry: fix the encoding where the alert is produced, or leave the id out to have one derived from the line`,
      });
    }
    expect(keyBytes('pair-\ud83d\ude00')?.toString('utf8')).toBe('pair-\ud83d\ude00');
  });

  it('property: every id the schema accepts is its key byte for byte, so distinct ids have distinct keys', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const [ka, kb] = [keyBytes(a), keyBytes(b)];
        for (const [id, key] of [[a, ka], [b, kb]] as const) {
          if (key === undefined) expect(id.isWellFormed()).toBe(false);
          else expect(key.toString('utf8')).toBe(id);
        }
        if (ka !== undefined && kb !== undefined && a !== b) expect(ka.equals(kb)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
