import { z } from 'zod';
import type { DecisionFacts } from '../pipeline/pipeline.js';
import type { EvalLabels } from './labels.js';

const DAY_MS = 86_400_000;

const PerDay = z.number().nonnegative();

/** One rule's promotions, scored against the labels. */
export const RuleScore = z
  .object({
    ruleId: z.string(),
    incidents: z.number().int(),
    /** Incidents none of whose alerts is attack-caused. */
    falsePositiveIncidents: z.number().int(),
    incidentsPerDay: PerDay,
    falsePositivePerDay: PerDay,
    /** Phases this rule's incidents cover (a phase may be covered by several rules). */
    phasesCovered: z.number().int(),
    alertsPromoted: z.number().int(),
    attackAlertsPromoted: z.number().int(),
  })
  .strict();
export type RuleScore = z.infer<typeof RuleScore>;

/** `alertgate eval --format json`: docs/eval.md defines every number. */
export const EvalReport = z
  .object({
    /** The scored period: the labels' period less the warm-up at its start. */
    period: z.object({ from: z.string(), to: z.string(), days: z.number(), warmup: z.string() }).strict(),
    alerts: z.number().int(),
    attackAlerts: z.number().int(),
    incidents: z.number().int(),
    falsePositiveIncidents: z.number().int(),
    incidentsPerDay: PerDay,
    falsePositivePerDay: PerDay,
    cases: z.number().int(),
    falsePositiveCases: z.number().int(),
    casesPerDay: PerDay,
    falsePositiveCasesPerDay: PerDay,
    /** Phases with at least one attack-caused alert in the file: the ones scored. */
    phases: z.number().int(),
    phasesCovered: z.number().int(),
    /** phasesCovered / phases (1 when there are none). */
    phaseCoverage: z.number(),
    attacks: z.array(
      z
        .object({
          id: z.string(),
          title: z.string(),
          phases: z.array(z.object({ id: z.string(), title: z.string(), attackAlerts: z.number().int(), covered: z.boolean(), coveredBy: z.array(z.string()) }).strict()),
        })
        .strict(),
    ),
    rules: z.array(RuleScore),
  })
  .strict();
export type EvalReport = z.infer<typeof EvalReport>;

/** What the scorer keeps of one incident while the alerts run. */
export interface ScoredIncident {
  readonly id: string;
  readonly ruleId: string;
  caseId: string | undefined;
  alerts: number;
  /** The phases of the attack-caused alerts promoted into it. */
  readonly phases: Set<string>;
  /** Opened during the warm-up: not scored. */
  readonly warmup: boolean;
}

export interface EvalScorerOptions {
  /** The start of the labelled period that only fills windows: incidents opened in it, and attack-caused alerts in it, are not scored. */
  readonly warmupMs?: number;
}

/**
 * Scores a run as its decisions come (the pipeline's decision sink): which incidents hold
 * attack-caused alerts, which attack phases some promoted incident covers. Keeps a few numbers per
 * incident, nothing per alert.
 */
export class EvalScorer {
  readonly incidents = new Map<string, ScoredIncident>();
  private alerts = 0;
  private readonly attackAlertsSeen = new Map<string, number>();
  private readonly promotedByRule = new Map<string, { alerts: number; attackAlerts: number }>();

  private readonly scoredFromMs: number;
  private readonly warmupMs: number;

  constructor(
    private readonly labels: EvalLabels,
    options: EvalScorerOptions = {},
  ) {
    this.warmupMs = options.warmupMs ?? 0;
    this.scoredFromMs = Date.parse(labels.from) + this.warmupMs;
  }

  /** One decision (valid during the call only, as the sink gives it). */
  observe(facts: Readonly<DecisionFacts>): void {
    if (facts.decision === 'duplicate') return;
    const scored = facts.timeMs >= this.scoredFromMs;
    if (scored) this.alerts++;
    const phase = scored ? this.labels.attackAlerts[facts.alert.id] : undefined;
    if (phase !== undefined) this.attackAlertsSeen.set(phase, (this.attackAlertsSeen.get(phase) ?? 0) + 1);
    if (facts.decision !== 'promote' || facts.incidentId === undefined || facts.ruleId === null) return;
    let incident = this.incidents.get(facts.incidentId);
    if (incident === undefined) {
      incident = { id: facts.incidentId, ruleId: facts.ruleId, caseId: undefined, alerts: 0, phases: new Set(), warmup: !scored };
      this.incidents.set(facts.incidentId, incident);
    }
    if (incident.warmup) return;
    incident.caseId ??= facts.incident?.caseId;
    incident.alerts++;
    let promoted = this.promotedByRule.get(facts.ruleId);
    if (promoted === undefined) this.promotedByRule.set(facts.ruleId, (promoted = { alerts: 0, attackAlerts: 0 }));
    promoted.alerts++;
    if (phase !== undefined) {
      incident.phases.add(phase);
      promoted.attackAlerts++;
    }
  }

  report(): EvalReport {
    const { labels } = this;
    const days = (Date.parse(labels.to) - this.scoredFromMs) / DAY_MS;
    const perDay = (n: number) => Math.round((n / days) * 100) / 100;
    const coveredBy = new Map<string, Set<string>>();
    const byRule = new Map<string, { incidents: number; fp: number; phases: Set<string> }>();
    const cases = new Map<string, boolean>();
    let incidents = 0;
    for (const incident of this.incidents.values()) {
      if (incident.warmup) continue;
      incidents++;
      let rule = byRule.get(incident.ruleId);
      if (rule === undefined) byRule.set(incident.ruleId, (rule = { incidents: 0, fp: 0, phases: new Set() }));
      rule.incidents++;
      const attack = incident.phases.size > 0;
      if (!attack) rule.fp++;
      for (const phase of incident.phases) {
        rule.phases.add(phase);
        let rules = coveredBy.get(phase);
        if (rules === undefined) coveredBy.set(phase, (rules = new Set()));
        rules.add(incident.ruleId);
      }
      // An incident without a case (a pipeline without case merging) is a case of its own.
      const caseId = incident.caseId ?? incident.id;
      cases.set(caseId, (cases.get(caseId) ?? false) || attack);
    }
    const attacks = labels.attacks.map((attack) => ({
      id: attack.id,
      title: attack.title,
      phases: attack.phases
        .map((p) => ({ id: p.id, title: p.title, attackAlerts: this.attackAlertsSeen.get(p.id) ?? 0, covered: coveredBy.has(p.id), coveredBy: [...(coveredBy.get(p.id) ?? [])].sort() }))
        .filter((p) => p.attackAlerts > 0),
    }));
    const scored = attacks.flatMap((a) => a.phases);
    const covered = scored.filter((p) => p.covered).length;
    const fp = [...byRule.values()].reduce((n, r) => n + r.fp, 0);
    const fpCases = [...cases.values()].filter((attack) => !attack).length;
    return {
      period: { from: new Date(this.scoredFromMs).toISOString(), to: labels.to, days: Math.round(days * 100) / 100, warmup: `${this.warmupMs / 3_600_000}h` },
      alerts: this.alerts,
      attackAlerts: [...this.attackAlertsSeen.values()].reduce((n, c) => n + c, 0),
      incidents,
      falsePositiveIncidents: fp,
      incidentsPerDay: perDay(incidents),
      falsePositivePerDay: perDay(fp),
      cases: cases.size,
      falsePositiveCases: fpCases,
      casesPerDay: perDay(cases.size),
      falsePositiveCasesPerDay: perDay(fpCases),
      phases: scored.length,
      phasesCovered: covered,
      phaseCoverage: scored.length === 0 ? 1 : Math.round((covered / scored.length) * 10_000) / 10_000,
      attacks,
      rules: [...byRule.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([ruleId, r]) => ({
          ruleId,
          incidents: r.incidents,
          falsePositiveIncidents: r.fp,
          incidentsPerDay: perDay(r.incidents),
          falsePositivePerDay: perDay(r.fp),
          phasesCovered: r.phases.size,
          alertsPromoted: this.promotedByRule.get(ruleId)?.alerts ?? 0,
          attackAlertsPromoted: this.promotedByRule.get(ruleId)?.attackAlerts ?? 0,
        })),
    };
  }
}
