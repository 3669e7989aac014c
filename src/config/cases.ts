import { z } from 'zod';
import type { CaseMergeOptions } from '../cases/case-merger.js';
import { Duration } from '../rules/schema.js';
import { parseDuration } from '../state/index.js';

const entityKind = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an entity kind such as host, user or src_ip');

/**
 * The `cases` section: how incidents of different rules join one case (docs/cases.md). The same
 * section drives `run`, the Kafka worker and `replay --config`, so they file incidents alike.
 */
export const CasesConfig = z
  .object({
    /** Entity kinds whose shared value joins incidents into one case; [] turns merging off. */
    mergeBy: z.array(entityKind).default(['host', 'user', 'src_ip']),
    /** An incident joins a case when it opens within this long of the case's alerts. */
    window: Duration.default('1h'),
    /**
     * Under sharded deciders (kafka.shardBy): `per-shard` accepts that cases merge only the incidents
     * one shard decided, when a merge kind does not determine the shard key (docs/rules.md, "Sharding").
     */
    sharding: z.enum(['per-shard']).optional(),
  })
  .strict();
export type CasesConfig = z.infer<typeof CasesConfig>;

export const CASES_DEFAULTS: CasesConfig = CasesConfig.parse({});

/** What the pipeline's case merger takes. */
export function caseMergeOptionsOf(config: CasesConfig): CaseMergeOptions {
  return { mergeBy: config.mergeBy, windowMs: parseDuration(config.window) };
}
