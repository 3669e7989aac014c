import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TuningIncident } from '../ledger/records.js';
import { round, table } from './format.js';
import type { TuneReport } from './report.js';

/** How much of a rule's incidents in the period analysts reviewed. */
export const RuleSampling = z
  .object({
    ruleId: z.string(),
    incidents: z.number().int(),
    /** Incidents with a verdict (TP, BP or FP). */
    reviewed: z.number().int(),
    reviewedShare: z.number(),
  })
  .strict();

/**
 * A proposal's effect when only a sample of the incidents was reviewed (docs/tuning.md, "Few
 * verdicts"): false positives removed per day as confirmed, as estimated by scaling, and at most.
 */
export const ProposalSampling = z
  .object({
    ruleId: z.string(),
    param: z.string(),
    /** Reviewed incidents the change certainly removes (FP, BP and TP): the sample the estimate scales from. */
    reviewedRemoved: z.number().int(),
    /** Unreviewed incidents the change certainly removes. */
    unreviewedRemoved: z.number().int(),
    /** Confirmed false positives removed, per day. */
    falsePositiveRemovedPerDay: z.number(),
    /** Confirmed, plus the unreviewed removed times the false-positive share of the reviewed removed; null when no removed incident was reviewed. */
    estimatedFalsePositiveRemovedPerDay: z.number().nullable(),
    /** If every unreviewed incident removed were a false positive. */
    falsePositiveRemovedPerDayAtMost: z.number(),
    /**
     * With no confirmed true positive among the reviewed removed: a 95 % upper bound on the true
     * positives among the unreviewed removed (the exact one-sided bound for 0 of n); null otherwise.
     */
    truePositiveAmongUnreviewedAtMost: z.number().nullable(),
  })
  .strict();

export const SamplingEvidence = z.object({ rules: z.array(RuleSampling), proposals: z.array(ProposalSampling) }).strict();
export type SamplingEvidence = z.infer<typeof SamplingEvidence>;

/**
 * The sampling evidence of a report, from its counts alone. The estimator assumes the reviewed
 * incidents of a rule are a random sample of its incidents (what `GET /incidents/sample` draws): the
 * incidents a change removes are known exactly, and the false-positive share of the reviewed ones
 * among them stands for the unreviewed ones (a ratio estimator within the removed incidents). True
 * positives are protected by the confirmed ones only, as the tuner does: the bound says how many the
 * unreviewed removed incidents may still hide.
 */
export function samplingOf(report: TuneReport): SamplingEvidence {
  const days = report.period.days;
  const rules = report.rules.map((r) => {
    const reviewed = r.truePositive + r.benignPositive + r.falsePositive;
    return { ruleId: r.ruleId, incidents: r.incidents, reviewed, reviewedShare: r.incidents === 0 ? 0 : round(reviewed / r.incidents, 4) };
  });
  const proposals = report.proposals.map((p) => {
    const truePositiveRemoved = p.truePositiveTotal - p.truePositiveKept - p.truePositiveUnknown;
    const reviewedRemoved = p.falsePositiveRemoved + p.benignPositiveRemoved + truePositiveRemoved;
    const u = p.unreviewedRemoved;
    const estimate = reviewedRemoved === 0 ? null : p.falsePositiveRemoved + (u * p.falsePositiveRemoved) / reviewedRemoved;
    // P(no TP in n draws) = (1 − p)^n ≥ 5 % gives p ≤ 1 − 0.05^(1/n).
    const tpShareAtMost = reviewedRemoved > 0 && truePositiveRemoved === 0 ? 1 - 0.05 ** (1 / reviewedRemoved) : null;
    return {
      ruleId: p.ruleId,
      param: p.param,
      reviewedRemoved,
      unreviewedRemoved: u,
      falsePositiveRemovedPerDay: round(p.falsePositiveRemoved / days, 2),
      estimatedFalsePositiveRemovedPerDay: estimate === null ? null : round(estimate / days, 2),
      falsePositiveRemovedPerDayAtMost: round((p.falsePositiveRemoved + u) / days, 2),
      truePositiveAmongUnreviewedAtMost: tpShareAtMost === null ? null : round(u * tpShareAtMost, 2),
    };
  });
  return { rules, proposals };
}

/** The sampling evidence for people: per proposal, FP removed per day confirmed / estimated / at most, and the reviewed share of its rule. */
export function formatSampling(sampling: SamplingEvidence, format: 'text' | 'md'): string {
  const share = new Map(sampling.rules.map((r) => [r.ruleId, r]));
  // Only when the reviewed incidents are a sample: with every one reviewed, the estimate is the count.
  if (!sampling.proposals.some((p) => share.get(p.ruleId)!.reviewed < share.get(p.ruleId)!.incidents)) return '';
  const rows = sampling.proposals.map((p) => {
    const r = share.get(p.ruleId)!;
    return [
      p.ruleId,
      p.param,
      `${r.reviewed} of ${r.incidents} (${Math.round(r.reviewedShare * 100)}%)`,
      `${p.reviewedRemoved} + ${p.unreviewedRemoved}`,
      `${p.falsePositiveRemovedPerDay} / ${p.estimatedFalsePositiveRemovedPerDay ?? '-'} / ${p.falsePositiveRemovedPerDayAtMost}`,
      p.truePositiveAmongUnreviewedAtMost === null ? '-' : String(p.truePositiveAmongUnreviewedAtMost),
    ];
  });
  const title = 'reviewed sample (FP removed per day: confirmed / estimated from the sample / at most; docs/tuning.md, "Few verdicts")';
  return `\n${format === 'md' ? `### ${title}` : `${title}:`}\n${table(format, ['rule', 'param', 'reviewed', 'removed: reviewed + unreviewed', 'FP removed/day', 'TP among unreviewed removed, at most (95%)'], rows)}\n`;
}

/** One incident drawn for review. */
export const SampledIncident = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    firstSeen: z.string(),
    title: z.string(),
    /** Its rule's unreviewed incidents in the period over those drawn from them: how many each one stands for. */
    weight: z.number(),
  })
  .strict();
export type SampledIncident = z.infer<typeof SampledIncident>;

/** GET /incidents/sample's answer and `alertgate incidents sample --json`'s output. */
export const IncidentSample = z.object({ seed: z.string(), incidents: z.array(SampledIncident) }).strict();
export type IncidentSample = z.infer<typeof IncidentSample>;

/**
 * A stratified random sample of the unreviewed incidents for analysts to review: `n` split across the
 * rules in proportion to their unreviewed incidents (largest remainders; every rule with any gets at
 * least one while n allows), and within a rule the incidents whose sha256(seed, id) is smallest: the
 * same ledger and seed give the same sample. Ordered by rule, then hash.
 */
export function sampleIncidents(incidents: readonly TuningIncident[], n: number, seed: string): SampledIncident[] {
  const byRule = new Map<string, { id: string; ruleId: string; firstSeen: string; title: string; key: string }[]>();
  for (const { record, verdict } of incidents) {
    if (verdict !== null) continue;
    const list = byRule.get(record.ruleId) ?? [];
    list.push({ id: record.id, ruleId: record.ruleId, firstSeen: record.firstSeen, title: record.title, key: createHash('sha256').update(`${seed}\u0000${record.id}`).digest('hex') });
    byRule.set(record.ruleId, list);
  }
  const rules = [...byRule.keys()].sort();
  const sizes = rules.map((r) => byRule.get(r)!.length);
  const total = sizes.reduce((a, b) => a + b, 0);
  const take = Math.min(n, total);
  // One per rule first, while n allows; the rest in proportion to what each rule has left.
  const base = take >= rules.length ? 1 : 0;
  const rest = take - base * rules.length;
  const pool = total - base * rules.length;
  const shares = sizes.map((size) => (pool === 0 ? 0 : (rest * (size - base)) / pool));
  const quota = shares.map((share) => base + Math.floor(share));
  // Largest remainders take what is left (ties: rule id); a fractional share is below its rule's size, so one pass places all.
  let left = take - quota.reduce((a, b) => a + b, 0);
  const byRemainder = rules.map((_, i) => i).sort((a, b) => shares[b]! - Math.floor(shares[b]!) - (shares[a]! - Math.floor(shares[a]!)) || a - b);
  for (const i of byRemainder) {
    if (left === 0) break;
    quota[i]!++;
    left--;
  }
  return rules.flatMap((r, i) => {
    const list = byRule.get(r)!.sort((a, b) => (a.key < b.key ? -1 : 1));
    const k = quota[i]!;
    return list.slice(0, k).map(({ id, ruleId, firstSeen, title }) => ({ id, ruleId, firstSeen, title, weight: round(list.length / k, 4) }));
  });
}
