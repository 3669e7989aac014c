import { Evaluator, type RuleOutcome, type Verdict } from '../decide/evaluator.js';
import type { NormalizedAlert } from '../normalize/alert.js';
import type { EvalContext } from '../rules/compile/index.js';
import type { CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';

/** A promote rule that matched an alert in the recorded run: its index in the recorded rule set's promote rules. */
interface Run {
  readonly index: number;
  readonly fired: boolean;
  readonly aggregates: Readonly<Record<string, number>>;
}

/**
 * One evaluate() of the recorded run: a verdict no promote rule's params can change (an exception, a
 * suppress rule, a silence, or no promote rule matched), or the promote rules that matched, in order.
 */
type Entry = { readonly verdict: Verdict } | { readonly runs: readonly Run[]; readonly late: boolean; readonly lossy: boolean };

/**
 * The decide stage of one whole-pipeline run, recorded (docs/tuning.md, "Cost"): every verdict, and
 * for alerts that reached the promote rules, each matching rule's aggregates and whether it fired.
 * Windows see the same alerts whatever a promote rule's params or whether it runs at all (every rule
 * whose match holds feeds its window; docs/rules.md, "Precedence"), so a run of a rule set that differs
 * only there can be decided from the record: no window is counted again.
 */
export class RecordingEvaluator extends Evaluator {
  readonly entries: Entry[] = [];
  /** silences() calls that made silences, by call number. */
  readonly silenceBatches = new Map<number, NormalizedAlert[]>();
  private silenceCalls = 0;

  constructor(readonly recorded: CompiledRuleSet) {
    super(recorded);
  }

  override evaluate(normalized: NormalizedAlert): Verdict {
    this.promoteRuns = [];
    const verdict = super.evaluate(normalized);
    const runs = this.promoteRuns;
    this.promoteRuns = undefined;
    if (verdict.kind === 'exception') this.entries.push({ verdict });
    else if (verdict.kind === 'rule' && (verdict.decision === 'suppress' || runs.length === 0)) {
      // The outcome's aggregates are the rule's live values: kept as they are now.
      this.entries.push({ verdict: { ...verdict, outcome: { ...verdict.outcome, aggregates: { ...verdict.outcome.aggregates } }, alsoFired: [] } });
    } else if (runs.length === 0) this.entries.push({ verdict: { kind: 'none', nearMisses: [], late: verdict.late, lossy: verdict.lossy } });
    else this.entries.push({ runs, late: verdict.late, lossy: verdict.lossy });
    return verdict;
  }

  override silences(watermarkMs: number): NormalizedAlert[] {
    const made = super.silences(watermarkMs);
    if (made.length > 0) this.silenceBatches.set(this.silenceCalls, made);
    this.silenceCalls++;
    return made;
  }
}

/**
 * For a rule set that differs from the recorded one only in promote rules' params (not read by their
 * match, aggregates or absence) or in promote rules left out: each recorded promote rule's counterpart
 * (undefined: left out) and whether its conditions must be evaluated again. Undefined when the record
 * cannot decide it (exceptions, suppress rules, windows, matches changed): run it in full.
 */
export function replayable(recorded: CompiledRuleSet, candidate: CompiledRuleSet): { rules: (CompiledRule | undefined)[]; changed: boolean[] } | undefined {
  if (candidate.exceptions !== recorded.exceptions || candidate.suppressRules.length !== recorded.suppressRules.length) return undefined;
  if (candidate.suppressRules.some((r, i) => r !== recorded.suppressRules[i])) return undefined;
  const byId = new Map(candidate.promoteRules.map((r) => [r.rule.id, r]));
  const rules: (CompiledRule | undefined)[] = [];
  const changed: boolean[] = [];
  for (const before of recorded.promoteRules) {
    const after = byId.get(before.rule.id);
    byId.delete(before.rule.id);
    rules.push(after);
    changed.push(after !== undefined && after !== before);
    // A silence an absence rule left out would not make is in the record.
    if (after === undefined && before.absence !== undefined) return undefined;
    if (after === undefined || after === before) continue;
    const same = after.match === before.match && after.conditions === before.conditions && after.window === before.window && after.absence === before.absence && after.incident === before.incident && after.rule.priority === before.rule.priority;
    // Params read by a filtered aggregate, a risk score or a step change what the window counts.
    if (!same || before.absence !== undefined || JSON.stringify(before.rule.aggregates).includes('"params"')) return undefined;
  }
  return byId.size === 0 ? { rules, changed } : undefined;
}

/** Decides from a record (RecordingEvaluator): recorded verdicts as they were, the promote rules' again from their recorded aggregates. */
export class TapeEvaluator extends Evaluator {
  private next = 0;
  private silenceCalls = 0;
  private readonly conditionsContext: EvalContext = { alert: {}, aggregates: {}, params: {} };

  constructor(
    candidate: CompiledRuleSet,
    private readonly recording: RecordingEvaluator,
    private readonly counterpart: { rules: readonly (CompiledRule | undefined)[]; changed: readonly boolean[] },
  ) {
    super(candidate);
  }

  override evaluate(normalized: NormalizedAlert): Verdict {
    const entry = this.recording.entries[this.next++]!;
    if ('verdict' in entry) return entry.verdict;
    const { late, lossy } = entry;
    for (const run of entry.runs) {
      const compiled = this.counterpart.rules[run.index];
      if (compiled === undefined) continue;
      let fired = run.fired;
      if (this.counterpart.changed[run.index]) {
        const ctx = this.conditionsContext;
        ctx.alert = normalized.alert;
        ctx.params = compiled.params;
        ctx.aggregates = run.aggregates;
        fired = compiled.conditions.test(ctx);
      }
      if (!fired) continue;
      const outcome: RuleOutcome = { rule: compiled, fired: true, aggregates: run.aggregates, late, lossy };
      return { kind: 'rule', decision: 'promote', outcome, alsoFired: [], late, lossy };
    }
    return { kind: 'none', nearMisses: [], late, lossy };
  }

  override silences(): NormalizedAlert[] {
    return this.recording.silenceBatches.get(this.silenceCalls++) ?? [];
  }

  /** No window is counted: nothing to move. */
  override advance(): void {}
}
