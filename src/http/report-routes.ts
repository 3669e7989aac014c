import { z } from 'zod';
import { sinceField } from '../ledger/since.js';
import { buildReport } from '../report/build.js';
import { REPORT_DEFAULTS, reportPeriod, ReportPeriodError } from '../report/period.js';
import { renderReport, ReportFormat } from '../report/render.js';
import { Report } from '../report/report.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, ledgerOf, type Route } from './route.js';

/** The media type of each text format (json is the Report as JSON); the text is UTF-8. */
const MEDIA_TYPES = { text: 'text/plain', md: 'text/markdown', html: 'text/html' } as const;

const ReportQuery = z
  .object({
    since: sinceField('7d')
      .default(REPORT_DEFAULTS.since)
      .describe('start of the period: a duration back from its end, or an ISO date-time'),
    now: z.iso.datetime({ offset: true }).optional().describe('end of the period (ISO date-time); default: the newest decision in the ledger, to the end of its hour'),
    format: ReportFormat.default('json').describe('json (the Report), md, html or text'),
    minutesPerIncident: z.coerce.number().min(0).max(1440).default(REPORT_DEFAULTS.minutesPerIncident).describe('analyst minutes one reviewed incident costs'),
    top: z.coerce.number().int().min(0).max(100).default(REPORT_DEFAULTS.top).describe('signatures and entities listed per rule'),
  })
  .strict();

export const reportRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/report',
    role: 'viewer',
    summary: 'The report of `alertgate report` over a period of the ledger: per rule, per UTC day, and the tuning changes applied with their measured effect (docs/report.md).',
    query: ReportQuery,
    responses: {
      200: { description: 'the report: JSON by default, or markdown, self-contained HTML or text (format)', schema: Report, text: Object.values(MEDIA_TYPES) },
      400: { description: 'a bad query parameter, or an empty ledger and no now', schema: ErrorBody },
    },
    async handle({ query }, ctx) {
      const ledger = ledgerOf(ctx);
      const period = await reportPeriod(ledger, query.since, query.now === undefined ? undefined : Date.parse(query.now)).catch((err: unknown) => {
        throw err instanceof ReportPeriodError ? new ApiError(400, 'bad_request', err.message) : err;
      });
      const report = await buildReport(ledger, { ...period, minutesPerIncident: query.minutesPerIncident, top: query.top, postmortemRequiredFor: ctx.postmortemRequiredFor });
      if (query.format === 'json') return { status: 200, body: report };
      return { status: 200, body: renderReport(report, query.format), type: `${MEDIA_TYPES[query.format]}; charset=utf-8` };
    },
  }),
];
