import type { Logger } from 'pino';
import { z } from 'zod';
import { AutoTuneMode, type TuningConfig } from '../config/tuning.js';
import type { AutoTuneRunStore } from '../ledger/auto-tune-runs.js';
import { TuningChange } from '../ledger/records.js';
import { parseDuration } from '../state/index.js';
import { ParamLimit } from './auto-limits.js';
import { TuneReport } from './report.js';
import { ScenarioRefusal, ScenarioTests } from './scenario-gate.js';
import type { TuningService } from './service.js';

/** A change an auto-tune run applied, or (dry-run) would apply: the tuning change without its texts. */
export const AutoTuneChange = TuningChange.pick({ ruleId: true, file: true, param: true, from: true, to: true, versionBefore: true, versionAfter: true })
  .extend({
    /** The tuning change's id; null in a dry run (nothing was written). */
    id: z.string().nullable(),
  })
  .strict();

/** One auto-tune run: what it proposed within its guardrails, what it applied (or would), what the scenario tests refused. */
export const AutoTuneRun = z
  .object({
    at: z.iso.datetime(),
    trigger: z.enum(['schedule', 'request']),
    mode: AutoTuneMode,
    changes: z.array(AutoTuneChange),
    refused: z.array(ScenarioRefusal),
    scenarioTests: ScenarioTests.nullable(),
    /** How far each tunable param could move in this run (tuning.auto.floors, tuning.auto.maxChangePerDay). */
    limits: z.array(ParamLimit),
    /** Floors that name no enabled rule or no param of it: they protect nothing. */
    problems: z.array(z.string()),
    report: TuneReport,
  })
  .strict();
export type AutoTuneRun = z.infer<typeof AutoTuneRun>;

export interface AutoTunerOptions {
  readonly service: TuningService;
  readonly auto: TuningConfig['auto'];
  readonly log: Logger;
  readonly now?: () => number;
  /** Where runs outlive this process and are shared by the workers on one ledger; without it, only this process's newest run is known. */
  readonly runs?: Pick<AutoTuneRunStore, 'record' | 'list'>;
}

/**
 * The worker's auto-tune: runs the tuner with auto-tune's guardrails (floors and change per day as
 * bounds, see limitRuleset; the scenario tests gate every change) on a wall-clock schedule
 * (`tuning.auto.enabled`, `every`) and on request (POST /tuning/auto/run), one run at a time. In
 * `dry-run` mode a run changes no rule: it logs what it would apply and keeps the run (in the ledger)
 * for GET /tuning/auto/last; in `apply` mode it applies, as `tuning.auto.author`.
 */
export class AutoTuner {
  private lastRun: AutoTuneRun | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private onApplied: (actor: string) => void = () => {};

  constructor(private readonly options: AutoTunerOptions) {
    this.now = options.now ?? Date.now;
  }

  get settings(): Pick<TuningConfig['auto'], 'enabled' | 'every' | 'mode'> {
    const { enabled, every, mode } = this.options.auto;
    return { enabled, every, mode };
  }

  /**
   * The newest run that finished, scheduled or requested, by this worker or (with the ledger) another
   * one or an earlier process. This process's newest run still counts when the ledger could not take it.
   */
  async last(): Promise<AutoTuneRun | undefined> {
    const stored = await this.newestStored();
    if (this.lastRun !== undefined && (stored === undefined || Date.parse(this.lastRun.at) > Date.parse(stored.at))) return this.lastRun;
    return stored;
  }

  private async newestStored(): Promise<AutoTuneRun | undefined> {
    const [newest] = (await this.options.runs?.list(1)) ?? [];
    if (newest === undefined) return undefined;
    const parsed = AutoTuneRun.safeParse(newest.run);
    // Written by a version whose run had another shape: this process's own runs replace it.
    if (!parsed.success) this.options.log.warn({ runAt: new Date(newest.runAtMs).toISOString() }, 'the ledger\'s newest auto-tune run has an older shape; not shown');
    return parsed.data;
  }

  /** Runs now, after any run under way; the schedule keeps its pace. */
  run(trigger: AutoTuneRun['trigger']): Promise<AutoTuneRun> {
    const next = this.queue.then(() => this.runOnce(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Starts the schedule if `tuning.auto.enabled`; `onApplied` gets the author after a run that applied
   * changes (scheduled or requested), to reload the rules as. Returns a function that stops it.
   */
  start(onApplied: (actor: string) => void, interval: { set: typeof setInterval; clear: typeof clearInterval } = { set: setInterval, clear: clearInterval }): () => void {
    this.onApplied = onApplied;
    const { auto, log } = this.options;
    if (!auto.enabled) return () => {};
    const timer = interval.set(() => {
      this.run('schedule').catch((err: Error) => log.error({ err: err.message }, 'auto-tune failed'));
    }, parseDuration(auto.every));
    timer.unref?.();
    log.info({ every: auto.every, author: auto.author, mode: auto.mode }, 'auto-tune on');
    return () => interval.clear(timer);
  }

  private async runOnce(trigger: AutoTuneRun['trigger']): Promise<AutoTuneRun> {
    const { service, auto, log } = this.options;
    const at = new Date(this.now()).toISOString();
    const request = { auto: { maxChangePerDay: auto.maxChangePerDay, floors: auto.floors } };
    let run: AutoTuneRun;
    if (auto.mode === 'dry-run') {
      const { report, edits, refused, scenarioTests, limits, problems } = await service.plan(request);
      const changes = edits.map(({ change: { ruleId, file, param, from, to }, versionBefore, versionAfter }) => ({ id: null, ruleId, file, param, from, to, versionBefore, versionAfter }));
      run = { at, trigger, mode: auto.mode, changes, refused, scenarioTests, limits, problems, report };
    } else {
      const { report, changes: applied, refused, scenarioTests, limits, problems } = await service.apply({ ...request, author: auto.author });
      const changes = applied.map(({ id, ruleId, file, param, from, to, versionBefore, versionAfter }) => ({ id, ruleId, file, param, from, to, versionBefore, versionAfter }));
      run = { at, trigger, mode: auto.mode, changes, refused, scenarioTests, limits, problems, report };
    }
    this.lastRun = run;
    await this.options.runs?.record(Date.parse(at), run).catch((err: Error) => log.error({ err: err.message }, 'could not record the auto-tune run in the ledger'));
    for (const problem of run.problems) log.warn({ problem }, 'auto-tune guardrail names nothing');
    for (const c of run.changes) log.info({ change: c.id, rule: c.ruleId, param: c.param, from: c.from, to: c.to, mode: run.mode }, run.mode === 'apply' ? 'auto-tune applied a change' : 'auto-tune would apply a change');
    for (const r of run.refused) log.warn({ kind: r.kind, rule: r.ruleId, param: r.param, from: r.from, to: r.to, scenarios: r.scenarios.map((s) => `${s.file}: ${s.name}`) }, 'auto-tune change refused by the scenario tests');
    log.info({ trigger, mode: run.mode, proposals: run.report.proposals.length, changes: run.changes.length, refused: run.refused.length }, 'auto-tune run');
    if (run.mode === 'apply' && run.changes.length > 0) this.onApplied(auto.author);
    return run;
  }
}
