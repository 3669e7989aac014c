import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { EvalContext } from '../rules/compile/index.js';
import type { FieldReader } from '../rules/field-path.js';
import type { CompiledException, CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import type { Aggregate } from '../rules/schema.js';
import { WindowStore } from '../state/index.js';
import { RuleCandidates } from './candidates.js';
import { groupKeyOf } from './group-key.js';

/** What happened when one rule looked at one alert. */
export interface RuleOutcome {
  readonly rule: CompiledRule;
  readonly fired: boolean;
  /** Aggregates as of this alert (a copy; empty for rules without a window). */
  readonly aggregates: Readonly<Record<string, number>>;
  readonly late: boolean;
}

/** `late`: some rule's window saw this alert after its allowed lateness (it was decided but not counted there). */
export type Verdict =
  | { readonly kind: 'exception'; readonly exception: CompiledException; readonly late: false }
  | {
      readonly kind: 'rule';
      readonly decision: 'promote' | 'suppress';
      readonly outcome: RuleOutcome;
      readonly alsoFired: readonly CompiledRule[];
      readonly late: boolean;
    }
  | { readonly kind: 'none'; readonly nearMisses: readonly RuleOutcome[]; readonly late: boolean };

const NO_AGGREGATES: Readonly<Record<string, number>> = Object.freeze({});

/** A rule plus its runtime window state. */
class RuleRunner {
  readonly store: WindowStore | undefined;
  private readonly out: Float64Array;
  private readonly values: (string | number | undefined)[];

  constructor(readonly compiled: CompiledRule) {
    const w = compiled.window;
    this.store = w && new WindowStore({
      sizeMs: w.sizeMs,
      allowedLatenessMs: w.allowedLatenessMs,
      maxKeys: w.maxKeys,
      aggregates: w.aggregates.map((a) => ({ kind: a.kind })),
    });
    this.out = new Float64Array(w?.aggregates.length ?? 0);
    this.values = new Array<string | number | undefined>(w?.aggregates.length ?? 0);
  }

  /** undefined when the rule's match does not hold (the alert is not this rule's business). */
  run(ctx: EvalContext, alert: CanonicalAlert, timeMs: number): RuleOutcome | undefined {
    const { compiled } = this;
    ctx.params = compiled.params;
    ctx.aggregates = NO_AGGREGATES;
    if (compiled.match && !compiled.match.test(ctx)) return undefined;
    let aggregates = NO_AGGREGATES;
    let late = false;
    const w = compiled.window;
    if (w && this.store) {
      const key = groupKeyOf(w.groupReaders, alert);
      // An alert missing a group-by field cannot be counted for any group, so the rule cannot fire on it.
      if (key === undefined) return undefined;
      for (let i = 0; i < this.values.length; i++) this.values[i] = readAggregateInput(w.aggregates[i]!.kind, w.aggregateReaders[i], alert);
      late = this.store.observe(key, timeMs, this.values, this.out) === 'late';
      const snapshot: Record<string, number> = {};
      for (let i = 0; i < w.aggregateNames.length; i++) snapshot[w.aggregateNames[i]!] = this.out[i]!;
      aggregates = snapshot;
    }
    ctx.aggregates = aggregates;
    return { rule: compiled, fired: compiled.conditions.test(ctx), aggregates, late };
  }
}

/**
 * The value an aggregate takes from an alert: distinct counts strings, numbers and booleans as text;
 * sum adds numbers and numeric strings (detectors often send byte counts as strings); anything else is
 * missing (distinct ignores it, sum adds 0).
 */
function readAggregateInput(kind: Aggregate['kind'], read: FieldReader | undefined, alert: CanonicalAlert): string | number | undefined {
  if (!read) return undefined;
  const v = read(alert);
  if (kind === 'sum') {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  }
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * The suppress → aggregate → evaluate stages for one alert. Precedence: unexpired exceptions, then
 * suppress rules, then promote rules; within each, priority (higher first) then rule id. Every rule
 * of a stage whose match holds feeds its window whether or not another rule decides, so one rule's
 * thresholds never change what another rule counts (this is what makes tuning monotone). A suppressed
 * alert does not reach the promote rules' windows.
 */
export class Evaluator {
  private readonly suppress: RuleRunner[];
  private readonly promote: RuleRunner[];
  private readonly windowed: RuleRunner[];
  private readonly suppressCandidates: RuleCandidates;
  private readonly promoteCandidates: RuleCandidates;
  private readonly ctx: EvalContext = { alert: {}, aggregates: NO_AGGREGATES, params: {} };

  constructor(private readonly ruleset: CompiledRuleSet) {
    this.suppress = ruleset.suppressRules.map((r) => new RuleRunner(r));
    this.promote = ruleset.promoteRules.map((r) => new RuleRunner(r));
    this.windowed = [...this.suppress, ...this.promote].filter((r) => r.store);
    this.suppressCandidates = new RuleCandidates(ruleset.suppressRules);
    this.promoteCandidates = new RuleCandidates(ruleset.promoteRules);
  }

  evaluate({ alert, timeMs }: NormalizedAlert): Verdict {
    for (const exception of this.ruleset.exceptions) {
      if (timeMs < exception.expiresMs && exception.matches(alert)) return { kind: 'exception', exception, late: false };
    }
    const ctx = this.ctx;
    ctx.alert = alert;
    const suppressed = this.runRules(this.suppress, this.suppressCandidates, alert, timeMs);
    if (suppressed.winner) {
      return { kind: 'rule', decision: 'suppress', outcome: suppressed.winner, alsoFired: suppressed.alsoFired, late: suppressed.late };
    }
    const promoted = this.runRules(this.promote, this.promoteCandidates, alert, timeMs);
    const late = suppressed.late || promoted.late;
    if (promoted.winner) return { kind: 'rule', decision: 'promote', outcome: promoted.winner, alsoFired: promoted.alsoFired, late };
    return { kind: 'none', nearMisses: [...suppressed.nearMisses, ...promoted.nearMisses], late };
  }

  /** Moves every window to the stream's newest event time, so rules that stopped matching still free idle keys. */
  advance(watermarkMs: number): void {
    for (const runner of this.windowed) runner.store!.advance(watermarkMs);
  }

  /** Window state of each windowed rule, for metrics. */
  windowStats(): { ruleId: string; stats: ReturnType<WindowStore['stats']> }[] {
    return this.windowed.map((r) => ({ ruleId: r.compiled.rule.id, stats: r.store!.stats() }));
  }

  /** Runs every candidate (so every window sees every alert it matches); the first that fires wins. */
  private runRules(runners: readonly RuleRunner[], index: RuleCandidates, alert: CanonicalAlert, timeMs: number) {
    let winner: RuleOutcome | undefined;
    const alsoFired: CompiledRule[] = [];
    const nearMisses: RuleOutcome[] = [];
    let late = false;
    for (const i of index.candidates(alert)) {
      const outcome = runners[i]!.run(this.ctx, alert, timeMs);
      if (!outcome) continue;
      late ||= outcome.late;
      if (!outcome.fired) nearMisses.push(outcome);
      else if (!winner) winner = outcome;
      else alsoFired.push(outcome.rule);
    }
    return { winner, alsoFired, nearMisses, late };
  }
}
