import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from '../../kafka/kafkajs.js';

/** The assigner's protocol name: every member of a sharded group must use it. */
export const SHARD_ASSIGNER = 'AlertgateShards';

/**
 * The partitions of the repartition topic spread over the members, sticky and balanced: each member
 * keeps the partitions it decides now (at most ceil(n / members) of them), the rest go one by one to
 * the member with the fewest (ties: the smaller member id). A pure function of its input, so every
 * leader computes the same assignment.
 */
export function assignShards(members: readonly { memberId: string; owned: readonly number[] }[], partitions: readonly number[]): Map<string, number[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const assigned = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return assigned;
  const cap = Math.ceil(partitions.length / sorted.length);
  const free = new Set(partitions);
  for (const { memberId, owned } of sorted) {
    const mine = assigned.get(memberId)!;
    for (const p of [...owned].sort((a, b) => a - b)) {
      if (mine.length >= cap || !free.has(p)) continue;
      free.delete(p);
      mine.push(p);
    }
  }
  for (const p of [...free].sort((a, b) => a - b)) {
    let least = sorted[0]!.memberId;
    for (const { memberId } of sorted) if (assigned.get(memberId)!.length < assigned.get(least)!.length) least = memberId;
    assigned.get(least)!.push(p);
  }
  for (const list of assigned.values()) list.sort((a, b) => a - b);
  return assigned;
}

/**
 * A kafkajs partition assigner for sharded deciders (docs/kafka.md, "Sharded deciders"): partition p
 * of the repartition topic and partition p of the state topic go to the same member, which decides
 * shard p with its own state. Members say in their metadata which shards they decide now
 * (`owned()`), so a member joining or leaving moves only the shards it must.
 */
export function shardAssigner(topics: { repartition: string; state: string }, owned: () => readonly number[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: SHARD_ASSIGNER,
    version: 0,

    async assign({ members }) {
      const partitionsOf = (topic: string) => new Set(cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId));
      const shards = [...partitionsOf(topics.repartition)];
      const statePartitions = partitionsOf(topics.state);
      const assigned = assignShards(
        members.map((m) => ({ memberId: m.memberId, owned: ownedShards(m.memberMetadata) })),
        shards,
      );
      return members.map(({ memberId }) => {
        const mine = assigned.get(memberId) ?? [];
        const assignment = mine.length === 0 ? {} : { [topics.repartition]: mine, [topics.state]: mine.filter((p) => statePartitions.has(p)) };
        return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
      });
    },

    protocol({ topics: subscribed }) {
      return {
        name: SHARD_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics: subscribed, userData: Buffer.from(JSON.stringify({ owned: [...owned()] })) }),
      };
    },
  });
}

function ownedShards(metadata: Buffer): number[] {
  const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
  if (!decoded || decoded.userData.length === 0) return [];
  try {
    const owned = (JSON.parse(decoded.userData.toString('utf8')) as { owned?: unknown }).owned;
    return Array.isArray(owned) ? owned.filter((p): p is number => Number.isInteger(p)) : [];
  } catch {
    return [];
  }
}
