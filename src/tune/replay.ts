import { createReadStream } from 'node:fs';
import type { CaseMergeOptions } from '../cases/case-merger.js';
import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { NormalizeResult, Normalizer } from '../normalize/index.js';
import type { DedupOptions } from '../dedup/seen-alerts.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { TuningIncident } from '../ledger/records.js';
import type { CompiledException, CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import { readLines, type InputLine } from '../source/index.js';
import type { Evaluator } from '../decide/evaluator.js';
import { HeldAlerts } from './held-alerts.js';
import { planRecount, Undecidable } from './recount.js';
import { RecordingEvaluator, replayable, TapeEvaluator } from './tape.js';

/**
 * What one run of the whole pipeline promoted: every incident with every alert promoted into it (an
 * alert promoted is in exactly one; no index by alert is kept, a month of alerts has millions promoted).
 */
export interface PipelineRun {
  /** Incident id → its rule and the ids of all its alerts, in the order they were promoted. */
  readonly incidents: ReadonlyMap<string, { readonly ruleId: string; readonly alerts: readonly string[] }>;
}

/**
 * Whole-pipeline counterfactuals: the stored alerts re-run through the real pipeline (exceptions,
 * suppress and promote rules by precedence, windows, lateness, incident grouping, case merging) with
 * a candidate rule set. The alerts are read and normalized once and kept in memory; each run writes
 * no decision records, and runs are cached by rule set fingerprint. The first run's decide stage is
 * recorded, and a later run whose rules differ from it only in promote rules' params, promote rules
 * left out, promote rules' window sizes or added exceptions is decided from the record (src/tune/tape.ts):
 * incidents and cases are formed again, and only the windows' groups a change touches are counted again
 * (src/tune/recount.ts).
 */
export class ReplayEvaluator {
  private readonly cache = new Map<string, PipelineRun>();
  /** The first run's decide stage, recorded: later runs that differ only in promote rules' params, rules left out, window sizes or added exceptions are decided from it. */
  private recording: RecordingEvaluator | undefined;
  /** Runs made (not cached), and of them those decided from the record. */
  readonly stats = { runs: 0, fromRecord: 0 };
  /**
   * After the first run: the normalized lines with the alerts it decided `duplicate` left out (null: nothing
   * is left of the line, it is left out). The dedup stage decides by id and event time before any rule
   * sees an alert, so every run finds the same duplicates: later runs leave them out and run without it.
   */
  private deduplicated: readonly (NormalizeResult | null | undefined)[] | undefined;

  private constructor(
    /** The normalized lines, numbered 1..n in the order given (normalized[i] belongs to line i + 1). */
    private readonly normalized: readonly (NormalizeResult | undefined)[],
    /** The lines too long to read, by line number: every run dead-letters them again. */
    private readonly oversized: ReadonlyMap<number, InputLine>,
    private readonly cases: CaseMergeOptions,
  ) {}

  /** Reads the files, in order, as one stream, normalizing as it reads (the text is never held whole). */
  static async load(files: readonly string[], normalize: Normalizer, maxLineBytes: number, cases: CaseMergeOptions = NO_CASES): Promise<ReplayEvaluator> {
    const reading = new Reading(normalize);
    for (const file of files) for await (const batch of readLines(createReadStream(file), { maxLineBytes })) for (const line of batch) reading.add(line);
    return ReplayEvaluator.from(reading, cases);
  }

  static of(input: readonly InputLine[], normalize: Normalizer, cases: CaseMergeOptions = NO_CASES): ReplayEvaluator {
    const reading = new Reading(normalize);
    for (const line of input) reading.add(line);
    return ReplayEvaluator.from(reading, cases);
  }

  private static from({ read }: Reading, cases: CaseMergeOptions): ReplayEvaluator {
    return new ReplayEvaluator(read.normalized, read.oversized, cases);
  }

  /** Every valid alert of the files, in order. */
  alerts(): Iterable<NormalizedAlert> {
    return validAlerts(this.normalized);
  }

  /** Those of `ids` that are ids of alerts in the files. */
  inFiles(ids: ReadonlySet<string>): Set<string> {
    return new Set(this.alertsById(ids).keys());
  }

  /** The alerts of the files with these ids (a scan of the held alerts). */
  alertsById(ids: ReadonlySet<string>): Map<string, NormalizedAlert['alert']> {
    const found = new Map<string, NormalizedAlert['alert']>();
    if (ids.size === 0) return found;
    const take = (alert: NormalizedAlert['alert']) => {
      if (ids.has(alert.id)) found.set(alert.id, alert);
    };
    for (const result of this.normalized) {
      // Most lines are one alert: read without the generator of alerts() (a month of alerts is millions of lines).
      if (result?.ok === true) take(result.alert);
      else if (result?.ok === 'split') for (const part of result.parts) if (part.ok) take(part.alert);
    }
    return found;
  }

  /** The alerts run with `ruleset` (cached by its fingerprint). */
  run(ruleset: CompiledRuleSet): PipelineRun {
    const cached = this.cache.get(ruleset.fingerprint);
    if (cached) return cached;
    this.stats.runs++;
    const recording = this.recording;
    const counterpart = recording && replayable(recording.recorded, ruleset, recording.eventSpanMs);
    const plan = counterpart && planRecount(recording!, ruleset, counterpart);
    let run: PipelineRun | undefined;
    if (plan) {
      try {
        run = this.runWith(ruleset, new TapeEvaluator(ruleset, recording!, counterpart!, plan));
        this.stats.fromRecord++;
      } catch (error) {
        if (!(error instanceof Undecidable)) throw error;
      }
    }
    if (!run) {
      const recorder = recording ? undefined : (this.recording = new RecordingEvaluator(ruleset));
      run = this.runWith(ruleset, recorder);
      recorder?.seal();
    }
    // The first run (the current rules, which every check compares with) and the latest are kept: a
    // month of alerts is too many to hold every run's incidents.
    for (const fingerprint of [...this.cache.keys()].slice(1)) this.cache.delete(fingerprint);
    this.cache.set(ruleset.fingerprint, run);
    return run;
  }

  private runWith(ruleset: CompiledRuleSet, evaluator: Evaluator | undefined): PipelineRun {
    const incidents = new Map<string, { ruleId: string; alerts: string[] }>();
    const deduplicated = this.deduplicated;
    const lines = deduplicated ?? this.normalized;
    const duplicates = deduplicated ? undefined : new Set<CanonicalAlert>();
    const pipeline = new Pipeline({
      ruleset,
      evaluator,
      normalize: (_text, line) => lines[line - 1]!,
      cases: this.cases,
      decisionRecords: false,
      // A run's incidents are read from its decisions (below): their records need no alert ids.
      maxAlertIdsPerIncident: 0,
      ...(deduplicated && { dedup: NO_DEDUP }),
      sinks: {
        decision: (_json, alertId, facts) => {
          if (facts.decision === 'duplicate') duplicates?.add(facts.alert);
          if (facts.decision !== 'promote' || facts.incidentId === undefined || facts.ruleId === null) return;
          let incident = incidents.get(facts.incidentId);
          if (!incident) incidents.set(facts.incidentId, (incident = { ruleId: facts.ruleId, alerts: [] }));
          incident.alerts.push(alertId);
        },
        incident: () => {},
        deadLetter: () => {},
      },
    });
    // The lines are made a batch at a time (the normalizer above reads the held alert by line number),
    // from the same line objects every batch: the pipeline keeps none, and a month of alerts is millions
    // of lines per run.
    const batch: InputLine[] = [];
    const reused = Array.from({ length: BATCH }, () => ({ line: 0, text: '' }));
    const oversized = this.oversized.size > 0 ? this.oversized : undefined;
    for (let line = 1; line <= lines.length; line++) {
      if (lines[line - 1] !== null) {
        let input: InputLine | undefined = oversized?.get(line);
        if (input === undefined) {
          const free = reused[batch.length]!;
          free.line = line;
          input = free;
        }
        batch.push(input);
      }
      if (batch.length === BATCH || line === lines.length) {
        pipeline.processBatch(batch);
        batch.length = 0;
      }
    }
    pipeline.finish();
    if (duplicates) this.deduplicated = withoutDuplicates(this.normalized, duplicates);
    return { incidents };
  }
}

/** Later runs' pipelines: no dedup stage (ReplayEvaluator.deduplicated). */
const NO_DEDUP: DedupOptions = { horizonMs: 0, maxIds: 1 };

/** The lines without their duplicates (null where nothing is left of a line). */
function withoutDuplicates(normalized: readonly (NormalizeResult | undefined)[], duplicates: ReadonlySet<CanonicalAlert>): (NormalizeResult | null | undefined)[] {
  return normalized.map((result) => {
    if (duplicates.size === 0 || result === undefined || result.ok === false) return result;
    if (result.ok === true) return duplicates.has(result.alert) ? null : result;
    const parts = result.parts.filter((p) => !p.ok || !duplicates.has(p.alert));
    return parts.length === result.parts.length ? result : parts.length === 0 ? null : { ...result, parts };
  });
}

/** Lines per pipeline batch in a run. */
const BATCH = 4096;

/** The files as they are read: each line normalized and held (HeldAlerts), the text dropped. */
class Reading {
  private readonly normalized: (NormalizeResult | undefined)[] = [];
  private readonly oversized = new Map<number, InputLine>();
  private readonly held = new HeldAlerts();

  constructor(private readonly normalize: Normalizer) {}

  add(input: InputLine): void {
    const line = this.normalized.length + 1;
    if ('oversized' in input) {
      this.oversized.set(line, { ...input, line });
      this.normalized.push(undefined);
      return;
    }
    this.normalized.push(this.held.hold(this.normalize(input.text, line)));
  }

  get read(): { normalized: readonly (NormalizeResult | undefined)[]; oversized: ReadonlyMap<number, InputLine> } {
    return { normalized: this.normalized, oversized: this.oversized };
  }
}

function* validAlerts(normalized: readonly (NormalizeResult | undefined)[]): Iterable<NormalizedAlert> {
  for (const result of normalized) {
    if (result === undefined || result.ok === false) continue;
    for (const part of result.ok === 'split' ? result.parts : [result]) if (part.ok) yield part;
  }
}

const NO_CASES: CaseMergeOptions = { mergeBy: [], windowMs: 0 };

/** The rule set with one param of one rule set to `value` (the compiled conditions read params at run time). */
export function withParam(ruleset: CompiledRuleSet, ruleId: string, param: string, value: number): CompiledRuleSet {
  const swap = (compiled: CompiledRule): CompiledRule => {
    if (compiled.rule.id !== ruleId) return compiled;
    const declared = compiled.rule.params[param]!;
    return {
      ...compiled,
      params: { ...compiled.params, [param]: value },
      rule: { ...compiled.rule, params: { ...compiled.rule.params, [param]: { ...declared, value } } },
    };
  };
  return {
    ...ruleset,
    suppressRules: ruleset.suppressRules.map(swap),
    promoteRules: ruleset.promoteRules.map(swap),
    fingerprint: `${ruleset.fingerprint}+${ruleId}.${param}=${value}`,
  };
}

/** The rule set with one more exception, in its place by id (exceptions are checked in id order). */
export function withException(ruleset: CompiledRuleSet, exception: CompiledException, fingerprint: string = exception.exception.id): CompiledRuleSet {
  const exceptions = [...ruleset.exceptions, exception].sort((a, b) => (a.exception.id < b.exception.id ? -1 : 1));
  return { ...ruleset, exceptions, fingerprint: `${ruleset.fingerprint}+exception:${fingerprint}` };
}

/**
 * An incident's alerts: every alert the current rules' run promoted into it, or the ids its record
 * lists when that run does not have it (an incident of an older rule version).
 */
export function alertsOf(baseline: PipelineRun, incident: TuningIncident): readonly string[] {
  return baseline.incidents.get(incident.record.id)?.alerts ?? incident.record.alertIds;
}

/** The rule set without one promote rule, as if its file said `enabled: false`. */
export function withoutRule(ruleset: CompiledRuleSet, ruleId: string): CompiledRuleSet {
  const gone = ruleset.promoteRules.find((r) => r.rule.id === ruleId);
  return {
    ...ruleset,
    promoteRules: ruleset.promoteRules.filter((r) => r !== gone),
    disabledRules: gone ? [...ruleset.disabledRules, { ...gone.rule, enabled: false }] : ruleset.disabledRules,
    fingerprint: `${ruleset.fingerprint}-${ruleId}`,
  };
}
