import { relative, sep } from 'node:path';
import type { z } from 'zod';
import { ALERT_FACTS } from '../normalize/alert.js';
import { parseDuration } from '../state/index.js';
import { compileTitle } from '../incidents/index.js';
import { CompileError, compileCondition, pinnedValues, newAlertShare, type AlertShare, type CompiledPredicate, type CompileOptions, type FactSource } from './compile/index.js';
import { TopLevelCondition } from './conditions.js';
import { compileFieldPath } from './field-path.js';
import { RuleLoadError, type RuleProblem } from './problems.js';
import { listRuleFiles, locate, parseLocated, readRuleFile, type ReadText, type RuleDocument } from './read-files.js';
import {
  compareRules,
  fingerprintOf,
  type CompiledException,
  type CompiledIncident,
  type CompiledRule,
  type CompiledRuleSet,
  type CountedAggregate,
  type RuleScope,
} from './ruleset.js';
import { Exception, NamedConditions, Rule, Tenancy, type Aggregate, type IncidentSpec } from './schema.js';

const KINDS = { rule: Rule, exception: Exception, conditions: NamedConditions, tenancy: Tenancy } as const;
/** With a tenancy object, the folder under the rules directory whose subfolders are the tenants'. */
const TENANTS_DIR = 'tenants';
type Kind = keyof typeof KINDS;

interface Parsed<T> {
  readonly doc: RuleDocument;
  readonly value: T;
}

/**
 * What a rule's references are checked against: the names of its params and aggregates, and its
 * conditions. For a rule that failed its schema these are the parts that still parse on their own
 * (undefined: unknown, so the checks that need it are skipped rather than guessed).
 */
interface RuleReferences {
  readonly params: readonly string[] | undefined;
  readonly aggregates: readonly string[] | undefined;
  readonly match: TopLevelCondition | undefined;
  readonly conditions: TopLevelCondition | undefined;
  /** The aggregates' conditions (a `where`, a sequence step's `where`), each with its path in the rule. */
  readonly filters: readonly Filter[];
}

/** Stands in for a named condition whose file failed its schema, so that references to it are not reported as unknown too. */
const UNPARSED_CONDITION: TopLevelCondition = { all: [] };

/** The result of reading a rules directory: a compiled rule set, or every problem found (never half a set). */
export type LoadResult =
  | { readonly ok: true; readonly ruleset: CompiledRuleSet; readonly files: readonly string[] }
  | { readonly ok: false; readonly problems: readonly RuleProblem[]; readonly files: readonly string[] };

export interface LoadOptions {
  /** How files are read (tests: one that removes a file between listing and reading it). */
  readonly read?: ReadText;
}

/**
 * Reads and compiles a rules directory. Never rejects: whatever goes wrong (a file removed while it is
 * read, a YAML bomb, a bug) comes back as problems, so a running worker's reload keeps its rules.
 */
export async function loadRules(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  try {
    return await loadDirectory(dir, options);
  } catch (err) {
    return { ok: false, files: [], problems: [{ file: dir, pointer: '', message: `could not load the rules: ${(err as Error).message ?? String(err)}` }] };
  }
}

async function loadDirectory(dir: string, options: LoadOptions): Promise<LoadResult> {
  const problems: RuleProblem[] = [];
  let files: string[];
  try {
    files = await listRuleFiles(dir);
  } catch (err) {
    return { ok: false, files: [], problems: [{ file: dir, pointer: '', message: (err as Error).message }] };
  }
  if (files.length === 0) problems.push({ file: dir, pointer: '', message: 'no rule files (*.yaml, *.yml, *.json) found' });

  const rules: Parsed<Rule>[] = [];
  const exceptions: Parsed<Exception>[] = [];
  const named: Parsed<NamedConditions>[] = [];
  // Documents that failed their schema: their references are still checked, in the same pass.
  const unparsedRules: Parsed<RuleReferences>[] = [];
  const unparsedNames: Parsed<string[]>[] = [];
  const docs: { doc: RuleDocument; kind: Kind | undefined }[] = [];
  for (const file of files) for (const doc of await readRuleFile(file, problems, options.read)) docs.push({ doc, kind: kindOf(doc, problems) });
  // The tenancy object first: it says which files are a tenant's.
  const tenancy = tenancyOf(dir, docs.flatMap((d) => (d.kind === 'tenancy' ? [d.doc] : [])), problems);
  const scopes = new Map<string, RuleScope>();
  const scopeOf = (doc: RuleDocument): RuleScope | undefined => {
    const tenant = tenancy && tenantOfFile(dir, doc.file);
    if (!tenancy || tenant === undefined) return undefined;
    let scope = scopes.get(tenant);
    if (!scope) scopes.set(tenant, (scope = { field: tenancy.value.field, tenant, read: tenancy.read }));
    return scope;
  };
  for (const { doc, kind } of docs) {
    if (tenancy && tenantOfFile(dir, doc.file) === '') problems.push(locate(doc, [], `a file directly in ${TENANTS_DIR}/ belongs to no tenant: move it into ${TENANTS_DIR}/<tenant>/, or out of ${TENANTS_DIR}/ to share it`));
    if (kind === 'rule' && !pushParsed(doc, Rule, rules, problems)) unparsedRules.push({ doc, value: partialReferences(doc) });
    else if (kind === 'exception') pushParsed(doc, Exception, exceptions, problems);
    else if (kind === 'conditions' && !pushParsed(doc, NamedConditions, named, problems)) unparsedNames.push({ doc, value: declaredNames((doc.value as { conditions?: unknown }).conditions) ?? [] });
  }
  reportDuplicateIds([...rules, ...exceptions], problems);
  const namedFor = collectNamedConditions(named, unparsedNames, scopeOf, problems);
  const compiledRules = compileRules(dir, rules, namedFor, scopeOf, problems);
  for (const { doc, value } of unparsedRules) checkReferences(doc, value, namedFor(scopeOf(doc)), problems);
  const compiledExceptions = exceptions.map((e) => compileException(dir, e, scopeOf(e.doc)));
  validateNamedConditions(named, namedFor, scopeOf, problems);

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems), files };
  const enabled = compiledRules.filter((r) => r.rule.enabled);
  // A tenant's object is fingerprinted with its tenant: moving a file to another tenant is another rule set.
  const fingerprinted = [...rules, ...exceptions, ...named].map((p) => {
    const scope = scopeOf(p.doc);
    return scope ? { tenant: scope.tenant, object: p.value } : p.value;
  });
  return {
    ok: true,
    files,
    ruleset: {
      suppressRules: enabled.filter((r) => r.rule.decision === 'suppress'),
      promoteRules: enabled.filter((r) => r.rule.decision === 'promote'),
      disabledRules: compiledRules.filter((r) => !r.rule.enabled).map((r) => r.rule),
      exceptions: compiledExceptions.sort((a, b) => (a.exception.id < b.exception.id ? -1 : 1)),
      ...(tenancy ? { tenancy: { field: tenancy.value.field, tenants: [...scopes.keys()].sort() } } : {}),
      fingerprint: fingerprintOf(tenancy ? [...fingerprinted, tenancy.value] : fingerprinted),
    },
  };
}

/** The rules directory's tenancy object (at most one, outside tenants/), with its field compiled. */
function tenancyOf(dir: string, docs: readonly RuleDocument[], problems: RuleProblem[]): { value: Tenancy; read: RuleScope['read'] } | undefined {
  const parsed: Parsed<Tenancy>[] = [];
  for (const doc of docs) {
    if (relative(dir, doc.file).split(sep)[0] === TENANTS_DIR) problems.push(locate(doc, ['kind'], `the tenancy object belongs outside ${TENANTS_DIR}/: it says which files under it are a tenant's`));
    else pushParsed(doc, Tenancy, parsed, problems);
  }
  for (const extra of parsed.slice(1)) problems.push(locate(extra.doc, ['kind'], `a second tenancy object (the first is in ${parsed[0]!.doc.file}): a rules directory has one tenant field`));
  const first = parsed[0];
  return first && { value: first.value, read: compileFieldPath(first.value.field) };
}

/** With tenancy: the tenant of a file under tenants/<tenant>/, '' for a file directly in tenants/, undefined for a shared file. */
function tenantOfFile(dir: string, file: string): string | undefined {
  const parts = relative(dir, file).split(sep);
  if (parts[0] !== TENANTS_DIR) return undefined;
  return parts.length > 2 ? parts[1]! : '';
}

/** Like loadRules, but throws a RuleLoadError listing every located problem. */
export async function loadRulesOrThrow(dir: string): Promise<CompiledRuleSet> {
  const result = await loadRules(dir);
  if (!result.ok) throw new RuleLoadError(result.problems);
  return result.ruleset;
}

function kindOf(doc: RuleDocument, problems: RuleProblem[]): Kind | undefined {
  const value = doc.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(locate(doc, [], 'expected a rule, exception, conditions or tenancy object'));
    return undefined;
  }
  const kind = (value as { kind?: unknown }).kind ?? 'rule';
  if (typeof kind === 'string' && Object.hasOwn(KINDS, kind)) return kind as Kind;
  problems.push(locate(doc, ['kind'], `unknown kind ${JSON.stringify(kind)}; use rule, exception, conditions or tenancy`));
  return undefined;
}

/** Parses a document with its kind's schema: true when it is valid, else its problems are reported. */
function pushParsed<T>(doc: RuleDocument, schema: z.ZodType<T>, into: Parsed<T>[], problems: RuleProblem[]): boolean {
  const value = parseLocated(doc, schema, problems);
  if (value === undefined) return false;
  into.push({ doc, value });
  return true;
}

/** The names an optional record declares: its keys, none when absent; undefined when it is not a record (nothing can be said). */
function declaredNames(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : undefined;
}

/**
 * The references of a rule that failed its schema, from the parts that parse on their own: a missing
 * owner or a bad severity should not hide an unknown fact until the next run. Params and aggregates
 * count as declared by their keys, valid or not; conditions that do not parse are not checked (their
 * schema problems are reported already).
 */
type Filter = readonly [readonly (string | number)[], TopLevelCondition];

/** An aggregate's conditions with their paths: its `where`, each step's of a sequence, each score's of a risk aggregate. `parse` is the identity for parsed rules. */
function filtersOf(name: string, aggregate: unknown, parse: (value: unknown) => TopLevelCondition | undefined): Filter[] {
  if (aggregate === null || typeof aggregate !== 'object') return [];
  const { where, steps, scores } = aggregate as { where?: unknown; steps?: unknown; scores?: unknown };
  const out: Filter[] = [];
  const whereCondition = parse(where);
  if (whereCondition) out.push([['aggregates', name, 'where'], whereCondition]);
  for (const [key, list] of [['steps', steps], ['scores', scores]] as const) {
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, i) => {
      const condition = item !== null && typeof item === 'object' ? parse((item as { where?: unknown }).where) : undefined;
      if (condition) out.push([['aggregates', name, key, i, 'where'], condition]);
    });
  }
  return out;
}

function partialReferences(doc: RuleDocument): RuleReferences {
  const raw = doc.value as Record<string, unknown>;
  const condition = (value: unknown) => {
    const parsed = value === undefined ? undefined : TopLevelCondition.safeParse(value);
    return parsed?.success ? parsed.data : undefined;
  };
  const aggregates = raw.aggregates !== null && typeof raw.aggregates === 'object' ? Object.entries(raw.aggregates as Record<string, unknown>) : [];
  const filters = aggregates.flatMap(([name, a]) => filtersOf(name, a, condition));
  return { params: declaredNames(raw.params), aggregates: declaredNames(raw.aggregates), match: condition(raw.match), conditions: condition(raw.conditions), filters };
}

function reportDuplicateIds(parsed: readonly Parsed<{ id: string }>[], problems: RuleProblem[]): void {
  const seen = new Map<string, RuleDocument>();
  for (const { doc, value } of parsed) {
    const first = seen.get(value.id);
    if (first) problems.push(locate(doc, ['id'], `duplicate id "${value.id}" (first defined in ${first.file})`));
    else seen.set(value.id, doc);
  }
}

type NamedFor = (scope: RuleScope | undefined) => ReadonlyMap<string, TopLevelCondition>;

/**
 * The named conditions each rule sees: the shared ones, and a tenant's rules also their tenant's. A
 * name is unique among what one rule sees (a tenant may not redefine a shared name; two tenants may
 * use one). Names whose file failed its schema stand in as UNPARSED_CONDITION.
 */
function collectNamedConditions(named: readonly Parsed<NamedConditions>[], unparsed: readonly Parsed<string[]>[], scopeOf: (doc: RuleDocument) => RuleScope | undefined, problems: RuleProblem[]): NamedFor {
  const shared = new Map<string, TopLevelCondition>();
  const byTenant = new Map<RuleScope, Map<string, TopLevelCondition>>();
  const own = (scope: RuleScope | undefined) => {
    if (!scope) return shared;
    let map = byTenant.get(scope);
    if (!map) byTenant.set(scope, (map = new Map()));
    return map;
  };
  for (const { doc, value } of named) {
    const scope = scopeOf(doc);
    for (const [name, condition] of Object.entries(value.conditions)) {
      if (own(scope).has(name)) problems.push(locate(doc, ['conditions', name], `duplicate named condition "${name}"`));
      else own(scope).set(name, condition);
    }
  }
  for (const { doc, value } of unparsed) for (const name of value) if (!own(scopeOf(doc)).has(name)) own(scopeOf(doc)).set(name, UNPARSED_CONDITION);
  for (const { doc, value } of named) {
    const scope = scopeOf(doc);
    for (const name of Object.keys(value.conditions)) if (scope && shared.has(name)) problems.push(locate(doc, ['conditions', name], `named condition "${name}" is shared already (rules outside ${TENANTS_DIR}/ define it): pick another name`));
  }
  const seen = new Map<RuleScope, Map<string, TopLevelCondition>>();
  return (scope) => {
    if (!scope) return shared;
    let map = seen.get(scope);
    if (!map) seen.set(scope, (map = new Map([...shared, ...own(scope)])));
    return map;
  };
}

/** Named conditions may only read alert fields (aggregates and params belong to a rule). */
function validateNamedConditions(named: readonly Parsed<NamedConditions>[], namedFor: NamedFor, scopeOf: (doc: RuleDocument) => RuleScope | undefined, problems: RuleProblem[]): void {
  for (const { doc, value } of named) {
    const options: CompileOptions = { namedConditions: namedFor(scopeOf(doc)), resolveFact: (f) => (ALERT_FACTS.includes(f) ? 'alert' : undefined) };
    for (const [name, condition] of Object.entries(value.conditions)) {
      compileLocated(doc, ['conditions', name], condition, options, problems);
    }
  }
}

function compileRules(dir: string, rules: readonly Parsed<Rule>[], namedFor: NamedFor, scopeOf: (doc: RuleDocument) => RuleScope | undefined, problems: RuleProblem[]): CompiledRule[] {
  const ordered = [...rules].sort((a, b) => compareRules(a.value, b.value));
  const out: CompiledRule[] = [];
  const shared = newAlertShare();
  for (const [order, { doc, value: rule }] of ordered.entries()) {
    const scope = scopeOf(doc);
    const namedConditions = namedFor(scope);
    const filters = Object.entries(rule.aggregates).flatMap(([name, a]) => filtersOf(name, a, (c) => c as TopLevelCondition | undefined));
    const references = { params: Object.keys(rule.params), aggregates: Object.keys(rule.aggregates), match: rule.match, conditions: rule.conditions, filters };
    const { match, conditions, matchOptions, conditionOptions, compiledFilters } = checkReferences(doc, references, namedConditions, problems, shared);
    const durations = durationsOf(rule);
    if (!conditions || (rule.match && !match) || compiledFilters.size < filters.length) continue;
    const counted = Object.entries(rule.aggregates).filter((e): e is [string, CountedAggregate] => e[1].kind !== 'sequence' && e[1].kind !== 'spike');
    const spike = Object.entries(rule.aggregates).find((e): e is [string, Extract<Aggregate, { kind: 'spike' }>] => e[1].kind === 'spike');
    const sequence = Object.entries(rule.aggregates).find((e): e is [string, Extract<Aggregate, { kind: 'sequence' }>] => e[1].kind === 'sequence');
    out.push({
      rule,
      // Relative to the rules directory, so explanations are identical from any checkout.
      file: relative(dir, doc.file),
      order,
      match,
      conditions,
      params: Object.fromEntries(Object.entries(rule.params).map(([k, p]) => [k, p.value])),
      window: rule.window && {
        groupBy: rule.window.groupBy,
        groupReaders: rule.window.groupBy.map(compileFieldPath),
        sizeMs: durations.windowMs,
        allowedLatenessMs: durations.latenessMs,
        maxKeys: rule.window.maxKeys,
        maxEvents: rule.window.maxEvents,
        maxEventsPerKey: rule.window.maxEventsPerKey,
        aggregateNames: [...counted.map(([name]) => name), ...(spike ? [spike[0]] : []), ...(sequence ? [sequence[0]] : [])],
        aggregates: counted.map(([, a]) => a),
        aggregateReaders: counted.map(([, a]) => ('field' in a ? compileFieldPath(a.field) : undefined)),
        aggregateFilters: counted.map(([name]) => compiledFilters.get(`aggregates/${name}/where`)),
        aggregateScores: counted.map(([name, a]) =>
          a.kind === 'risk' ? a.scores.map(({ score }, i) => ({ score, where: compiledFilters.get(`aggregates/${name}/scores/${i}/where`)! })) : undefined,
        ),
        spike: spike && { name: spike[0], periods: spike[1].periods, where: compiledFilters.get(`aggregates/${spike[0]}/where`) },
        sequence: sequence && {
          name: sequence[0],
          steps: sequence[1].steps.map((_, i) => compiledFilters.get(`aggregates/${sequence[0]}/steps/${i}/where`)!),
          counts: sequence[1].steps.map((step) => step.count),
        },
      },
      windowIdentity: (rule.window || rule.absence) && windowIdentity(rule, namedConditions, scope),
      absence: rule.absence && {
        groupBy: rule.absence.groupBy,
        groupReaders: rule.absence.groupBy.map(compileFieldPath),
        afterMs: parseDuration(rule.absence.after),
        allowedLatenessMs: parseDuration(rule.absence.allowedLateness),
        maxKeys: rule.absence.maxKeys,
      },
      incident: rule.decision === 'promote' ? compileIncident(rule, durations) : undefined,
      scope,
      pin: rule.match ? pinnedValues(rule.match, matchOptions) : pinnedValues(rule.conditions, conditionOptions),
    });
  }
  return out;
}

function compileIncident(rule: Rule, durations: { incidentMs: number; maxSpanMs: number | undefined }): CompiledIncident {
  // Without an incident block, a windowed rule groups incidents by its window key: one burst, one incident.
  const spec: IncidentSpec = rule.incident ?? { groupBy: rule.window?.groupBy ?? rule.absence?.groupBy ?? [], window: '1h' };
  return {
    spec,
    groupBy: spec.groupBy,
    groupReaders: spec.groupBy.map(compileFieldPath),
    windowMs: durations.incidentMs,
    maxSpanMs: durations.maxSpanMs,
    title: compileTitle(spec.title ?? rule.title),
  };
}

function windowIdentity(rule: Rule, namedConditions: ReadonlyMap<string, TopLevelCondition>, scope: RuleScope | undefined): string {
  const match = JSON.stringify(rule.match ?? null);
  // A match or a filtered aggregate that references named conditions means what they say; include them (all: cheap and safe).
  const named = `${match}${JSON.stringify(rule.aggregates)}`.includes('"condition":') ? [...namedConditions].sort(([a], [b]) => (a < b ? -1 : 1)) : [];
  // The event bounds limit memory, not what is counted: changing them keeps the counts (and checkpoints
  // taken before they existed still fit).
  const { maxEvents: _maxEvents, maxEventsPerKey: _maxEventsPerKey, ...counted } = rule.window ?? {};
  // A tenant's rule counts that tenant's alerts only: another tenant (or none) is another window.
  return fingerprintOf([counted, rule.aggregates, rule.match ?? null, named, ...(rule.absence ? [rule.absence] : []), ...(scope ? [{ tenant: scope.tenant, field: scope.field }] : [])]);
}

/**
 * Compiles a rule's match and conditions against its facts, params and aggregates and the named
 * conditions, reporting unknown facts, conditions and params, and aggregates that shadow a fact.
 */
function checkReferences(
  doc: RuleDocument,
  references: RuleReferences,
  namedConditions: ReadonlyMap<string, TopLevelCondition>,
  problems: RuleProblem[],
  shared?: AlertShare,
): {
  match?: CompiledPredicate | undefined;
  conditions?: CompiledPredicate | undefined;
  matchOptions: CompileOptions;
  conditionOptions: CompileOptions;
  /** The aggregates' conditions that compiled, by their path in the rule joined with "/". */
  compiledFilters: Map<string, CompiledPredicate>;
} {
  for (const name of references.aggregates ?? []) {
    if (name === 'params' || ALERT_FACTS.includes(name)) {
      problems.push(locate(doc, ['aggregates', name], `aggregate name "${name}" shadows a fact; pick another name`));
    }
  }
  const sharing = shared ? { shared } : {};
  const matchOptions: CompileOptions = { namedConditions, resolveFact: factResolver(references.aggregates ?? [], false), ...sharing };
  const conditionOptions: CompileOptions = { namedConditions, resolveFact: factResolver(references.aggregates ?? [], true), ...sharing };
  const match = references.match && compileLocated(doc, ['match'], references.match, matchOptions, problems);
  // A where picks among the alerts the match picked: it sees what match sees.
  const compiledFilters = new Map<string, CompiledPredicate>();
  for (const [path, where] of references.filters) {
    const filter = compileLocated(doc, path, where, matchOptions, problems);
    if (filter) compiledFilters.set(path.join('/'), filter);
  }
  // Without the aggregates' names, every aggregate would read as an unknown fact.
  const conditions = references.conditions && references.aggregates && compileLocated(doc, ['conditions'], references.conditions, conditionOptions, problems);
  if (references.params) checkParamReferences(doc, references, references.params, problems);
  return { match, conditions, matchOptions, conditionOptions, compiledFilters };
}

/**
 * Match conditions pick the alerts that feed the window, so they see alert fields and params only;
 * the deciding conditions also see the rule's aggregates.
 */
function factResolver(aggregateNames: readonly string[], withAggregates: boolean): (name: string) => FactSource | undefined {
  const aggregates = new Set(aggregateNames);
  return (name) => {
    if (name === 'params') return 'params';
    if (withAggregates && aggregates.has(name)) return 'aggregate';
    if (ALERT_FACTS.includes(name)) return 'alert';
    return undefined;
  };
}

function compileLocated(
  doc: RuleDocument,
  at: readonly (string | number)[],
  condition: TopLevelCondition,
  options: CompileOptions,
  problems: RuleProblem[],
) {
  try {
    return compileCondition(condition, options);
  } catch (err) {
    if (!(err instanceof CompileError)) throw err;
    const inner = err.pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    problems.push(locate(doc, [...at, ...inner], err.message));
    return undefined;
  }
}

/** `{fact: "params", path: "$.minCount"}` must name a declared param: a typo would silently compare with undefined. */
function checkParamReferences(doc: RuleDocument, rule: Pick<RuleReferences, 'match' | 'conditions' | 'filters'>, params: readonly string[], problems: RuleProblem[]): void {
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => visit(child, [...path, i]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.fact === 'params' && typeof record.path === 'string') {
      const name = /^\$\.([A-Za-z0-9_.-]+)$/.exec(record.path)?.[1];
      if (name !== undefined && !params.includes(name)) {
        problems.push(locate(doc, [...path, 'path'], `params has no "${name}"; declared: ${params.join(', ') || 'none'}`));
      }
    }
    for (const [key, child] of Object.entries(record)) visit(child, [...path, key]);
  };
  if (rule.match) visit(rule.match, ['match']);
  if (rule.conditions) visit(rule.conditions, ['conditions']);
  for (const [path, where] of rule.filters) visit(where, [...path]);
}

/** The rule's durations in ms: the schema (Duration) has checked each one already. */
function durationsOf(rule: Rule) {
  return {
    windowMs: rule.window ? parseDuration(rule.window.size) : 0,
    latenessMs: rule.window ? parseDuration(rule.window.allowedLateness) : 0,
    incidentMs: parseDuration(rule.incident?.window ?? '1h'),
    maxSpanMs: rule.incident?.maxSpan === undefined ? undefined : parseDuration(rule.incident.maxSpan),
  };
}

function compileException(dir: string, { doc, value }: Parsed<Exception>, scope: RuleScope | undefined): CompiledException {
  return compiledException(value, relative(dir, doc.file), scope);
}

/** An exception as the pipeline runs it (the tuner compiles its proposals the same way to check them). */
export function compiledException(value: Exception, file: string, scope?: RuleScope): CompiledException {
  const listOf = (v: string | string[] | undefined) => (v === undefined ? undefined : new Set(typeof v === 'string' ? [v] : v));
  const names = listOf(value.match.name);
  const sources = listOf(value.match.source);
  const entities = Object.entries(value.match.entities ?? {}).map(([kind, v]) => [kind, listOf(v)!] as const);
  // Date-only expiries mean "through the end of that day", UTC.
  const expiresMs = /^\d{4}-\d{2}-\d{2}$/.test(value.expires)
    ? Date.parse(`${value.expires}T00:00:00Z`) + 86_400_000
    : Date.parse(value.expires);
  return {
    exception: value,
    file,
    expiresMs,
    scope,
    matches: (alert) => {
      if (scope && scope.read(alert) !== scope.tenant) return false;
      if (names && !names.has(alert.name as string)) return false;
      if (sources && !sources.has(alert.source as string)) return false;
      const ents = alert.entities as Record<string, string>;
      for (const [kind, values] of entities) {
        const v = Object.hasOwn(ents, kind) ? ents[kind] : undefined;
        if (v === undefined || !values.has(v)) return false;
      }
      return true;
    },
  };
}

function sortProblems(problems: RuleProblem[]): RuleProblem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0)));
}
