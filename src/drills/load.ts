import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { CASES_DEFAULTS } from '../config/cases.js';
import { DELIVERY_DEFAULTS } from '../config/delivery.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { loadEscalation } from '../escalation/load.js';
import { createNormalizer } from '../normalize/index.js';
import { loadObligations } from '../obligations/load.js';
import { formatProblem, type RuleProblem } from '../rules/problems.js';
import { loadRules } from '../rules/load.js';
import { locate, parseLocated, readRuleFile } from '../rules/read-files.js';
import { expandAlerts, type ScenarioAlert } from '../ruletest/expand-alerts.js';
import { Drill } from './drill-schema.js';
import type { DrillSetup } from './simulation.js';

/** A drill file that cannot run: every problem located (file, JSON pointer, line). */
export class DrillLoadError extends Error {
  constructor(readonly problems: readonly RuleProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'DrillLoadError';
  }
}

/**
 * Reads a drill file and what it runs with: its config (cases, delivery, receivers), rules, escalation
 * and obligations files (the drill's own paths first, relative to the drill file; else the config's,
 * relative to the config file), and its alerts (inline, generated or a fixture). Throws a
 * DrillLoadError naming every problem.
 */
export async function loadDrill(file: string): Promise<DrillSetup> {
  const problems: RuleProblem[] = [];
  const docs = await readRuleFile(file, problems);
  if (problems.length > 0) throw new DrillLoadError(problems);
  const doc = docs[0];
  if (doc === undefined || docs.length > 1 || doc.base.length > 0) throw new DrillLoadError([{ file, pointer: '', message: 'expected one mapping: name, stream, expect (docs/drills.md)' }]);
  const drill = parseLocated(doc, Drill, problems);
  if (drill === undefined) throw new DrillLoadError(problems);
  const here = dirname(file);
  const rel = (base: string, path: string) => (isAbsolute(path) ? path : join(base, path));

  let config: Config | undefined;
  if (drill.config !== undefined) {
    try {
      config = await loadConfig(rel(here, drill.config), {});
    } catch (err) {
      throw new DrillLoadError([locate(doc, ['config'], `${rel(here, drill.config)}: ${(err as Error).message}`)]);
    }
  }
  const fromConfig = (path: string | undefined) => (path === undefined || drill.config === undefined ? undefined : rel(dirname(rel(here, drill.config)), path));
  const rulesDir = drill.rules !== undefined ? rel(here, drill.rules) : fromConfig(config?.rules);
  if (rulesDir === undefined) throw new DrillLoadError([locate(doc, [], 'the drill needs rules: give rules (a directory) or a config')]);
  const rules = await loadRules(rulesDir);
  if (!rules.ok) throw new DrillLoadError(rules.problems);

  const escalationFile = drill.escalation !== undefined ? rel(here, drill.escalation) : fromConfig(config?.escalation.file);
  let escalation;
  if (escalationFile !== undefined) {
    const loaded = await loadEscalation(escalationFile);
    if (!loaded.ok) throw new DrillLoadError(loaded.problems);
    escalation = loaded.policy;
  }
  const obligationsFile = drill.obligations !== undefined ? rel(here, drill.obligations) : fromConfig(config?.obligations.file);
  let obligations;
  if (obligationsFile !== undefined) {
    const loaded = await loadObligations(obligationsFile);
    if (!loaded.ok) throw new DrillLoadError(loaded.problems);
    obligations = loaded.policy;
  }

  let alerts: ScenarioAlert[];
  if (drill.stream.fixture !== undefined) {
    const path = rel(here, drill.stream.fixture);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new DrillLoadError([locate(doc, ['stream', 'fixture'], `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)]);
    }
    alerts = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => ({ n: i + 1, id: idOf(l) ?? `line ${i + 1}`, text: l }));
  } else {
    const expanded = expandAlerts({ start: drill.stream.start, defaults: drill.stream.defaults, alerts: drill.stream.alerts! });
    if (!expanded.ok) throw new DrillLoadError([locate(doc, ['stream', ...expanded.problem.path], expanded.problem.message)]);
    alerts = expanded.alerts;
  }
  return {
    drill,
    file,
    ruleset: rules.ruleset,
    // Built-in formats are detected; a drill's fixture needs no mapping file.
    normalize: createNormalizer({ format: 'auto' }),
    alerts,
    cases: config?.cases ?? CASES_DEFAULTS,
    delivery: config?.delivery ?? DELIVERY_DEFAULTS,
    escalation,
    obligations,
    receivers: config?.receivers,
  };
}

function idOf(line: string): string | undefined {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
