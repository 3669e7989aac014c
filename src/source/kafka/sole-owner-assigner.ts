import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from '../../kafka/kafkajs.js';

/** The assigner's protocol name: every member of the group must use it. */
export const SOLE_OWNER_ASSIGNER = 'AlertgateSoleOwner';

/**
 * A kafkajs partition assigner that gives every partition of every subscribed topic to one member
 * of the group, the decider; the others wait as hot standbys. One decider sees the whole stream, so
 * windows and incidents count every alert of a group key whatever partition it came on (docs/kafka.md,
 * "Scale-out"). Sticky: the member that owns the partitions says so in its metadata and keeps them
 * when a worker joins or leaves, so a new standby never moves the state; when the owner is gone, the
 * member with the smallest id takes over (and recovers the state from the state topic).
 */
export function soleOwnerAssigner(isOwner: () => boolean): PartitionAssigner {
  return ({ cluster }) => ({
    name: SOLE_OWNER_ASSIGNER,
    version: 0,

    async assign({ members, topics }) {
      const claims = members.filter((m) => ownsPartitions(m.memberMetadata)).map((m) => m.memberId);
      const candidates = (claims.length > 0 ? claims : members.map((m) => m.memberId)).sort();
      const owner = candidates[0];
      const all: Record<string, number[]> = {};
      for (const topic of topics) {
        all[topic] = cluster
          .findTopicPartitionMetadata(topic)
          .map((p) => p.partitionId)
          .sort((a, b) => a - b);
      }
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: memberId === owner ? all : {}, userData: Buffer.alloc(0) }),
      }));
    },

    protocol({ topics }) {
      return {
        name: SOLE_OWNER_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(JSON.stringify({ owner: isOwner() })) }),
      };
    },
  });
}

function ownsPartitions(metadata: Buffer): boolean {
  const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
  if (!decoded || decoded.userData.length === 0) return false;
  try {
    return (JSON.parse(decoded.userData.toString('utf8')) as { owner?: unknown }).owner === true;
  } catch {
    return false;
  }
}
