import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { EvalContext } from '../rules/compile/index.js';
import type { FieldReader } from '../rules/field-path.js';
import type { CompiledException, CompiledRule, CompiledRuleSet, CountedAggregate, RiskScore } from '../rules/ruleset.js';
import { z } from 'zod';
import { AbsenceTracker, AbsenceTrackerSnapshot, BaselineStore, BaselineStoreSnapshot, DEFAULT_HLL_PRECISION, SequenceStore, SequenceStoreSnapshot, WindowStore, WindowStoreSnapshot, type AggregateShape } from '../state/index.js';
import { RuleCandidates } from './candidates.js';
import { ExceptionIndex } from './exception-index.js';
import { createHash } from 'node:crypto';
import { groupFieldsOf, groupKeyOf } from './group-key.js';

/** What happened when one rule looked at one alert. */
export interface RuleOutcome {
  readonly rule: CompiledRule;
  readonly fired: boolean;
  /**
   * Aggregates as of this alert (empty for rules without a window). The rule's own live values, so
   * read them before the next evaluate(): the pipeline writes each decision at once.
   */
  readonly aggregates: Readonly<Record<string, number>>;
  readonly late: boolean;
  /** The rule's window had lost state this alert's aggregates needed (maxKeys, maxEvents): they may read low. */
  readonly lossy: boolean;
}

/**
 * `late`: some rule's window saw this alert after its allowed lateness (it was decided but not counted there).
 * `lossy`: some rule's window that counted it had lost state (WindowStore.lossy).
 */
export type Verdict =
  | { readonly kind: 'exception'; readonly exception: CompiledException; readonly late: false; readonly lossy: false }
  | {
      readonly kind: 'rule';
      readonly decision: 'promote' | 'suppress';
      readonly outcome: RuleOutcome;
      readonly alsoFired: readonly CompiledRule[];
      readonly late: boolean;
      readonly lossy: boolean;
    }
  | { readonly kind: 'none'; readonly nearMisses: readonly RuleOutcome[]; readonly late: boolean; readonly lossy: boolean };

/** The window state of every windowed rule, tagged with what it counts (CompiledRule.windowIdentity). */
export const EvaluatorSnapshot = z.array(
  z
    .object({
      ruleId: z.string(),
      windowIdentity: z.string(),
      store: WindowStoreSnapshot,
      /** A rule with a sequence aggregate: its held steps (absent from checkpoints written before sequences). */
      sequence: SequenceStoreSnapshot.optional(),
      /** A rule with a spike aggregate: its per-period counts (absent from checkpoints written before spikes). */
      baseline: BaselineStoreSnapshot.optional(),
      /** An absence rule's keys alive (its `store` is then an empty window: the rule has none). */
      absence: AbsenceTrackerSnapshot.optional(),
    })
    .strict(),
);
export type EvaluatorSnapshot = z.infer<typeof EvaluatorSnapshot>;

const EMPTY_STORE: WindowStoreSnapshot = {
  watermarkMs: null,
  sweptAtMs: null,
  lateEvents: 0,
  idleEvictions: 0,
  overflowEvictions: 0,
  droppedEvents: 0,
  lossyObservations: 0,
  evictedSlots: [],
  keys: [],
};

const EMPTY_SEQUENCE: SequenceStoreSnapshot = { watermarkMs: null, sweptAtMs: null, keys: [] };

const EMPTY_BASELINE: BaselineStoreSnapshot = { watermarkMs: null, keys: [] };
const EMPTY_ABSENCE: AbsenceTrackerSnapshot = { keys: [] };

/** A windowed rule's state, handed from its previous version when a reload keeps it. */
interface CarriedState {
  readonly store: WindowStore | undefined;
  readonly sequence: SequenceStore | undefined;
  readonly baseline: BaselineStore | undefined;
  readonly absence: AbsenceTracker | undefined;
}

const NO_AGGREGATES: Readonly<Record<string, number>> = Object.freeze({});
/** Shared empty list; never pushed to (runRules swaps in a fresh array first). */
const NONE: never[] = [];

const enum RunResult {
  /** The rule's match did not hold (or a group-by field was missing): not this rule's business. */
  NotMatched,
  Missed,
  Fired,
}

/** A rule plus its runtime window state. */
class RuleRunner {
  readonly store: WindowStore | undefined;
  /** The window's sequence aggregate, beside the store (it moves with it: same keys, watermark, lateness). */
  readonly sequence: SequenceStore | undefined;
  /** The window's spike aggregate, beside the store (like the sequence). */
  readonly baseline: BaselineStore | undefined;
  /** An absence rule's keys alive. */
  readonly absence: AbsenceTracker | undefined;
  /** Aggregates as of the last alert run; reused between alerts (copied into an outcome when kept). */
  private readonly aggregates: Record<string, number>;
  private late = false;
  private lossy = false;
  private readonly out: Float64Array;
  private readonly values: (string | number | undefined)[];

  /** `carried`: the window state of the rule's previous version, when a reload keeps it. */
  constructor(
    readonly compiled: CompiledRule,
    carried?: CarriedState,
  ) {
    const w = compiled.window;
    carried?.store?.setLimits({ maxKeys: w!.maxKeys, maxEvents: w!.maxEvents, maxEventsPerKey: w!.maxEventsPerKey });
    this.sequence =
      w?.sequence &&
      (carried?.sequence ??
        new SequenceStore({ sizeMs: w.sizeMs, allowedLatenessMs: w.allowedLatenessMs, counts: w.sequence.counts, maxKeys: w.maxKeys, maxEventsPerKey: w.maxEventsPerKey }));
    const a = compiled.absence;
    this.absence = a && (carried?.absence ?? new AbsenceTracker({ afterMs: a.afterMs, allowedLatenessMs: a.allowedLatenessMs, maxKeys: a.maxKeys }));
    this.baseline = w?.spike && (carried?.baseline ?? new BaselineStore({ periodMs: w.sizeMs, periods: w.spike.periods, maxKeys: w.maxKeys }));
    this.store =
      carried?.store ??
      (w &&
        new WindowStore({
          sizeMs: w.sizeMs,
          allowedLatenessMs: w.allowedLatenessMs,
          maxKeys: w.maxKeys,
          maxEvents: w.maxEvents,
          maxEventsPerKey: w.maxEventsPerKey,
          aggregates: w.aggregates.map(storedAggregate),
        }));
    this.aggregates = w ? Object.fromEntries(w.aggregateNames.map((n) => [n, 0])) : NO_AGGREGATES;
    this.out = new Float64Array(w?.aggregates.length ?? 0);
    this.values = new Array<string | number | undefined>(w?.aggregates.length ?? 0);
  }

  run(ctx: EvalContext, alert: CanonicalAlert, timeMs: number): RunResult {
    const { compiled } = this;
    this.late = false;
    this.lossy = false;
    if (!admits(compiled, ctx, alert)) return RunResult.NotMatched;
    if (this.absence) {
      // Alerts only show the group alive: the rule decides the silences (Evaluator.silences), never them.
      const key = groupKeyOf(compiled.absence!.groupReaders, alert);
      const { groupBy, groupReaders } = compiled.absence!;
      if (key !== undefined) this.absence.alive(key, timeMs, () => ({ source: alert.source, entities: alert.entities, group: groupFieldsOf(groupBy, groupReaders, alert) }));
      return RunResult.NotMatched;
    }
    const w = compiled.window;
    if (w && this.store) {
      const key = groupKeyOf(w.groupReaders, alert);
      // An alert missing a group-by field cannot be counted for any group, so the rule cannot fire on it.
      if (key === undefined) return RunResult.NotMatched;
      for (let i = 0; i < this.values.length; i++) {
        const filter = w.aggregateFilters[i];
        const scores = w.aggregateScores[i];
        this.values[i] =
          scores ? riskOf(scores, ctx)
          : filter && !filter.test(ctx) ? undefined
          : readAggregateInput(w.aggregates[i]!, w.aggregateReaders[i], alert);
      }
      this.late = this.store.observe(key, timeMs, this.values, this.out) === 'late';
      this.lossy = this.store.lossy;
      for (let i = 0; i < this.out.length; i++) this.aggregates[w.aggregateNames[i]!] = this.out[i]!;
      if (w.spike) this.aggregates[w.spike.name] = this.baseline!.observe(key, timeMs, w.spike.where?.test(ctx) ?? true, !this.late);
      if (w.sequence) this.aggregates[w.sequence.name] = this.sequence!.observe(key, timeMs, stepMask(w.sequence.steps, ctx), !this.late);
      ctx.aggregates = this.aggregates;
    }
    return compiled.conditions.test(ctx) ? RunResult.Fired : RunResult.Missed;
  }

  get wasLate(): boolean {
    return this.late;
  }

  get wasLossy(): boolean {
    return this.lossy;
  }

  /** The last run's result; its aggregates are valid until this rule runs again (RuleOutcome). */
  outcome(fired: boolean): RuleOutcome {
    return { rule: this.compiled, fired, aggregates: this.aggregates, late: this.late, lossy: this.lossy };
  }

  /** Near misses are worth explaining only where the rule picked the alert (match) or counted it (window). */
  get explainsMisses(): boolean {
    return this.compiled.match !== undefined || this.compiled.window !== undefined;
  }
}

/**
 * Whether the rule looks at the alert at all: its tenant's (a tenant's rule neither counts nor explains
 * another tenant's alert) and its match holds. Sets ctx's params to the rule's; ctx.alert must be the alert.
 */
export function admits(compiled: CompiledRule, ctx: EvalContext, alert: CanonicalAlert): boolean {
  ctx.params = compiled.params;
  ctx.aggregates = NO_AGGREGATES;
  if (compiled.scope && compiled.scope.read(alert) !== compiled.scope.tenant) return false;
  return !compiled.match || compiled.match.test(ctx);
}

/** The risk an alert adds: the sum of the scores whose condition holds for it. */
function riskOf(scores: readonly RiskScore[], ctx: EvalContext): number {
  let risk = 0;
  for (const { where, score } of scores) if (where.test(ctx)) risk += score;
  return risk;
}

/** Bit i set: step i's condition holds for the alert. */
function stepMask(steps: readonly { test(ctx: EvalContext): boolean }[], ctx: EvalContext): number {
  let mask = 0;
  for (let i = 0; i < steps.length; i++) if (steps[i]!.test(ctx)) mask |= 1 << i;
  return mask;
}

/**
 * How the window store keeps an aggregate. A filtered count (`where`) is the sum of 1 for each alert
 * its condition held for (the others add 0), so the store needs no kind of its own for it.
 */
function storedAggregate(a: CountedAggregate): AggregateShape {
  if (a.kind === 'count') return { kind: a.where ? 'sum' : 'count' };
  if (a.kind === 'risk') return { kind: 'sum' };
  return a.kind === 'distinct' && a.approximate ? { kind: a.kind, approximate: { precision: a.precision ?? DEFAULT_HLL_PRECISION } } : { kind: a.kind };
}

/**
 * The value an aggregate takes from an alert its `where` (if any) holds for: distinct counts strings,
 * numbers and booleans as text; sum adds numbers and numeric strings (detectors often send byte counts
 * as strings); anything else is missing (distinct ignores it, sum adds 0); a filtered count adds 1.
 */
function readAggregateInput(aggregate: CountedAggregate, read: FieldReader | undefined, alert: CanonicalAlert): string | number | undefined {
  if (aggregate.kind === 'count') return aggregate.where ? 1 : undefined;
  if (!read) return undefined;
  const v = read(alert);
  if (aggregate.kind === 'sum') {
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
  private exceptions!: ExceptionIndex;
  private suppress!: RuleRunner[];
  private promote!: RuleRunner[];
  private windowed!: RuleRunner[];
  private suppressCandidates!: RuleCandidates;
  private promoteCandidates!: RuleCandidates;
  private readonly ctx: EvalContext = { alert: {}, aggregates: NO_AGGREGATES, params: {} };
  /**
   * When set (the tuner's recorded run, src/tune/tape.ts): told of every promote rule that matches the
   * alert being evaluated, in order, whether it fired, and its aggregates (live: read them at once).
   */
  protected promoteRan: ((index: number, fired: boolean, aggregates: Readonly<Record<string, number>>) => void) | undefined;
  /** The silences made by silences() and not decided yet, with their rule. */
  private readonly silenceOf = new Map<CanonicalAlert, RuleRunner>();

  constructor(ruleset: CompiledRuleSet) {
    this.install(ruleset, new Map());
  }

  /**
   * Switches to a new rule set between two alerts. A rule whose window state still means the same
   * (same window, aggregates and match: see CompiledRule.windowIdentity) keeps its counts, so a tuned
   * threshold applies at once to the groups already counting; any other windowed rule starts empty.
   */
  reload(ruleset: CompiledRuleSet): { kept: string[]; reset: string[] } {
    const previous = new Map(this.windowed.map((r) => [r.compiled.rule.id, r]));
    const carried = new Map<string, CarriedState>();
    const kept: string[] = [];
    const reset: string[] = [];
    for (const compiled of [...ruleset.suppressRules, ...ruleset.promoteRules]) {
      if (!compiled.window && !compiled.absence) continue;
      const old = previous.get(compiled.rule.id);
      if (old && old.compiled.windowIdentity === compiled.windowIdentity) {
        carried.set(compiled.rule.id, { store: old.store, sequence: old.sequence, baseline: old.baseline, absence: old.absence });
        kept.push(compiled.rule.id);
      } else {
        reset.push(compiled.rule.id);
      }
    }
    this.install(ruleset, carried);
    return { kept, reset };
  }

  private install(ruleset: CompiledRuleSet, carried: ReadonlyMap<string, CarriedState>): void {
    const runner = (r: CompiledRule) => new RuleRunner(r, carried.get(r.rule.id));
    this.exceptions = new ExceptionIndex(ruleset.exceptions);
    this.suppress = ruleset.suppressRules.map(runner);
    this.promote = ruleset.promoteRules.map(runner);
    this.windowed = [...this.suppress, ...this.promote].filter((r) => r.store || r.absence);
    this.suppressCandidates = new RuleCandidates(ruleset.suppressRules);
    this.promoteCandidates = new RuleCandidates(ruleset.promoteRules);
  }

  /**
   * The groups of absence rules silent as of `watermarkMs`, each as the alert alertgate makes for it
   * (docs/rules.md, "Absence"), by the time they fell silent, then rule order: decide each with evaluate().
   */
  silences(watermarkMs: number): NormalizedAlert[] {
    const made: NormalizedAlert[] = [];
    for (const runner of this.windowed) {
      if (!runner.absence) continue;
      const { rule, absence } = runner.compiled;
      for (const silence of runner.absence.silent(watermarkMs)) {
        const timeMs = silence.lastMs + absence!.afterMs;
        const time = new Date(timeMs).toISOString();
        const alert: CanonicalAlert = {
          id: `absence:${rule.id}:${createHash('sha256').update(silence.key).digest('hex').slice(0, 16)}:${time}`,
          time,
          source: silence.last.source,
          name: `absence: ${rule.id}`,
          severity: rule.severity,
          severityOriginal: null,
          category: rule.category,
          entities: { ...silence.last.entities },
          tags: ['absence'],
          raw: { rule: rule.id, group: { ...silence.last.group }, lastSeen: new Date(silence.lastMs).toISOString(), silentFor: rule.absence!.after },
        };
        this.silenceOf.set(alert, runner);
        made.push({ alert, timeMs });
      }
    }
    return made.sort((a, b) => a.timeMs - b.timeMs);
  }

  /** Decides one alert. The verdict's aggregates are live window values: use them before the next call. */
  evaluate({ alert, timeMs }: NormalizedAlert): Verdict {
    // Most runs have no absence rule: the lookup by identity is skipped when nothing is held.
    const silenced = this.silenceOf.size === 0 ? undefined : this.silenceOf.get(alert);
    if (silenced) this.silenceOf.delete(alert);
    const exception = this.exceptions.first(alert, timeMs);
    if (exception) return { kind: 'exception', exception, late: false, lossy: false };
    this.ctx.alert = alert;
    if (silenced) return this.decideSilence(silenced);
    const suppressed = this.runRules(this.suppress, this.suppressCandidates, alert, timeMs);
    let { late, lossy } = suppressed;
    if (suppressed.winner) {
      return { kind: 'rule', decision: 'suppress', outcome: suppressed.winner, alsoFired: suppressed.alsoFired, late, lossy };
    }
    const promoted = this.runRules(this.promote, this.promoteCandidates, alert, timeMs);
    late ||= promoted.late;
    lossy ||= promoted.lossy;
    if (promoted.winner) return { kind: 'rule', decision: 'promote', outcome: promoted.winner, alsoFired: promoted.alsoFired, late, lossy };
    const nearMisses =
      suppressed.nearMisses.length === 0 ? promoted.nearMisses
      : promoted.nearMisses.length === 0 ? suppressed.nearMisses
      : [...suppressed.nearMisses, ...promoted.nearMisses];
    return { kind: 'none', nearMisses, late, lossy };
  }

  /**
   * The first promote rule on an alert as evaluate() runs it (its match, window and conditions), nothing
   * else looked at: for a rule counted alone (src/tune/recount.ts), installed with no exception, suppress
   * rule or other promote rule, so that the verdict and its arrays are not made per alert. Undefined
   * when the rule's match does not hold; the aggregates are live, as evaluate()'s are.
   */
  runAlone({ alert, timeMs }: NormalizedAlert): { readonly fired: boolean; readonly aggregates: Readonly<Record<string, number>> } | undefined {
    this.ctx.alert = alert;
    const runner = this.promote[0]!;
    const result = runner.run(this.ctx, alert, timeMs);
    return result === RunResult.NotMatched ? undefined : runner.outcome(result === RunResult.Fired);
  }

  /** Moves every window to the stream's newest event time, so rules that stopped matching still free idle keys. */
  advance(watermarkMs: number): void {
    for (const runner of this.windowed) {
      runner.store?.advance(watermarkMs);
      runner.sequence?.advance(watermarkMs);
      runner.baseline?.advance(watermarkMs);
    }
  }

  /** Moves every window's watermark back to `toMs`, dropping the events counted after it (Pipeline.resetWatermark). Returns how many. */
  rewind(toMs: number): number {
    let dropped = 0;
    for (const runner of this.windowed) {
      dropped += runner.store?.rewind(toMs) ?? 0;
      // The same alerts as the window's (those matching a step): counted there.
      runner.sequence?.rewind(toMs);
      runner.baseline?.rewind(toMs);
      runner.absence?.rewind(toMs);
    }
    return dropped;
  }

  snapshot(): EvaluatorSnapshot {
    return this.windowed.map((r) => ({
      ruleId: r.compiled.rule.id,
      windowIdentity: r.compiled.windowIdentity!,
      store: r.store?.snapshot() ?? EMPTY_STORE,
      ...(r.sequence && { sequence: r.sequence.snapshot() }),
      ...(r.baseline && { baseline: r.baseline.snapshot() }),
      ...(r.absence && { absence: r.absence.snapshot() }),
    }));
  }

  /**
   * Restores window state from a snapshot, under the same rule as reload(): a rule whose window still
   * counts the same thing (same windowIdentity) gets its state back; any other is emptied.
   */
  restore(snapshot: EvaluatorSnapshot): { kept: string[]; reset: string[] } {
    const saved = new Map(snapshot.map((s) => [s.ruleId, s]));
    const kept: string[] = [];
    const reset: string[] = [];
    for (const runner of this.windowed) {
      const id = runner.compiled.rule.id;
      const state = saved.get(id);
      if (state !== undefined && state.windowIdentity === runner.compiled.windowIdentity) {
        runner.store?.restore(state.store);
        runner.sequence?.restore(state.sequence ?? EMPTY_SEQUENCE);
        runner.baseline?.restore(state.baseline ?? EMPTY_BASELINE);
        runner.absence?.restore(state.absence ?? EMPTY_ABSENCE);
        kept.push(id);
      } else {
        runner.store?.restore(EMPTY_STORE);
        runner.sequence?.restore(EMPTY_SEQUENCE);
        runner.baseline?.restore(EMPTY_BASELINE);
        runner.absence?.restore(EMPTY_ABSENCE);
        reset.push(id);
      }
    }
    return { kept, reset };
  }

  /** Window state of each windowed rule, for metrics. */
  windowStats(): { ruleId: string; stats: ReturnType<WindowStore['stats']> }[] {
    return this.windowed.flatMap((r) => (r.store ? [{ ruleId: r.compiled.rule.id, stats: r.store.stats() }] : []));
  }

  /** A silence is decided by its absence rule's conditions alone: no other rule sees it, no window counts it. */
  private decideSilence(runner: RuleRunner): Verdict {
    const { compiled } = runner;
    this.ctx.params = compiled.params;
    this.ctx.aggregates = NO_AGGREGATES;
    if (compiled.conditions.test(this.ctx)) return { kind: 'rule', decision: compiled.rule.decision, outcome: runner.outcome(true), alsoFired: NONE, late: false, lossy: false };
    return { kind: 'none', nearMisses: [runner.outcome(false)], late: false, lossy: false };
  }

  /** Runs every candidate (so every window sees every alert it matches); the first that fires wins. */
  private runRules(runners: readonly RuleRunner[], index: RuleCandidates, alert: CanonicalAlert, timeMs: number) {
    let winner: RuleOutcome | undefined;
    // Most alerts have no second firing rule and few near misses: arrays are made only when needed.
    let alsoFired: CompiledRule[] = NONE;
    let nearMisses: RuleOutcome[] = NONE;
    let late = false;
    let lossy = false;
    for (const i of index.candidates(alert)) {
      const runner = runners[i]!;
      const result = runner.run(this.ctx, alert, timeMs);
      if (result === RunResult.NotMatched) continue;
      if (this.promoteRan !== undefined && runners === this.promote) this.promoteRan(i, result === RunResult.Fired, runner.outcome(false).aggregates);
      late ||= runner.wasLate;
      lossy ||= runner.wasLossy;
      if (result === RunResult.Missed) {
        if (runner.explainsMisses) (nearMisses === NONE ? (nearMisses = []) : nearMisses).push(runner.outcome(false));
      } else if (!winner) winner = runner.outcome(true);
      else (alsoFired === NONE ? (alsoFired = []) : alsoFired).push(runner.compiled);
    }
    return { winner, alsoFired, nearMisses, late, lossy };
  }
}
