import { table } from '../tune/format.js';
import type { Report } from './report.js';
import { headline, tablesOf } from './tables.js';

/** A cell that cannot break the table: pipes escaped, line breaks as spaces. */
const cell = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/[\r\n]+/g, ' ');

/** The report for a ticket or the incident channel: GitHub-flavoured pipe tables under `###` headings. */
export function renderMarkdown(report: Report): string {
  const sections = tablesOf(report).map(
    (t) => `### ${t.title}\n\n${t.rows.length === 0 ? 'none' : table('md', t.head.map(cell), t.rows.map((r) => r.map(cell)))}`,
  );
  return `## alertgate report\n\n${cell(headline(report))}\n\n${sections.join('\n\n')}\n`;
}
