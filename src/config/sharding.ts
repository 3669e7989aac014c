import { z } from 'zod';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { AlertFieldPath } from '../rules/schema.js';
import { notExactLines, SHARDING_FIX, shardExactness, type CaseMergeSharding } from '../rules/shard-exactness.js';
import type { CasesConfig } from './cases.js';
import type { Config } from './schema.js';

/**
 * The `sharding` section: what the data guarantees about the shard key (kafka.shardBy), so that rules
 * grouped by another field are still exact under sharded deciders (docs/rules.md, "Sharding").
 */
export const ShardingConfig = z
  .object({
    /**
     * Field → the field it determines: `entities.host: entities.tenant` says every host belongs to one
     * tenant, so a window grouped by host stays within one tenant's shard. Chains are followed.
     */
    tiedFields: z.record(AlertFieldPath, AlertFieldPath).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const [from, to] of Object.entries(s.tiedFields)) {
      if (from === to) ctx.addIssue({ code: 'custom', message: 'a field tied to itself says nothing; remove it', path: ['tiedFields', from] });
    }
  });
export type ShardingConfig = z.infer<typeof ShardingConfig>;

/**
 * What a worker with sharded deciders (kafka.shardBy set) refuses to run, at start and on every reload:
 * a rule set with a rule (or case merging) that is not exact, said as the lines of the refusal (none:
 * run it). Undefined without kafka.shardBy: one decider, everything is exact.
 */
export function shardRefusalOf(config: Pick<Config, 'kafka' | 'sharding' | 'cases'>): ((ruleset: CompiledRuleSet) => string[]) | undefined {
  const shardBy = config.kafka?.shardBy;
  if (!shardBy || shardBy.length === 0) return undefined;
  const spec = { shardBy, tiedFields: config.sharding.tiedFields };
  const cases = caseMergingOf(config.cases);
  return (ruleset) => {
    const report = shardExactness(ruleset, spec, cases);
    return report.ok ? [] : [`not exact under kafka.shardBy [${shardBy.join(', ')}]:`, ...notExactLines(report).map((line) => `  ${line}`), SHARDING_FIX];
  };
}

/** How the `cases` section merges, as the exactness check reads it. */
export function caseMergingOf(cases: CasesConfig): CaseMergeSharding {
  return { mergeBy: cases.mergeBy, perShard: cases.sharding === 'per-shard' };
}
