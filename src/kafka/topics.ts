import type { Admin } from 'kafkajs';

export interface TopicPlan {
  /** Topics that must exist (inputs and outputs). */
  readonly topics: readonly string[];
  /** Create the missing ones (else they are an error). */
  readonly create: boolean;
  /** -1: the broker's default (num.partitions / default.replication.factor). */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topics created with settings of their own (the state topic: one partition, its retention). */
  readonly special?: ReadonlyMap<string, { partitions: number; configEntries: { name: string; value: string }[] }>;
}

/** Topics are missing and creating them is off: the worker cannot start. */
export class MissingTopicsError extends Error {
  override name = 'MissingTopicsError';
}

/**
 * Checks at start that every topic the worker reads or writes exists, creating the missing ones when
 * asked. Without this, a missing output topic would only show as failing sends after the first batch.
 * Returns the topics it created.
 */
export async function ensureTopics(admin: Admin, plan: TopicPlan): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(plan.topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  if (!plan.create) {
    throw new MissingTopicsError(
      `Kafka topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `"${t}"`).join(', ')} do${missing.length > 1 ? '' : 'es'} not exist; ` +
        'create them, or set kafka.createTopics.enabled: true to have the worker create them',
    );
  }
  // false when another worker created them first: they exist either way.
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => {
      const special = plan.special?.get(topic);
      return {
        topic,
        numPartitions: special?.partitions ?? plan.partitions,
        replicationFactor: plan.replicationFactor,
        ...(special ? { configEntries: special.configEntries } : {}),
      };
    }),
  });
  return missing;
}
