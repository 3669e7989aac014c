import { table } from '../tune/format.js';
import type { Report } from './report.js';
import { headline, tablesOf } from './tables.js';

/**
 * A cell's text as markdown that renders as that text and nothing else, whoever wrote it (signatures
 * and entities come from the alerts): `&`, `<` and `>` as entities, so no HTML (`<script>`, `<img>`)
 * and no `<…>` autolink; every character that makes emphasis, code, links or images (`` ` * _ [ ] ( ) ! ~ ``),
 * the backslash and the table's pipe escaped with a backslash; line breaks as spaces; and the starts of
 * GFM's bare links (`://`, `www.`, `@`) broken by an entity, so no link appears from alert text either.
 */
export function markdownText(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replace(/[\\`*_[\]()!~|]/g, '\\$&')
    .replace(/[\r\n]+/g, ' ')
    .replaceAll('://', '&#58;//')
    .replace(/www\./gi, (w) => `${w.slice(0, 3)}&#46;`)
    .replaceAll('@', '&#64;');
}

/** The report for a ticket or the incident channel: GitHub-flavoured pipe tables under `###` headings. */
export function renderMarkdown(report: Report): string {
  const sections = tablesOf(report).map(
    (t) => `### ${t.title}\n\n${t.rows.length === 0 ? 'none' : table('md', t.head.map(markdownText), t.rows.map((r) => r.map(markdownText)))}`,
  );
  return `## alertgate report\n\n${markdownText(headline(report))}\n\n${sections.join('\n\n')}\n`;
}
