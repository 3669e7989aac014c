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
    waitForLeaders: false,
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
  await untilServed(admin, missing);
  return missing;
}

/** What a broker answers about a partition it has not taken up yet (just created, or just restarted). */
const NOT_YET_SERVED = new Set(['LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER']);

/**
 * Waits until every partition of `topics` has a leader that serves it (answers for its offsets), so
 * producing or seeking right away works. kafkajs' `waitForLeaders` waits only while the metadata says
 * LEADER_NOT_AVAILABLE; a broker that has not applied the new topic yet (notably just after a restart)
 * answers "This server does not host this topic-partition", which kafkajs takes as a failure of the
 * creation. The broker's state is polled (every 100 ms): it tells no one when it is done.
 */
export async function untilServed(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const topic of topics) {
    for (;;) {
      let why: unknown;
      try {
        const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        const leaderless = metadata?.partitions.filter((p) => p.leader < 0 || p.partitionErrorCode !== 0) ?? [];
        // ListOffsets goes to each partition's leader: it answers once the leader holds the partition's log.
        if (metadata && metadata.partitions.length > 0 && leaderless.length === 0 && (await admin.fetchTopicOffsets(topic)).length === metadata.partitions.length) break;
        why = `partitions without a serving leader: ${leaderless.map((p) => p.partitionId).join(', ') || 'none listed yet'}`;
      } catch (err) {
        if (!notYetServed(err)) throw err;
        why = err;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} is not served after ${timeoutMs} ms: ${why instanceof Error ? why.message : String(why)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function notYetServed(err: unknown): boolean {
  const types = [err, (err as { cause?: unknown }).cause, ...((err as { errors?: unknown[] }).errors ?? [])].map((e) => (e as { type?: unknown } | undefined)?.type);
  return types.some((type) => typeof type === 'string' && NOT_YET_SERVED.has(type));
}
