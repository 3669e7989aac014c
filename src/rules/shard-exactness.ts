import type { CompiledRule, CompiledRuleSet } from './ruleset.js';

/**
 * Whether a rule set decides the same under sharded deciders (kafka.shardBy) as under one decider,
 * decided from the rules alone, when they load (docs/rules.md, "Sharding"). Each shard decides only
 * the alerts whose shard key routes to it, so a rule is exact when every group it keeps state for
 * (window, absence, incident) lies within one shard: when its grouping fields determine the shard key
 * fields, by holding them or a field declared tied to them (`sharding.tiedFields`: host → tenant).
 */
export interface ShardingSpec {
  /** The alert field paths that route an alert to its shard. */
  readonly shardBy: readonly string[];
  /** Field → the field it determines (`entities.host` → `entities.tenant`: a host belongs to one tenant); chains are followed. */
  readonly tiedFields?: Readonly<Record<string, string>>;
}

/** How cases merge (the config's `cases`): by these entity kinds, and whether counting per shard is accepted. */
export interface CaseMergeSharding {
  readonly mergeBy: readonly string[];
  readonly perShard?: boolean;
}

/** exact: decides as one decider would; per-shard: not, but the rule (or cases.sharding) accepts it; not-exact: refused. */
export type ShardVerdict = 'exact' | 'per-shard' | 'not-exact';

export interface ShardVerdictOf {
  /** A rule's or exception's id, or `cases` for case merging. */
  readonly id: string;
  readonly kind: 'rule' | 'exception' | 'cases';
  readonly verdict: ShardVerdict;
  /** Why it is not exact, one per group it keeps that can span shards (empty when exact). */
  readonly reasons: readonly string[];
}

export interface ShardExactness {
  readonly shardBy: readonly string[];
  /** Enabled rules and exceptions, by id (disabled rules never run: enabling one is a reload, checked again). */
  readonly rules: readonly ShardVerdictOf[];
  readonly cases: ShardVerdictOf;
  /** No verdict is not-exact. */
  readonly ok: boolean;
}

export function shardExactness(ruleset: CompiledRuleSet, spec: ShardingSpec, cases: CaseMergeSharding): ShardExactness {
  const determines = determinedBy(spec.tiedFields ?? {});
  const rules = [...ruleset.suppressRules, ...ruleset.promoteRules].map((r) => ruleVerdict(r, spec.shardBy, determines));
  const exceptions = ruleset.exceptions.map(({ exception }): ShardVerdictOf => ({ id: exception.id, kind: 'exception', verdict: 'exact', reasons: [] }));
  const all = [...rules, ...exceptions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const caseVerdict = casesVerdict(ruleset, cases, spec.shardBy, determines);
  return { shardBy: [...spec.shardBy], rules: all, cases: caseVerdict, ok: [...all, caseVerdict].every((v) => v.verdict !== 'not-exact') };
}

/** One line per verdict that is not exact: `rule x: reason` (what a worker with sharded deciders refuses). */
export function notExactLines(report: ShardExactness): string[] {
  return [...report.rules, report.cases].filter((v) => v.verdict === 'not-exact').flatMap((v) => v.reasons.map((reason) => `${v.kind === 'cases' ? 'cases' : `rule ${v.id}`}: ${reason}`));
}

/** What to do about a verdict that is not exact, said once under the list. */
export const SHARDING_FIX =
  'add the shard key field to the grouping, declare a grouping field tied to it (sharding.tiedFields), ' +
  'or accept counts per shard (the rule: sharding: per-shard; case merging: cases.sharding: per-shard); docs/rules.md, "Sharding"';

/** The fields a grouping determines: its own, and every field tied to one of them, transitively. */
function determinedBy(tied: Readonly<Record<string, string>>): (grouping: readonly string[]) => ReadonlySet<string> {
  return (grouping) => {
    const out = new Set(grouping);
    for (const field of out) {
      const next = Object.hasOwn(tied, field) ? tied[field] : undefined;
      if (next !== undefined) out.add(next);
    }
    return out;
  };
}

type Determines = ReturnType<typeof determinedBy>;

/** The shard key fields a grouping does not determine. */
function undetermined(grouping: readonly string[], shardBy: readonly string[], determines: Determines): string[] {
  const known = determines(grouping);
  return shardBy.filter((field) => !known.has(field));
}

/** Why a grouping can span shards, or undefined when it determines every shard key field. */
function spanReason(what: string, grouping: readonly string[], shardBy: readonly string[], determines: Determines): string | undefined {
  const missing = undetermined(grouping, shardBy, determines);
  if (missing.length === 0) return undefined;
  const groups = grouping.length === 0 ? 'groups all its alerts together (groupBy [])' : `groups by [${grouping.join(', ')}]`;
  return `${what} ${groups}, which does not determine ${missing.join(', ')}`;
}

function ruleVerdict(compiled: CompiledRule, shardBy: readonly string[], tied: Determines): ShardVerdictOf {
  const { rule, window, absence, incident, scope } = compiled;
  // A tenant's rule sees one tenant's alerts only: every group it keeps has that one tenant.
  const determines: Determines = scope ? (grouping) => tied([...grouping, scope.field]) : tied;
  const reasons: string[] = [];
  const add = (reason: string | undefined) => reason !== undefined && reasons.push(reason);
  if (window) {
    const names = window.aggregateNames.map((name) => `${name} (${rule.aggregates[name]?.kind})`).join(', ');
    add(spanReason(`window of aggregate${window.aggregateNames.length === 1 ? '' : 's'} ${names}`, window.groupBy, shardBy, determines));
  }
  if (absence) add(spanReason('absence', absence.groupBy, shardBy, determines));
  // Without an incident block, a windowed or absence rule's incidents group as its window or absence does.
  const byDefault = !rule.incident && (window || absence);
  if (incident) add(spanReason(byDefault ? 'incident (by default as its window or absence)' : 'incident', incident.groupBy, shardBy, determines));
  const verdict: ShardVerdict = reasons.length === 0 ? 'exact' : rule.sharding === 'per-shard' ? 'per-shard' : 'not-exact';
  return { id: rule.id, kind: 'rule', verdict, reasons };
}

/**
 * Cases join incidents of different rules that share an entity value (cases.mergeBy), whichever shard
 * decided them; a shard only sees its own, so merging is exact when each merge kind determines the shard key.
 */
function casesVerdict(ruleset: CompiledRuleSet, cases: CaseMergeSharding, shardBy: readonly string[], determines: Determines): ShardVerdictOf {
  const merging = ruleset.promoteRules.some((r) => r.rule.incident?.merge !== false);
  const reasons = merging
    ? cases.mergeBy.flatMap((kind) => {
        const missing = undetermined([`entities.${kind}`], shardBy, determines);
        return missing.length === 0 ? [] : [`merging incidents that share entities.${kind} (cases.mergeBy), which does not determine ${missing.join(', ')}`];
      })
    : [];
  return { id: 'cases', kind: 'cases', verdict: reasons.length === 0 ? 'exact' : cases.perShard ? 'per-shard' : 'not-exact', reasons };
}
