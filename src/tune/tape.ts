import { Evaluator, type RuleOutcome, type Verdict } from '../decide/evaluator.js';
import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { EvalContext } from '../rules/compile/index.js';
import type { CompiledException, CompiledRule, CompiledRuleSet, CompiledWindow } from '../rules/ruleset.js';
import { GroupCounter, Undecidable, type RecountPlan } from './recount.js';

/** A promote rule's run on an alert that its match held for: whether it fired, and its aggregates. */
export interface Run {
  readonly fired: boolean;
  readonly aggregates: Readonly<Record<string, number>>;
}

/**
 * One evaluate() of the recorded run that no promote rule's params can change: an exception, a suppress
 * rule, a silence, or no promote rule matched. A suppress verdict keeps every suppress rule that fired
 * (`alsoFired`): the suppress stage counted again (src/tune/recount.ts) reads them.
 */
export interface VerdictEntry {
  readonly verdict: Verdict;
  readonly silence?: true;
}

/** A call's kind: below RUNS a shared no-rule entry (late * 2 + lossy); RUNS + late * 2 + lossy, promote rules ran; VERDICT, a VerdictEntry of its own. */
const RUNS = 4;
const VERDICT = 8;

/**
 * The decide stage of one whole-pipeline run, recorded (docs/tuning.md, "Cost"): every verdict, and
 * for alerts that reached the promote rules, each matching rule's aggregates and whether it fired.
 * Windows see the same alerts whatever a promote rule's params or whether it runs at all (every rule
 * whose match holds feeds its window; docs/rules.md, "Precedence"), so a run of a rule set that differs
 * only there can be decided from the record: no window is counted again.
 * The runs are held in typed columns, not objects: a month of alerts is millions of runs, and objects
 * held that long are what the garbage collector walks again at every full collection.
 */
export class RecordingEvaluator extends Evaluator {
  /** The alert of each evaluate(), by call number: what an added exception is matched against. */
  readonly calls: NormalizedAlert[] = [];
  /** silences() calls that made silences, by call number. */
  readonly silenceBatches = new Map<number, NormalizedAlert[]>();
  private silenceCalls = 0;
  private readonly made = new WeakSet<CanonicalAlert>();
  /** By call: its kind (RUNS, VERDICT), and its first run (the next call's first ends its runs). */
  private kinds = new Uint8Array(1024);
  private firstRun = new Uint32Array(1025);
  /** The entries of the calls of kind VERDICT. */
  private readonly verdicts = new Map<number, VerdictEntry>();
  /** By run: the promote rule (its index), whether it fired, where its aggregates start in `values`. */
  private runRule = new Uint16Array(1024);
  private runFired = new Uint8Array(1024);
  private runValues = new Uint32Array(1024);
  private values = new Float64Array(1024);
  private runs = 0;
  private valueCount = 0;
  /** By promote rule: its aggregates' names (in the order the rule keeps them), and the object its runs' are read into. */
  private readonly names: (readonly string[])[] = [];
  private readonly read: Record<string, number>[] = [];

  constructor(readonly recorded: CompiledRuleSet) {
    super(recorded);
  }

  /** The earliest and the latest event time of the calls: no window sees anything outside them. */
  private earliestMs = Number.POSITIVE_INFINITY;
  private latestMs = Number.NEGATIVE_INFINITY;

  /** How far apart the calls' event times lie (0 with none). */
  get eventSpanMs(): number {
    return this.latestMs >= this.earliestMs ? this.latestMs - this.earliestMs : 0;
  }

  override evaluate(normalized: NormalizedAlert): Verdict {
    const call = this.calls.length;
    this.calls.push(normalized);
    if (normalized.timeMs < this.earliestMs) this.earliestMs = normalized.timeMs;
    if (normalized.timeMs > this.latestMs) this.latestMs = normalized.timeMs;
    // The runs go straight into the columns; a call that ends as a VerdictEntry takes them back.
    const runsBefore = this.runs;
    const valuesBefore = this.valueCount;
    const verdict = super.evaluate(normalized);
    let kind = VERDICT;
    if (this.made.has(normalized.alert)) {
      // A silence is decided by its absence rule alone and feeds no window.
      this.verdicts.set(call, { verdict: verdict.kind === 'rule' ? liveCopied(verdict) : verdict, silence: true });
    } else if (verdict.kind === 'exception') this.verdicts.set(call, { verdict });
    else if (verdict.kind === 'rule' && verdict.decision === 'suppress') this.verdicts.set(call, { verdict: liveCopied(verdict) });
    else kind = (this.runs === runsBefore ? 0 : RUNS) + (verdict.late ? 2 : 0) + (verdict.lossy ? 1 : 0);
    if (kind === VERDICT) {
      this.runs = runsBefore;
      this.valueCount = valuesBefore;
    }
    if (call >= this.kinds.length) this.kinds = grown(this.kinds, call + 1);
    this.kinds[call] = kind;
    if (call + 1 >= this.firstRun.length) this.firstRun = grown(this.firstRun, call + 2);
    this.firstRun[call + 1] = this.runs;
    return verdict;
  }

  protected override promoteRan = (index: number, fired: boolean, aggregates: Readonly<Record<string, number>>): void => {
    const names = (this.names[index] ??= Object.keys(aggregates));
    this.read[index] ??= { ...aggregates };
    if (this.runs >= this.runRule.length) {
      this.runRule = grown(this.runRule, this.runs + 1);
      this.runFired = grown(this.runFired, this.runs + 1);
      this.runValues = grown(this.runValues, this.runs + 1);
    }
    if (this.valueCount + names.length > this.values.length) this.values = grown(this.values, this.valueCount + names.length);
    this.runRule[this.runs] = index;
    this.runFired[this.runs] = fired ? 1 : 0;
    this.runValues[this.runs] = this.valueCount;
    for (const name of names) this.values[this.valueCount++] = aggregates[name]!;
    this.runs++;
  };

  /** The call's entry when no promote rule's params can change its verdict; undefined when promote rules ran (runsOf). */
  verdictAt(call: number): VerdictEntry | undefined {
    const kind = this.kinds[call]!;
    return kind < RUNS ? NO_PROMOTE_RULE[kind] : kind === VERDICT ? this.verdicts.get(call) : undefined;
  }

  /** Whether a call whose promote rules ran was late (some window saw it after its allowed lateness). */
  lateAt(call: number): boolean {
    return (this.kinds[call]! & 2) !== 0;
  }

  /** Whether a call whose promote rules ran read a window that had lost state. */
  lossyAt(call: number): boolean {
    return (this.kinds[call]! & 1) !== 0;
  }

  /** The first of the call's runs, in order; they end at the next call's first. */
  firstRunOf(call: number): number {
    return this.firstRun[call]!;
  }

  /** The run's promote rule, by index in the recorded rule set's promote rules. */
  ruleOf(run: number): number {
    return this.runRule[run]!;
  }

  firedAt(run: number): boolean {
    return this.runFired[run] === 1;
  }

  /** The run's aggregates, read into one object per rule: valid until that rule's next run is read (as a live rule's are). */
  aggregatesOf(run: number): Readonly<Record<string, number>> {
    const index = this.runRule[run]!;
    const out = this.read[index]!;
    let at = this.runValues[run]!;
    for (const name of this.names[index]!) out[name] = this.values[at++]!;
    return out;
  }

  /** Each windowed rule's window stats at the end of the recorded run (seal()). */
  stats: ReturnType<Evaluator['windowStats']> = [];

  /**
   * Ends the recording: the windows' stats are kept (whether a window lost state, src/tune/recount.ts)
   * and their contents let go, as is the columns' room to grow; later runs read the record, never these windows.
   */
  seal(): void {
    this.stats = this.windowStats();
    this.restore([]);
    this.kinds = this.kinds.slice(0, this.calls.length);
    this.firstRun = this.firstRun.slice(0, this.calls.length + 1);
    this.runRule = this.runRule.slice(0, this.runs);
    this.runFired = this.runFired.slice(0, this.runs);
    this.runValues = this.runValues.slice(0, this.runs);
    this.values = this.values.slice(0, this.valueCount);
  }

  override silences(watermarkMs: number): NormalizedAlert[] {
    const made = super.silences(watermarkMs);
    if (made.length > 0) this.silenceBatches.set(this.silenceCalls, made);
    for (const { alert } of made) this.made.add(alert);
    this.silenceCalls++;
    return made;
  }
}

/** The column with room for `need` entries: twice as long, or `need`. */
function grown<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(column: T, need: number): T {
  const longer = new (column.constructor as new (length: number) => T)(Math.max(need, column.length * 2));
  longer.set(column as never);
  return longer;
}

/** No promote rule matched: one shared entry per (late, lossy), index late * 2 + lossy. */
const NO_PROMOTE_RULE: readonly VerdictEntry[] = [false, true].flatMap((late) => [false, true].map((lossy): VerdictEntry => ({ verdict: { kind: 'none', nearMisses: [], late, lossy } })));

/** The outcome's aggregates are the rule's live values: kept as they are now. */
function liveCopied(verdict: Extract<Verdict, { kind: 'rule' }>): Verdict {
  return { ...verdict, outcome: { ...verdict.outcome, aggregates: { ...verdict.outcome.aggregates } } };
}

/** How a candidate rule set differs from the recorded one, where the record can still decide its run. */
export interface Counterpart {
  /** Each recorded promote rule's counterpart (undefined: left out). */
  readonly rules: readonly (CompiledRule | undefined)[];
  /** Whether its conditions must be evaluated again (its params changed). */
  readonly changed: readonly boolean[];
  /** Whether its window counts differently (a smaller window): every group is counted again. */
  readonly recounted: readonly boolean[];
  /** The candidate's exceptions the recorded rules do not have. */
  readonly added: readonly CompiledException[];
}

/**
 * For a rule set that differs from the recorded one only in promote rules' params (not read by their
 * match, aggregates or absence), in promote rules left out, in promote rules' window sizes, or in added
 * exceptions: how (Counterpart). Undefined when the record cannot decide it (suppress rules, matches
 * or aggregates changed, exceptions removed): run it in full. Added exceptions and smaller windows are
 * decided by counting the windows' touched groups again (src/tune/recount.ts).
 */
export function replayable(recorded: CompiledRuleSet, candidate: CompiledRuleSet, eventSpanMs = Number.POSITIVE_INFINITY): Counterpart | undefined {
  const had = new Set(recorded.exceptions);
  const kept = candidate.exceptions.filter((e) => had.has(e));
  if (kept.length !== recorded.exceptions.length || candidate.suppressRules.length !== recorded.suppressRules.length) return undefined;
  if (candidate.suppressRules.some((r, i) => r !== recorded.suppressRules[i])) return undefined;
  const byId = new Map(candidate.promoteRules.map((r) => [r.rule.id, r]));
  const rules: (CompiledRule | undefined)[] = [];
  const changed: boolean[] = [];
  const recounted: boolean[] = [];
  for (const before of recorded.promoteRules) {
    const after = byId.get(before.rule.id);
    byId.delete(before.rule.id);
    rules.push(after);
    changed.push(after !== undefined && after !== before);
    const resized = after !== undefined && after.window !== before.window;
    const recount = resized && !sameCounts(before.window, after!.window, eventSpanMs);
    recounted.push(recount);
    // A silence an absence rule left out would not make is in the record.
    if (after === undefined && before.absence !== undefined) return undefined;
    if (after === undefined || after === before) continue;
    const same = after.match === before.match && after.conditions === before.conditions && after.absence === before.absence && after.incident === before.incident && after.rule.priority === before.rule.priority;
    // Counted again, a window may change its size only: the same groups, the same aggregates.
    const sameCounting = recount ? after.window!.groupReaders === before.window?.groupReaders && after.window!.aggregates === before.window.aggregates : !JSON.stringify(before.rule.aggregates).includes('"params"');
    // Params read by a filtered aggregate, a risk score or a step change what the window counts.
    if (!same || !sameCounting || before.absence !== undefined) return undefined;
  }
  const added = candidate.exceptions.filter((e) => !had.has(e));
  return byId.size === 0 ? { rules, changed, recounted, added } : undefined;
}

/**
 * Whether a window whose size changed counts what it counted: both sizes longer than the recorded
 * alerts' event-time span (every event a window held stays in every later one's (t - size, t], none is
 * forgotten, none goes idle), nothing else of it changed, and no spike or sequence (their state is
 * by period). Only explanations' `lossy` marks, which no incident reads, can differ.
 */
function sameCounts(before: CompiledWindow | undefined, after: CompiledWindow | undefined, eventSpanMs: number): boolean {
  if (before === undefined || after === undefined || before.spike || before.sequence) return false;
  if (!(before.sizeMs > eventSpanMs && after.sizeMs > eventSpanMs)) return false;
  const fields = Object.keys(before) as (keyof CompiledWindow)[];
  return fields.length === Object.keys(after).length && fields.every((field) => field === 'sizeMs' || before[field] === after[field]);
}

/**
 * Decides from a record (RecordingEvaluator): recorded verdicts as they were, the promote rules' again
 * from their recorded aggregates; an alert an added exception silences is silenced, and the windows'
 * groups the plan counts again are fed afresh (GroupCounter) and decide for their alerts. Throws
 * Undecidable when an alert's suppress verdict changes (the promote rules' windows would then see
 * other alerts than the record's): the caller runs the whole pipeline instead.
 */
export class TapeEvaluator extends Evaluator {
  private next = 0;
  private silenceCalls = 0;
  private readonly conditionsContext: EvalContext = { alert: {}, aggregates: {}, params: {} };
  private readonly suppressCounters: readonly GroupCounter[];
  /** By recorded promote rule index: the window counted again, if it is. */
  private readonly promoteCounters: readonly (GroupCounter | undefined)[];
  private readonly counters: readonly GroupCounter[];
  private readonly promoteCounting: boolean;

  constructor(
    private readonly candidate: CompiledRuleSet,
    private readonly recording: RecordingEvaluator,
    private readonly counterpart: Counterpart,
    private readonly plan: RecountPlan,
  ) {
    super(candidate);
    this.suppressCounters = [...plan.suppress].map(([index, groups]) => new GroupCounter(candidate.suppressRules[index]!, candidate, groups));
    this.promoteCounters = counterpart.rules.map((rule, index) => {
      const groups = plan.promote.get(index);
      return groups && rule && new GroupCounter(rule, candidate, groups);
    });
    this.counters = [...this.suppressCounters, ...this.promoteCounters.filter((c) => c !== undefined)];
    this.promoteCounting = this.counters.length > this.suppressCounters.length;
  }

  override evaluate(normalized: NormalizedAlert): Verdict {
    const call = this.next++;
    const recording = this.recording;
    const entry = recording.verdictAt(call);
    const exception = this.plan.excepted.get(call);
    if (exception) return { kind: 'exception', exception, late: false, lossy: false };
    if (entry !== undefined && (entry.silence || entry.verdict.kind === 'exception')) return entry.verdict;
    if (this.suppressCounters.length > 0) {
      const suppressed = this.suppressAgain(normalized, entry);
      if (suppressed) return suppressed;
    }
    if (entry !== undefined) return entry.verdict;
    const late = recording.lateAt(call);
    const lossy = recording.lossyAt(call);
    let winner: RuleOutcome | undefined;
    for (let run = recording.firstRunOf(call), end = recording.firstRunOf(call + 1); run < end; run++) {
      const index = recording.ruleOf(run);
      const compiled = this.counterpart.rules[index];
      if (compiled === undefined) continue;
      const again = this.promoteCounters[index]?.count(normalized);
      let fired: boolean;
      let aggregates: Readonly<Record<string, number>>;
      if (again) ({ fired, aggregates } = again);
      else {
        aggregates = recording.aggregatesOf(run);
        fired = recording.firedAt(run);
        if (this.counterpart.changed[index]) {
          const ctx = this.conditionsContext;
          ctx.alert = normalized.alert;
          ctx.params = compiled.params;
          ctx.aggregates = aggregates;
          fired = compiled.conditions.test(ctx);
        }
      }
      if (!fired || winner) continue;
      winner = { rule: compiled, fired: true, aggregates, late, lossy };
      // Windows counted again see every alert they match, whoever decides it.
      if (!this.promoteCounting) break;
    }
    return winner ? { kind: 'rule', decision: 'promote', outcome: winner, alsoFired: [], late, lossy } : NO_PROMOTE_RULE[(late ? 2 : 0) + (lossy ? 1 : 0)]!.verdict;
  }

  /**
   * The suppress stage where a suppress rule's group is counted again: the recorded suppress rules that
   * fired, with the counted-again ones' outcomes in their place. A suppress verdict when it suppresses.
   */
  private suppressAgain(normalized: NormalizedAlert, entry: VerdictEntry | undefined): Verdict | undefined {
    const recorded = entry !== undefined && entry.verdict.kind === 'rule' ? entry.verdict : undefined;
    const again = new Map<CompiledRule, NonNullable<ReturnType<GroupCounter['count']>>>();
    for (const counter of this.suppressCounters) {
      const run = counter.count(normalized);
      if (run) again.set(counter.rule, run);
    }
    if (again.size === 0) return recorded;
    const firedBefore = (rule: CompiledRule) => recorded !== undefined && (recorded.outcome.rule === rule || recorded.alsoFired.includes(rule));
    const winner = this.candidate.suppressRules.find((rule) => again.get(rule)?.fired ?? firedBefore(rule));
    if ((winner !== undefined) !== (recorded !== undefined)) throw new Undecidable('an alert suppressed differently reaches other promote rules than the record holds');
    if (winner === undefined || winner === recorded!.outcome.rule) return recorded;
    const { late, lossy } = recorded!;
    return { kind: 'rule', decision: 'suppress', outcome: { rule: winner, fired: true, aggregates: again.get(winner)?.aggregates ?? {}, late, lossy }, alsoFired: [], late, lossy };
  }

  override silences(): NormalizedAlert[] {
    return this.recording.silenceBatches.get(this.silenceCalls++) ?? [];
  }

  /** Only the windows counted again are counted: they move with the stream. */
  override advance(watermarkMs: number): void {
    for (const counter of this.counters) counter.advance(watermarkMs);
  }
}
