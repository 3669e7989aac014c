import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { SourceMessage } from '../source/kafka/merged-partitions.js';
import type { Decider, DeciderStats } from './decider.js';

/** A shard's decider and the pipeline it decides with. */
export interface Shard {
  readonly decider: Decider;
  readonly pipeline: Pipeline;
}

export interface ShardedDecidersOptions {
  /** The group's consumer (repartition and state topics, shardAssigner). */
  readonly consumer: Consumer;
  readonly repartitionTopic: string;
  readonly stateTopic: string;
  /** A new shard's decider, with a pipeline of its own over the current rules, writing to state partition `partition`. */
  readonly createShard: (partition: number, ruleset: CompiledRuleSet) => Shard;
  readonly ruleset: CompiledRuleSet;
  readonly log: Logger;
}

/**
 * Stage 2 of sharded deciders (docs/kafka.md, "Sharded deciders"): one Decider per partition of the
 * repartition topic this worker is assigned, each over that one partition with its own pipeline and
 * its own state-topic partition, all on the group's one consumer. The group's assignment is split by
 * partition and handed to each shard's decider as a decider's assignment; batches go to the decider of
 * their partition. A shard that moves to another worker ends its term here and is restored there.
 */
export class ShardedDeciders {
  private readonly shards = new Map<number, Shard>();
  private ruleset: CompiledRuleSet;

  constructor(private readonly options: ShardedDecidersOptions) {
    this.ruleset = options.ruleset;
  }

  /** The shards this worker decides now (told to the group's assigner, which keeps them here). */
  owned(): number[] {
    return [...this.shards].filter(([, s]) => s.decider.owner).map(([p]) => p);
  }

  /** Deciding at least one shard. */
  get owner(): boolean {
    return this.owned().length > 0;
  }

  /** Every owned shard past the recovery of its state. */
  get settled(): boolean {
    return [...this.shards.values()].every((s) => s.decider.settled);
  }

  /** The pipelines of the shards decided here. */
  pipelines(): Pipeline[] {
    return [...this.shards.values()].filter((s) => s.decider.owner).map((s) => s.pipeline);
  }

  get stats(): DeciderStats {
    const total: DeciderStats = { chunks: 0, replayedChunks: 0, recoveries: 0, checkpoints: 0, lastCheckpointBytes: 0, commits: 0, commitFailures: 0, transactionsAborted: 0 };
    for (const { decider } of this.shards.values()) {
      for (const key of Object.keys(total) as (keyof DeciderStats)[]) total[key] += decider.stats[key];
    }
    return total;
  }

  lag(): { topic: string; partition: number; lag: number }[] {
    return [...this.shards.values()].flatMap((s) => s.decider.lag());
  }

  onRebalancing(): void {
    for (const { decider } of this.shards.values()) decider.onRebalancing();
  }

  /** The group's new assignment: each shard's decider gets its partition (or nothing, and lets it go). */
  onAssignment(assignment: Readonly<Record<string, readonly number[]>>): void {
    const { repartitionTopic, stateTopic } = this.options;
    const assigned = new Set(assignment[repartitionTopic] ?? []);
    const withState = new Set(assignment[stateTopic] ?? []);
    for (const partition of assigned) {
      if (!this.shards.has(partition)) this.shards.set(partition, this.options.createShard(partition, this.ruleset));
    }
    for (const [partition, { decider }] of this.shards) {
      const mine = assigned.has(partition);
      decider.onAssignment(mine ? { [repartitionTopic]: [partition], ...(withState.has(partition) ? { [stateTopic]: [partition] } : {}) } : {});
    }
  }

  onBatch(topic: string, partition: number, messages: readonly SourceMessage[], nextOffset: number, highWatermark: number): void {
    this.shards.get(partition)?.decider.onBatch(topic, partition, messages, nextOffset, highWatermark);
  }

  onSkipped(topic: string, partition: number, nextOffset: number, highWatermark: number): void {
    this.shards.get(partition)?.decider.onSkipped(topic, partition, nextOffset, highWatermark);
  }

  /** Every shard's decider applies the rules between two of its chunks; shards that come later start with them. */
  async reload(ruleset: CompiledRuleSet): Promise<{ kept: string[]; reset: string[] }> {
    this.ruleset = ruleset;
    const reports = await Promise.all([...this.shards.values()].map((s) => s.decider.reload(ruleset)));
    return { kept: [...new Set(reports.flatMap((r) => r.kept))].sort(), reset: [...new Set(reports.flatMap((r) => r.reset))].sort() };
  }

  /** Not with shards yet: a change of one pipeline's state (a watermark repair) has no single pipeline to go to. */
  changeState<T>(): Promise<T> {
    return Promise.reject(new Error('changing the state (a watermark reset) is not supported with kafka.shardBy'));
  }

  /** Every shard's decider sends what it decided, checkpoints and commits. */
  async stop(): Promise<void> {
    await Promise.all([...this.shards.values()].map((s) => s.decider.stop()));
  }
}
