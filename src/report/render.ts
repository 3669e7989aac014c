import { z } from 'zod';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './report.js';
import { renderText } from './text.js';

export const ReportFormat = z.enum(['text', 'md', 'html', 'json']);
export type ReportFormat = z.infer<typeof ReportFormat>;

/** The report in one format; `json` is the Report itself (docs/schemas/report.schema.json). */
export function renderReport(report: Report, format: ReportFormat): string {
  switch (format) {
    case 'text':
      return renderText(report);
    case 'md':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'json':
      return `${JSON.stringify(report)}\n`;
  }
}
