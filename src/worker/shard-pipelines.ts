import type { PipelineStats } from '../metrics/pipeline-stats.js';
import type { Pipeline, PipelineCounts, PipelineView } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';

/**
 * The pipelines of the shards a worker decides, read as one (metrics, GET /watermark, the summary):
 * counts, open incidents, remembered ids and window sizes summed; the watermark is the newest of them.
 * The breakdowns (PipelineStats) are one object that every shard's pipeline counts into. A shard's
 * counts move with it to the worker that takes it over (they are in its checkpoint).
 */
export class ShardPipelines implements PipelineView {
  constructor(
    private readonly pipelines: () => readonly Pipeline[],
    readonly stats: PipelineStats,
    /** A pipeline of no shard: the rules and the skew bound's settings before any shard is decided here. */
    private readonly idle: Pipeline,
  ) {}

  get counts(): PipelineCounts {
    const total: PipelineCounts = { ...this.idle.counts, byRule: new Map() };
    for (const key of Object.keys(total) as (keyof PipelineCounts)[]) if (key !== 'byRule') total[key] = 0;
    for (const { counts } of this.pipelines()) {
      for (const key of Object.keys(total) as (keyof PipelineCounts)[]) if (key !== 'byRule') total[key] += counts[key];
      for (const [rule, c] of counts.byRule) {
        const sum = total.byRule.get(rule) ?? { promoted: 0, suppressed: 0 };
        total.byRule.set(rule, { promoted: sum.promoted + c.promoted, suppressed: sum.suppressed + c.suppressed });
      }
    }
    return total;
  }

  get eventTime(): Pipeline['eventTime'] {
    return this.idle.eventTime;
  }

  get watermark(): number {
    return Math.max(Number.NEGATIVE_INFINITY, ...this.pipelines().map((p) => p.watermark));
  }

  get rules(): CompiledRuleSet {
    return this.pipelines()[0]?.rules ?? this.idle.rules;
  }

  openIncidents(): number {
    return this.pipelines().reduce((n, p) => n + p.openIncidents(), 0);
  }

  dedupStats(): ReturnType<Pipeline['dedupStats']> {
    const all = this.pipelines().map((p) => p.dedupStats());
    if (all.length === 0 || all[0] === undefined) return this.idle.dedupStats();
    return all.reduce((sum, s) => ({ ids: sum!.ids + (s?.ids ?? 0), reused: sum!.reused + (s?.reused ?? 0), evicted: sum!.evicted + (s?.evicted ?? 0) }), { ids: 0, reused: 0, evicted: 0 });
  }

  windowStats(): ReturnType<Pipeline['windowStats']> {
    const byRule = new Map<string, ReturnType<Pipeline['windowStats']>[number]['stats']>();
    for (const p of this.pipelines()) {
      for (const { ruleId, stats } of p.windowStats()) {
        const sum = byRule.get(ruleId);
        if (sum === undefined) byRule.set(ruleId, { ...stats });
        else for (const key of Object.keys(stats) as (keyof typeof stats)[]) sum[key] += stats[key];
      }
    }
    return [...byRule].map(([ruleId, stats]) => ({ ruleId, stats }));
  }
}
