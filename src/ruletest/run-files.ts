import { dirname, resolve } from 'node:path';
import { createNormalizer, type Normalizer } from '../normalize/index.js';
import { loadRules, type LoadResult } from '../rules/load.js';
import { formatProblem, type RuleProblem } from '../rules/problems.js';
import { listRuleFiles, locate, readRuleFile, type RuleDocument } from '../rules/read-files.js';
import { checkExpectations } from './check-expectations.js';
import { expandAlerts } from './expand-alerts.js';
import { reportOf, type ScenarioReport, type ScenarioResult } from './report.js';
import { runScenario } from './run-scenario.js';
import { Scenario } from './scenario-schema.js';

export interface ScenarioFilesOptions {
  /** The rules under test. */
  readonly rulesDir: string;
  /** Scenario files: every *.yaml, *.yml and *.json in it; a file may hold several scenarios (YAML documents or a list). */
  readonly testsDir: string;
  /**
   * The rules directory `rulesDir` stands in for (the tuner's candidate rules on a copy): a scenario whose
   * own `rules` names this directory runs against `rulesDir` instead.
   */
  readonly standsInFor?: string | undefined;
}

/** Runs every scenario in testsDir against the real pipeline and reports each one. */
export async function runScenarioFiles(options: ScenarioFilesOptions): Promise<ScenarioReport> {
  let files: string[];
  try {
    files = await listRuleFiles(options.testsDir);
  } catch (err) {
    throw new Error(`cannot read scenario directory ${options.testsDir}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new Error(`no scenario files (*.yaml, *.yml, *.json) in ${options.testsDir}`);
  const context: RunContext = {
    defaultRules: resolve(options.rulesDir),
    standsInFor: options.standsInFor === undefined ? undefined : resolve(options.standsInFor),
    rulesets: new Map(),
    normalize: createNormalizer({ format: 'canonical' }),
  };
  const results: ScenarioResult[] = [];
  for (const file of files) {
    const problems: RuleProblem[] = [];
    const docs = await readRuleFile(file, problems);
    if (problems.length > 0) results.push({ file, name: '(unreadable file)', alerts: 0, failures: problems.map(formatProblem) });
    for (const doc of docs) results.push(await runDocument(doc, context));
  }
  return reportOf(files.length, results);
}

interface RunContext {
  readonly defaultRules: string;
  readonly standsInFor: string | undefined;
  /** Each rules directory is loaded once; every scenario gets a fresh pipeline (fresh windows) over it. */
  readonly rulesets: Map<string, Promise<LoadResult>>;
  readonly normalize: Normalizer;
}

async function runDocument(doc: RuleDocument, context: RunContext): Promise<ScenarioResult> {
  const { file } = doc;
  const parsed = Scenario.safeParse(doc.value);
  if (!parsed.success) {
    const failures = parsed.error.issues.map((issue) => formatProblem(locate(doc, issue.path, issue.message)));
    return { file, name: nameOf(doc), alerts: 0, failures };
  }
  const scenario = parsed.data;
  const expanded = expandAlerts(scenario);
  if (!expanded.ok) {
    return { file, name: scenario.name, alerts: 0, failures: [formatProblem(locate(doc, expanded.problem.path, expanded.problem.message))] };
  }
  const { alerts } = expanded;
  const named = scenario.rules === undefined ? undefined : resolve(dirname(file), scenario.rules);
  const rulesDir = named === undefined || named === context.standsInFor ? context.defaultRules : named;
  const loaded = await rulesetOf(rulesDir, context);
  const prefix = `${file}: ${scenario.name}: `;
  if (!loaded.ok) {
    const failures = [`${prefix}the rules in ${rulesDir} do not load:`, ...loaded.problems.map((p) => `  ${formatProblem(p)}`)];
    return { file, name: scenario.name, alerts: alerts.length, failures };
  }
  const run = runScenario(loaded.ruleset, context.normalize, alerts);
  const failures = checkExpectations(scenario.expect, alerts, run).map((f) => prefix + f);
  return { file, name: scenario.name, alerts: alerts.length, failures };
}

function rulesetOf(dir: string, context: RunContext): Promise<LoadResult> {
  let loading = context.rulesets.get(dir);
  if (loading === undefined) context.rulesets.set(dir, (loading = loadRules(dir)));
  return loading;
}

/** A name for a scenario that failed validation: its own if it has one, else its place in the file. */
function nameOf(doc: RuleDocument): string {
  const name = (doc.value as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && name.length > 0) return name;
  return doc.base.length > 0 ? `scenario ${doc.base.join('/')}` : '(unnamed scenario)';
}
