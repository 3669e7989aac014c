import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { shardKeys } from '../../src/shard/shard-key.js';
import { hash32 } from '../../src/state/hash.js';

const normalize = createNormalizer({ format: 'canonical' });
const alert = (entities: Record<string, string>) =>
  normalize(JSON.stringify({ id: 'a1', time: '2026-11-16T00:00:00Z', source: 'edr', name: 'x', severity: 'low', entities }), 1);

describe('shard keys', () => {
  it('are the shardBy values of the canonical alert as a JSON array, hashed (MurmurHash3) to a partition', () => {
    const keys = shardKeys(['entities.tenant', 'entities.host'], 12);
    const key = keys.keyOf(alert({ tenant: 'acme', host: 'web-1' }));
    expect(key).toBe('["acme","web-1"]');
    expect(keys.partitionOf(key)).toBe(hash32(key) % 12);
  });

  it('put a missing field, and records that are not alerts, under null: one documented default shard', () => {
    const keys = shardKeys(['entities.tenant'], 12);
    expect(keys.keyOf(alert({ host: 'web-1' }))).toBe('[null]');
    expect(keys.keyOf(normalize('{not json', 1))).toBe('[null]');
    expect(keys.keyOf(undefined)).toBe('[null]');
  });

  it('spread tenants over the partitions and keep each in one', () => {
    const keys = shardKeys(['entities.tenant'], 12);
    const partitions = Array.from({ length: 200 }, (_, i) => keys.partitionOf(keys.keyOf(alert({ tenant: `t${i}` }))));
    expect(new Set(partitions).size).toBe(12);
    expect(keys.partitionOf(keys.keyOf(alert({ tenant: 't7' })))).toBe(partitions[7]);
  });
});
