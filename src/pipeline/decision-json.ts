import type { NormalizedAlert } from '../normalize/alert.js';
import { DECISION_KINDS, type DecisionKind } from '../decide/decision-record.js';
import type { FirstOccurrence } from '../dedup/seen-alerts.js';
import type { RuleOutcome, Verdict } from '../decide/evaluator.js';
import { keyPart, type FieldReader } from '../rules/field-path.js';
import { FULL_EXPLANATIONS, type ExplanationsConfig } from '../config/explanations.js';
import { hash32 } from '../state/index.js';
import type { CompiledException, CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';

/** The constant JSON of each rule and exception, serialized once per rule set. */
interface Fragments {
  readonly id: string;
  /** Writes the window group as JSON (`{"entities.src_ip":"…"}`), field names serialized once. */
  readonly group: ((alert: NormalizedAlert['alert']) => string) | undefined;
  /** Writes the aggregates as JSON, names serialized once. */
  readonly aggregates: ((aggregates: Readonly<Record<string, number>>) => string) | undefined;
  /** `"rule":{...}` or `"exception":{...}` member of the explanation. */
  readonly source: string;
  /** `,"params":{...}` or nothing. */
  readonly params: string;
  readonly version: string;
}

/**
 * Writes decision records (DecisionRecord, docs/outputs.md) straight to JSON. One is written per alert,
 * and the constant parts (rule ids, summaries, params, condition heads) are serialized once, so this
 * costs a fraction of building the record as objects and calling JSON.stringify on it. Key order and
 * omitted keys are those of the DecisionRecord schema; tests parse every written decision with it.
 */
export class DecisionWriter {
  private readonly rules = new Map<CompiledRule, Fragments>();
  private readonly exceptions = new Map<CompiledException, Fragments>();
  /** Compact explanations: the rules whose decisions and near misses keep the full one. */
  private readonly explainRules: ReadonlySet<string>;
  /** Compact explanations: alert ids hashing below this keep the full one (the sample); -1 when compact is off. */
  private readonly fullBelow: number;

  constructor(ruleset: CompiledRuleSet, explanations: ExplanationsConfig = FULL_EXPLANATIONS) {
    this.explainRules = new Set(explanations.explainRules);
    this.fullBelow = explanations.explanations === 'full' ? -1 : Math.round(explanations.explanationSample * 2 ** 32);
    for (const compiled of [...ruleset.suppressRules, ...ruleset.promoteRules]) {
      const { rule } = compiled;
      const summary = { id: rule.id, version: rule.version, priority: rule.priority, file: compiled.file };
      this.rules.set(compiled, {
        id: JSON.stringify(rule.id),
        group: compiled.window && groupWriter(compiled.window.groupBy, compiled.window.groupReaders),
        aggregates: compiled.window && aggregatesWriter(compiled.window.aggregateNames),
        source: `"rule":${JSON.stringify(summary)}`,
        params: Object.keys(compiled.params).length > 0 ? `,"params":${JSON.stringify(compiled.params)}` : '',
        version: String(rule.version),
      });
    }
    for (const compiled of ruleset.exceptions) {
      const { exception, file } = compiled;
      const summary = { id: exception.id, reason: exception.reason, expires: exception.expires, file };
      this.exceptions.set(compiled, {
        id: JSON.stringify(exception.id),
        group: undefined,
        aggregates: undefined,
        source: `"exception":${JSON.stringify(summary)}`,
        params: '',
        version: 'null',
      });
    }
  }

  /** The decision of an alert that came before: it names how the first occurrence was decided. */
  duplicate({ alert }: NormalizedAlert, first: FirstOccurrence): string {
    const incident = first.incidentId === undefined ? '' : `,"incidentId":${JSON.stringify(first.incidentId)}`;
    const explanation = `{"by":"duplicate","duplicateOf":{"decision":"${first.decision}","ruleId":${first.ruleId === null ? 'null' : JSON.stringify(first.ruleId)}${incident}}}`;
    return this.record(alert, 'duplicate', 'null', 'null', undefined, explanation);
  }

  /** `clamped`: an explanation member (`,"clamped":{…}`) for an alert decided at the stream's time, or undefined. */
  write(verdict: Verdict, { alert }: NormalizedAlert, incidentId: string | undefined, clamped?: string): string {
    let decision: DecisionKind;
    let ruleId = 'null';
    let ruleVersion = 'null';
    let explanation: string;
    switch (verdict.kind) {
      case 'exception': {
        decision = 'suppress';
        const fragments = this.exceptions.get(verdict.exception)!;
        ruleId = fragments.id;
        explanation = `{"by":"exception",${fragments.source}${clamped ?? ''}}`;
        break;
      }
      case 'rule': {
        decision = verdict.decision;
        const fragments = this.rules.get(verdict.outcome.rule)!;
        ruleId = fragments.id;
        ruleVersion = fragments.version;
        explanation =
          decision === 'promote' || this.inFull(alert, verdict.outcome)
            ? this.ruleExplanation(verdict.outcome, fragments, alert, verdict.alsoFired, clamped ?? '')
            : `{"by":"rule",${fragments.source}${clamped ?? ''},"compact":true}`;
        break;
      }
      case 'none':
        decision = 'pass';
        explanation =
          verdict.nearMisses.length === 0
            ? `{"by":"none"${clamped ?? ''}}`
            : this.inFull(alert, verdict.nearMisses)
              ? `{"by":"none","nearMisses":[${verdict.nearMisses.map((o) => this.nearMissJson(o)).join(',')}]${clamped ?? ''}}`
              : `{"by":"none"${clamped ?? ''},"compact":true}`;
        break;
    }
    return this.record(alert, decision, ruleId, ruleVersion, incidentId, explanation);
  }

  /**
   * Whether a decision other than a promotion keeps its full explanation: always in full mode; in
   * compact mode, when one of its rules is in explainRules or its alert is in the sample (a hash of
   * the id, so the same alerts on every run and every worker).
   */
  private inFull(alert: NormalizedAlert['alert'], outcomes: RuleOutcome | readonly RuleOutcome[]): boolean {
    if (this.fullBelow < 0) return true;
    for (const outcome of Array.isArray(outcomes) ? outcomes : [outcomes]) if (this.explainRules.has(outcome.rule.rule.id)) return true;
    return this.fullBelow > 0 && hash32(alert.id, EXPLANATION_SAMPLE_SEED) < this.fullBelow;
  }

  private record(alert: NormalizedAlert['alert'], decision: DecisionKind, ruleId: string, ruleVersion: string, incidentId: string | undefined, explanation: string): string {
    return (
      // time is canonical ISO-8601 (digits, '-', ':', '.', 'T', 'Z'): nothing in it needs escaping.
      `{"alertId":${JSON.stringify(alert.id)},"time":"${alert.time}","decision":"${decision}"` +
      `,"ruleId":${ruleId},"ruleVersion":${ruleVersion}` +
      (incidentId === undefined ? '' : `,"incidentId":${JSON.stringify(incidentId)}`) +
      `,"explanation":${explanation}}`
    );
  }

  /** JSON.stringify of the rules' ids, from their ids serialized once (a promotion of a broad pack names tens of them). */
  private idsJson(rules: readonly CompiledRule[]): string {
    let json = '[';
    for (let i = 0; i < rules.length; i++) json += (i === 0 ? '' : ',') + this.rules.get(rules[i]!)!.id;
    return `${json}]`;
  }

  private nearMissJson(outcome: RuleOutcome): string {
    const fragments = this.rules.get(outcome.rule)!;
    const aggregates = fragments.aggregates ? fragments.aggregates(outcome.aggregates) : '{}';
    return `{"ruleId":${fragments.id},"aggregates":${aggregates}${outcome.lossy ? ',"lossy":true' : ''}}`;
  }

  private ruleExplanation(outcome: RuleOutcome, fragments: Fragments, alert: NormalizedAlert['alert'], alsoFired: readonly CompiledRule[], clamped: string): string {
    const { rule: compiled, aggregates, late, lossy } = outcome;
    const windowJson =
      fragments.group && fragments.aggregates
        ? `,"window":{"group":${fragments.group(alert)},"late":${late}${lossy ? ',"lossy":true' : ''}},"aggregates":${fragments.aggregates(aggregates)}`
        : '';
    const conditions = compiled.conditions.explainJson({ alert, aggregates, params: compiled.params });
    const also = alsoFired.length > 0 ? `,"alsoFired":${this.idsJson(alsoFired)}` : '';
    return `{"by":"rule",${fragments.source}${windowJson}${fragments.params},"conditions":${conditions}${also}${clamped}}`;
  }
}

/** Seeds the sample's hash apart from the windows' (which hash group keys), so the two choices are unrelated. */
const EXPLANATION_SAMPLE_SEED = 0x6578706c;

const DECISION_MEMBER = ',"decision":"';

/**
 * The decision of a record DecisionWriter wrote, read without parsing it (for the audit log's filter).
 * Its first `,"decision":"` is the member itself: the id and time before it are JSON strings, in which
 * a quote is always escaped, so that text cannot occur inside them.
 */
export function decisionKindOf(json: string): DecisionKind {
  const at = json.indexOf(DECISION_MEMBER) + DECISION_MEMBER.length;
  for (const kind of DECISION_KINDS) if (json.startsWith(kind, at)) return kind;
  throw new Error(`not a decision record: ${json.slice(0, 80)}`);
}

/** `{"field":"value",…}` as groupFieldsOf would give it, with the field names serialized once. */
function groupWriter(fields: readonly string[], readers: readonly FieldReader[]): (alert: NormalizedAlert['alert']) => string {
  const heads = fields.map((field, i) => `${i === 0 ? '{' : ','}${JSON.stringify(field)}:`);
  return (alert) => {
    let json = '';
    for (let i = 0; i < heads.length; i++) json += heads[i]! + JSON.stringify(keyPart(readers[i]!(alert)) ?? '');
    return `${json}}`;
  };
}

/** `{"name":n,…}` for the rule's aggregates, names serialized once. */
function aggregatesWriter(names: readonly string[]): (aggregates: Readonly<Record<string, number>>) => string {
  const heads = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);
  return (aggregates) => {
    let json = '';
    for (let i = 0; i < heads.length; i++) json += heads[i]! + numberJson(aggregates[names[i]!]!);
    return `${json}}`;
  };
}

function numberJson(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}
