import type { NormalizeResult } from '../normalize/index.js';
import { compileFieldPath, keyPart, type FieldReader } from '../rules/field-path.js';
import { hash32 } from '../state/hash.js';

/**
 * The shard of an alert (docs/kafka.md, "Sharded deciders"): the values of the `kafka.shardBy` fields
 * of its canonical alert, as a JSON array (`["acme"]`), hashed to a partition of the repartition topic.
 * A missing field (or a value that is not a string, number or boolean) is `null` in its place, so
 * alerts without a tenant share the shard `[null]`; so do records that are not an alert at all (their
 * shard's decider dead-letters them).
 */
export interface ShardKeys {
  /** The shard key of what normalizing one record gave. */
  keyOf(result: NormalizeResult | undefined): string;
  /** The repartition topic's partition of a shard key. */
  partitionOf(key: string): number;
}

export function shardKeys(shardBy: readonly string[], partitions: number): ShardKeys {
  const readers: FieldReader[] = shardBy.map((path) => compileFieldPath(path));
  const unrouted = JSON.stringify(shardBy.map(() => null));
  const keyOfAlert = (alert: Readonly<Record<string, unknown>>) => JSON.stringify(readers.map((read) => keyPart(read(alert)) ?? null));
  return {
    keyOf(result) {
      if (result === undefined || result.ok === false) return unrouted;
      if (result.ok === true) return keyOfAlert(result.alert);
      // A record of several alerts (an Alertmanager payload) goes whole to the shard of its first alert.
      const first = result.parts.find((part) => part.ok === true);
      return first?.ok === true ? keyOfAlert(first.alert) : unrouted;
    },
    partitionOf: (key) => hash32(key) % partitions,
  };
}
