import { admits, Evaluator } from '../decide/evaluator.js';
import { ExceptionIndex } from '../decide/exception-index.js';
import { groupKeyOf } from '../decide/group-key.js';
import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { EvalContext } from '../rules/compile/index.js';
import type { CompiledException, CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import type { Counterpart, RecordingEvaluator, Run } from './tape.js';

/** The record cannot decide this run (docs/tuning.md, "Cost"): it is run in full. */
export class Undecidable extends Error {}

/** The groups of one rule's window counted again: every group, or those with these keys. */
export type Groups = 'all' | ReadonlySet<string>;

/**
 * What a run decided from the record counts again (docs/tuning.md, "Cost"). An exception silences an
 * alert ahead of every rule, so the alert no longer feeds any window: only the groups (per rule, per
 * group key) it fed in the recorded run can count differently, and only their alerts can be decided
 * differently. A smaller window counts every group of its rule differently.
 */
export interface RecountPlan {
  /** evaluate() calls an added exception silences, with the first one that matches. */
  readonly excepted: ExceptedCalls;
  /** Suppress rules (by index) whose groups an excepted alert fed. */
  readonly suppress: ReadonlyMap<number, Groups>;
  /** Promote rules (by recorded index) counted again. */
  readonly promote: ReadonlyMap<number, Groups>;
}

/**
 * The groups a candidate's added exceptions and smaller windows touch. A touched rule's window that lost
 * state in the recorded run or keeps state across its groups (maxKeys, maxEvents, a spike's or a
 * sequence's store) cannot have its groups counted apart: it is counted again whole ('all'), fed every
 * alert that reaches it, as a smaller window is. Undefined when the record cannot decide the run: an
 * excepted alert kept an absence rule's group alive (its silences would change).
 */
export function planRecount(recording: RecordingEvaluator, candidate: CompiledRuleSet, counterpart: Counterpart): RecountPlan | undefined {
  const promote = new Map<number, Groups>();
  counterpart.recounted.forEach((all, index) => all && promote.set(index, 'all'));
  const suppress = new Map<number, Groups>();
  if (counterpart.added.length === 0) return { excepted: new ExceptedCalls(candidate.exceptions, 0), suppress, promote };
  const excepted = new ExceptedCalls(candidate.exceptions, recording.calls.length);
  const order = new Map(candidate.exceptions.map((e, i) => [e, i]));
  const added = new ExceptionIndex(counterpart.added, order);
  const ctx: EvalContext = { alert: {}, aggregates: {}, params: {} };
  const stats = new Map(recording.stats.map((s) => [s.ruleId, s.stats]));
  const apart = (rule: CompiledRule): boolean => {
    const s = stats.get(rule.rule.id);
    return !rule.window?.spike && !rule.window?.sequence && s !== undefined && s.overflowEvictions === 0 && s.droppedEvents === 0 && s.lossyObservations === 0;
  };
  const suppressApart = candidate.suppressRules.map(apart);
  const promoteApart = recording.recorded.promoteRules.map(apart);
  const absenceRules = counterpart.rules.flatMap((rule, index) => (rule?.absence ? [index] : []));
  /** The excepted alert's group in the rule's window is touched: its key, or the whole window when it cannot be counted apart. */
  const touch = (groups: Map<number, Groups>, index: number, rule: CompiledRule, countedApart: boolean, alert: CanonicalAlert, admitted = false): void => {
    if ((!rule.window && !rule.absence) || groups.get(index) === 'all') return;
    ctx.alert = alert;
    if (!admitted && !admits(rule, ctx, alert)) return;
    if (rule.absence) throw new Undecidable(`an excepted alert kept a group of absence rule ${rule.rule.id} alive`);
    if (!countedApart) {
      groups.set(index, 'all');
      return;
    }
    const key = groupKeyOf(rule.window!.groupReaders, alert);
    if (key === undefined) return;
    const keys = groups.get(index);
    if (keys) (keys as Set<string>).add(key);
    else groups.set(index, new Set([key]));
  };
  try {
    for (let call = 0; call < recording.calls.length; call++) {
      const { alert, timeMs } = recording.calls[call]!;
      const exception = added.first(alert, timeMs);
      if (exception === undefined) continue;
      const entry = recording.verdictAt(call);
      if (entry?.verdict.kind === 'exception') {
        // Silenced already: only which exception silences it can change.
        if (order.get(exception)! < order.get(entry.verdict.exception)!) excepted.set(call, order.get(exception)!);
        continue;
      }
      excepted.set(call, order.get(exception)!);
      if (entry?.silence) continue;
      candidate.suppressRules.forEach((rule, index) => touch(suppress, index, rule, suppressApart[index]!, alert));
      // A suppressed alert never reached the promote rules' windows.
      if (entry !== undefined && entry.verdict.kind !== 'none') continue;
      // The windowed promote rules it reached are the record's runs of the call (their match held, and
      // the candidate's matches are the recorded ones); an absence rule keeps no run: its match is tested.
      for (let run = recording.firstRunOf(call), end = recording.firstRunOf(call + 1); run < end; run++) {
        const index = recording.ruleOf(run);
        const rule = counterpart.rules[index];
        if (rule) touch(promote, index, rule, promoteApart[index]!, alert, true);
      }
      absenceRules.forEach((index) => touch(promote, index, counterpart.rules[index]!, false, alert));
    }
  } catch (error) {
    if (error instanceof Undecidable) return undefined;
    throw error;
  }
  return { excepted, suppress, promote };
}

/**
 * Which exception silences each call, by call: a typed column, not a map (an exception may silence
 * millions of a month's alerts).
 */
export class ExceptedCalls {
  /** By call: the exception's index in `exceptions` plus one; 0 for none. */
  private readonly byCall: Uint32Array;

  constructor(
    private readonly exceptions: readonly CompiledException[],
    calls: number,
  ) {
    this.byCall = new Uint32Array(calls);
  }

  set(call: number, index: number): void {
    this.byCall[call] = index + 1;
  }

  get(call: number): CompiledException | undefined {
    const index = this.byCall[call];
    return index ? this.exceptions[index - 1] : undefined;
  }
}

/**
 * One rule's window counted again from empty for some of its groups (or all): fed, in order, the
 * alerts of those groups that reach it in the candidate's run, and moved with the stream's watermark,
 * exactly as the whole pipeline's window would be.
 */
export class GroupCounter {
  private readonly evaluator: Evaluator;
  private readonly ctx: EvalContext = { alert: {}, aggregates: {}, params: {} };

  constructor(
    readonly rule: CompiledRule,
    candidate: CompiledRuleSet,
    private readonly groups: Groups,
  ) {
    // The rule alone, as a promote rule (Evaluator.runAlone).
    this.evaluator = new Evaluator({ ...candidate, exceptions: [], suppressRules: [], promoteRules: [rule] });
  }

  /** The rule's run on the alert (counted) when the alert is in one of the groups counted again; its aggregates are live until the next count(). */
  count(normalized: NormalizedAlert): Run | undefined {
    if (this.groups !== 'all') {
      const { alert } = normalized;
      this.ctx.alert = alert;
      if (!admits(this.rule, this.ctx, alert)) return undefined;
      const key = groupKeyOf(this.rule.window!.groupReaders, alert);
      if (key === undefined || !this.groups.has(key)) return undefined;
    }
    return this.evaluator.runAlone(normalized);
  }

  advance(watermarkMs: number): void {
    this.evaluator.advance(watermarkMs);
  }
}
