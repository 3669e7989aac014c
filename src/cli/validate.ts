import type { Command } from 'commander';
import { CASES_DEFAULTS } from '../config/cases.js';
import { caseMergingOf } from '../config/sharding.js';
import { loadRules } from '../rules/load.js';
import { formatProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { AlertFieldPath } from '../rules/schema.js';
import { SHARDING_FIX, shardExactness, type ShardExactness, type ShardVerdictOf } from '../rules/shard-exactness.js';
import { EXIT, UserError } from './exit-codes.js';
import { reporting } from './setup.js';

interface ValidateOptions {
  json?: boolean;
  config?: string;
  shardBy?: string;
  tiedField?: string[];
}

export function registerValidate(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description(
      'Check a rules directory: schema, facts, condition references, params, durations. Exit 1 with one line per problem. ' +
        'With --shard-by (or a config with kafka.shardBy): list each rule as exact, per-shard or not exact under sharded deciders, exit 1 when one is not exact.',
    )
    .argument('[rulesDir]', "directory of rule files (*.yaml, *.yml, *.json); default the config's rules")
    .option('--json', 'print the result as one JSON object')
    .option('--config <file>', 'worker config: its rules, kafka.shardBy, sharding.tiedFields and cases')
    .option('--shard-by <fields>', 'shard key fields, comma-separated alert field paths (entities.tenant); overrides kafka.shardBy')
    .option('--tied-field <from=to>', 'a field that determines another (entities.host=entities.tenant: a host belongs to one tenant); repeatable, adds to sharding.tiedFields', collect, [])
    .action(
      reporting(setExit, async (rulesArg: string | undefined, opts: ValidateOptions) => {
        const config = opts.config === undefined ? undefined : await (await import('../config/load.js')).loadConfig(opts.config, process.env, [], { receiverSecrets: false });
        const rulesDir = rulesArg ?? config?.rules;
        if (rulesDir === undefined) throw new UserError('validate: name a rules directory, or a config (--config) that names one');
        const shardBy = opts.shardBy === undefined ? config?.kafka?.shardBy : fieldList(opts.shardBy);
        const tiedFields = { ...config?.sharding.tiedFields, ...Object.fromEntries((opts.tiedField ?? []).map(tiedField)) };
        const result = await loadRules(rulesDir);
        if (!result.ok) {
          if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, problems: result.problems })}\n`);
          else for (const p of result.problems) process.stdout.write(`${formatProblem(p)}\n`);
          setExit(EXIT.invalid);
          return;
        }
        const { ruleset } = result;
        const sharding = shardBy && shardBy.length > 0 ? shardExactness(ruleset, { shardBy, tiedFields }, caseMergingOf(config?.cases ?? CASES_DEFAULTS)) : undefined;
        const summary = { ...summaryOf(ruleset, result.files.length), ...(sharding ? { ok: sharding.ok, sharding: { ...sharding, tiedFields } } : {}) };
        if (sharding && !sharding.ok) setExit(EXIT.invalid);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        process.stdout.write(
          `ok: ${summary.files} files, ${summary.promoteRules} promote and ${summary.suppressRules} suppress rules ` +
            `(${summary.disabledRules} disabled), ${summary.exceptions} exceptions; ` +
            `all ${summary.compiled} enabled rules compiled (no json-rules-engine fallback); fingerprint ${summary.fingerprint}\n`,
        );
        if (summary.tenancy) process.stdout.write(tenancyText(summary.tenancy));
        if (sharding) process.stdout.write(shardingText(sharding, tiedFields, config?.cases === undefined));
      }),
    );
}

function summaryOf(ruleset: CompiledRuleSet, files: number) {
  return {
    ok: true,
    files,
    promoteRules: ruleset.promoteRules.length,
    suppressRules: ruleset.suppressRules.length,
    disabledRules: ruleset.disabledRules.length,
    exceptions: ruleset.exceptions.length,
    // Every built-in construct compiles; there is no per-alert json-rules-engine fallback to report.
    compiled: ruleset.promoteRules.length + ruleset.suppressRules.length,
    fallback: 0,
    fingerprint: ruleset.fingerprint,
    ...(ruleset.tenancy ? { tenancy: tenancySummary(ruleset, ruleset.tenancy) } : {}),
  };
}

/** Per tenant: its own enabled rules and exceptions, beside the shared ones every tenant also runs. */
function tenancySummary(ruleset: CompiledRuleSet, tenancy: NonNullable<CompiledRuleSet['tenancy']>) {
  const rules = [...ruleset.suppressRules, ...ruleset.promoteRules];
  const count = <T extends { scope?: { tenant: string } | undefined }>(items: readonly T[], tenant: string | undefined) => items.filter((i) => i.scope?.tenant === tenant).length;
  return {
    field: tenancy.field,
    shared: { rules: count(rules, undefined), exceptions: count(ruleset.exceptions, undefined) },
    tenants: Object.fromEntries(tenancy.tenants.map((t) => [t, { rules: count(rules, t), exceptions: count(ruleset.exceptions, t) }])),
  };
}

function tenancyText({ field, shared, tenants }: ReturnType<typeof tenancySummary>): string {
  const own = Object.entries(tenants).map(([tenant, n]) => `${tenant} ${n.rules} rules, ${n.exceptions} exceptions`);
  return `tenants by ${field}: each runs the ${shared.rules} shared rules and ${shared.exceptions} exceptions, and its own: ${own.join('; ')}\n`;
}

const VERDICT_TEXT = { exact: 'exact', 'per-shard': 'per-shard', 'not-exact': 'not exact' } as const;

/** One line per rule, exception and case merging: its verdict, and for each group that can span shards, why. */
function shardingText(report: ShardExactness, tiedFields: Readonly<Record<string, string>>, defaultCases: boolean): string {
  const ties = Object.entries(tiedFields).map(([from, to]) => `${from} → ${to}`);
  const lines = [`sharding by [${report.shardBy.join(', ')}]${ties.length > 0 ? ` (tied: ${ties.join(', ')})` : ''}:`];
  const line = (v: ShardVerdictOf, name: string) => `  ${VERDICT_TEXT[v.verdict].padEnd(9)}  ${name}${v.reasons.length > 0 ? `: ${v.reasons.join('; ')}` : ''}`;
  for (const v of report.rules) lines.push(line(v, `${v.kind === 'exception' ? 'exception ' : ''}${v.id}`));
  lines.push(line(report.cases, `cases${defaultCases ? ' (default cases.mergeBy; --config for yours)' : ''}`));
  const counts = (['exact', 'per-shard', 'not-exact'] as const).map((verdict) => `${[...report.rules, report.cases].filter((v) => v.verdict === verdict).length} ${VERDICT_TEXT[verdict]}`);
  lines.push(`${counts.join(', ')}${report.ok ? '' : `: ${SHARDING_FIX}`}`);
  return `${lines.join('\n')}\n`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--shard-by a,b`: alert field paths, each checked. */
function fieldList(text: string): string[] {
  return text.split(',').map((field) => fieldPath('--shard-by', field.trim()));
}

/** `--tied-field from=to`. */
function tiedField(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at < 0) throw new UserError(`--tied-field: expected from=to (entities.host=entities.tenant), got "${text}"`);
  return [fieldPath('--tied-field', text.slice(0, at).trim()), fieldPath('--tied-field', text.slice(at + 1).trim())];
}

function fieldPath(option: string, text: string): string {
  const parsed = AlertFieldPath.safeParse(text);
  if (!parsed.success) throw new UserError(`${option}: "${text}": ${parsed.error.issues[0]?.message ?? 'not an alert field path'}`);
  return parsed.data;
}
