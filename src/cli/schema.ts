import type { Command } from 'commander';
import { z } from 'zod';
import { DecisionRecord } from '../decide/decision-record.js';
import { DrillReport } from '../drills/drill-report.js';
import { IncidentRecord } from '../incidents/index.js';
import { CanonicalAlert } from '../normalize/alert.js';
import { DeadLetterRecord } from '../pipeline/dead-letter.js';
import { EvalReport } from '../eval/score.js';
import { Notification } from '../receivers/receiver.js';
import { Report } from '../report/report.js';
import { API_ROUTES } from '../http/api-routes.js';
import { openApiDocument } from '../http/openapi.js';
import { EXIT } from './exit-codes.js';
import { RunSummary } from './summary.js';

/** The external shapes (records and the report), as JSON Schema generated from their zod schemas (docs/schemas/ holds copies). */
export const SCHEMAS = {
  alert: CanonicalAlert,
  decision: DecisionRecord,
  incident: IncidentRecord,
  'dead-letter': DeadLetterRecord,
  summary: RunSummary,
  report: Report,
  /** `alertgate eval --output json` (docs/eval.md). */
  eval: EvalReport,
  /** The body of a generic webhook (docs/receivers.md). */
  notification: Notification,
  /** What `alertgate drill --format json` prints, one per drill (docs/drills.md). */
  drill: DrillReport,
} as const;

export function jsonSchemaOf(name: keyof typeof SCHEMAS): string {
  return `${JSON.stringify(z.toJSONSchema(SCHEMAS[name]), null, 2)}\n`;
}

/** The worker API's OpenAPI document (docs/openapi.json holds a copy). */
function openApiText(): string {
  return `${JSON.stringify(openApiDocument(API_ROUTES), null, 2)}\n`;
}

export function registerSchema(program: Command, setExit: (code: number) => void): void {
  const names = [...Object.keys(SCHEMAS), 'openapi'];
  program
    .command('schema')
    .description('Print the JSON Schema of an output record or of the canonical alert, or the OpenAPI document of the worker API.')
    .argument('<name>', names.join(' | '))
    .action((name: string) => {
      if (name === 'openapi') {
        process.stdout.write(openApiText());
        return;
      }
      if (!Object.hasOwn(SCHEMAS, name)) {
        process.stderr.write(`alertgate: unknown schema "${name}"; use one of ${names.join(', ')}\n`);
        setExit(EXIT.invalid);
        return;
      }
      process.stdout.write(jsonSchemaOf(name as keyof typeof SCHEMAS));
    });
}
