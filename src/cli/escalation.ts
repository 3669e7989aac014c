import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { explainEscalation, formatExplanation } from '../escalation/explain.js';
import { loadEscalation, type EscalationPolicy } from '../escalation/load.js';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import { loadConfig } from '../config/load.js';
import { formatProblem } from '../rules/problems.js';
import { reportProblems, reportUserError, UserError } from './setup.js';

interface ExplainOptions {
  severity?: string;
  category?: string;
  rule?: string;
  tag?: string;
  at?: string;
  config?: string;
  json?: boolean;
}

/** `alertgate escalation check|explain`: the escalation file (docs/escalation.md). */
export function registerEscalation(program: Command, setExit: (code: number) => void): void {
  const escalation = program.command('escalation').description('Check an escalation file, or explain who it tells about a case, and when (docs/escalation.md).');

  escalation
    .command('check')
    .description('Validates an escalation file and the schedule files it names: exit 0, or one "file: /json/pointer: message (line N)" per problem and exit 1.')
    .argument('<file>', 'the escalation file (YAML)')
    .action(async (file: string) => {
      try {
        const loaded = await loadEscalation(file);
        if (!loaded.ok) {
          reportProblems(file, loaded.problems, setExit);
          return;
        }
        const { spec, receivers } = loaded.policy;
        const rotations = Object.keys(spec.rotations);
        process.stdout.write(
          `${file}: ok — ${spec.policies.length} polic${spec.policies.length === 1 ? 'y' : 'ies'} (${spec.policies.map((p) => p.name).join(', ')}), ${rotations.length} rotation${rotations.length === 1 ? '' : 's'}${rotations.length > 0 ? ` (${rotations.join(', ')})` : ''}; receivers named: ${receivers.join(', ')}\n`,
        );
        if (spec.policies.every((p) => Object.keys(p.match).length > 0)) {
          process.stdout.write('note: no policy matches every case (match: {}): a case none matches tells nobody\n');
        }
      } catch (err) {
        reportUserError(err, setExit);
      }
    });

  escalation
    .command('explain')
    .description('Who would be told about a case of this severity and category, and when, if nobody acknowledged it: levels, on-call, reminders, quiet hours.')
    .argument('[file]', `the escalation file (default: escalation.file of --config, or of ${DEFAULT_CONFIG} when it is here)`)
    .option('--severity <severity>', INCIDENT_SEVERITIES.join(', '))
    .option('--category <category>', 'a classification (malware, data-breach, denial-of-service, ...) or a rule category')
    .option('--rule <rule>', 'a rule of the case')
    .option('--tag <tag>', 'a tag of its alerts')
    .option('--at <time>', 'when the case opens (ISO-8601); default now')
    .option('--config <file>', 'a worker config whose escalation.file to explain')
    .option('--json', 'print the explanation as JSON')
    .action(async (file: string | undefined, opts: ExplainOptions) => {
      try {
        const policy = await open(file, opts.config);
        const severity = z.enum(INCIDENT_SEVERITIES).safeParse(opts.severity);
        if (!severity.success) throw new UserError(`--severity: expected one of ${INCIDENT_SEVERITIES.join(', ')}${opts.severity !== undefined ? `, got "${opts.severity}"` : ''}`);
        if (opts.category === undefined) throw new UserError('--category: give the case\'s classification or rule category (e.g. malware)');
        const atMs = opts.at === undefined ? Date.now() : Date.parse(opts.at);
        if (Number.isNaN(atMs)) throw new UserError(`--at: expected an ISO-8601 time, got "${opts.at}"`);
        const explained = explainEscalation(policy, { severity: severity.data, category: opts.category, rules: opts.rule ? [opts.rule] : [], tags: opts.tag ? [opts.tag] : [] }, atMs);
        process.stdout.write(opts.json ? `${JSON.stringify(explained)}\n` : `${formatExplanation(policy, explained)}\n`);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

/** The embedded default's config (`npm start`): explain reads its escalation file when given nothing else. */
const DEFAULT_CONFIG = 'alertgate.config.yaml';

async function open(file: string | undefined, configOption: string | undefined): Promise<EscalationPolicy> {
  const config = configOption ?? (file === undefined && existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  const path = file ?? (config !== undefined ? (await loadConfig(config, process.env, [], { receiverSecrets: false })).escalation.file : undefined);
  if (path === undefined) throw new UserError(config !== undefined ? `${config} has no escalation.file` : `give the escalation file, or --config with escalation.file (no ${DEFAULT_CONFIG} here)`);
  const loaded = await loadEscalation(path);
  if (!loaded.ok) throw new UserError(`invalid escalation file ${path}:\n${loaded.problems.map(formatProblem).join('\n')}`);
  return loaded.policy;
}
