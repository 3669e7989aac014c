import { table } from '../tune/format.js';
import type { Report } from './report.js';
import { headline, tablesOf } from './tables.js';

/**
 * A cell for a terminal: control characters (an ESC that starts a terminal escape sequence, line
 * breaks that would break the table) written as `\u001b`, `\n`, … instead of sent to the terminal.
 */
export const terminalText = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The report for a terminal: aligned columns, a title line above each table. */
export function renderText(report: Report): string {
  const sections = tablesOf(report).map((t) => `${t.title}:\n${t.rows.length === 0 ? 'none' : table('text', t.head, t.rows.map((r) => r.map(terminalText)))}`);
  return `alertgate report\n${headline(report)}\n\n${sections.join('\n\n')}\n`;
}
