import { table } from '../tune/format.js';
import type { Report } from './report.js';
import { headline, tablesOf } from './tables.js';

/** The report for a terminal: aligned columns, a title line above each table. */
export function renderText(report: Report): string {
  const sections = tablesOf(report).map((t) => `${t.title}:\n${t.rows.length === 0 ? 'none' : table('text', t.head, t.rows)}`);
  return `alertgate report\n${headline(report)}\n\n${sections.join('\n\n')}\n`;
}
