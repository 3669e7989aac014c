import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';
import type { Report } from '../../src/report/report.js';
import { tempDir } from '../helpers.js';
import { handBuiltLedger, HOSTILE_SIGNATURE, PERIOD } from './fixtures.js';
import { markdownTables, markupIn, renderedText } from './tables.js';

let ledger: Ledger;
let report: Report;

beforeAll(async () => {
  ledger = await Ledger.open(parseLedgerLocation(join(tempDir('alertgate-report-'), 'ledger.sqlite')));
  await handBuiltLedger(ledger);
  report = await buildReport(ledger, { ...PERIOD, minutesPerIncident: 15, top: 5 });
});
afterAll(async () => ledger.close());

describe('report renderers', () => {
  it('markdown: a pipe table per section with rows (the open postmortems last), a delimiter row, every row as wide as its header; pipes in signatures escaped', () => {
    const md = renderReport(report, 'md');
    const tables = markdownTables(md);
    expect(tables.map((t) => t.head[0])).toEqual(['rule', 'rule', 'day', 'change', 'classification', 'case']);
    // No obligation started and no drill ran: their sections say none.
    expect(md).toContain('### Notification deadlines of these cases (obligations; docs/obligations.md)\n\nnone');
    expect(md).toContain('### Drills run (exercises, not counted with the cases; docs/drills.md)\n\nnone');
    for (const t of tables) for (const row of t.rows) expect(row).toHaveLength(t.head.length);
    expect(tables[0]!.rows.map((r) => r[0])).toEqual(['a', 'b', 's']);
    expect(tables[2]!.rows.map((r) => [r[0], r[1], r[5]])).toEqual([
      ['2026-11-20', '106', '2'],
      ['2026-11-21', '66', '2'],
    ]);
    expect(tables[1]!.rows[0]).toEqual(['a', 'signature', 'SIG &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| "x" &amp; y', '2', '6', '1']);
    expect(renderedText(tables[1]!.rows[0]![2]!)).toBe(HOSTILE_SIGNATURE);
    expect(md).toMatch(/^## alertgate report\n\n/);
    expect(md).toContain('### Tuning changes applied in the period');
  });

  it('markdown: alert text is text, never markup: HTML, links, images, code, emphasis, pipes, line breaks, bare links (<script> went into tickets as it was)', () => {
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](https://evil.example/x)',
      '![pixel](https://evil.example/p.png)',
      '`rm -rf /` **bold** _em_ ~~gone~~',
      'a|b\nc\r\nd',
      'see https://evil.example and www.evil.example or mail ops@evil.example',
      '\\<b>escaped?</b>\\',
    ];
    const withHostile: Report = {
      ...report,
      rules: report.rules.map((r, i) => (i === 0 ? { ...r, signatures: hostile.map((key) => ({ key, incidents: 1, alerts: 1, falsePositive: 0 })), entities: [] } : r)),
    };
    const md = renderReport(withHostile, 'md');
    const rows = markdownTables(md)[1]!.rows.filter((r) => r[1] === 'signature' && r[0] === 'a');
    expect(rows.map((r) => renderedText(r[2]!))).toEqual(hostile.map((h) => h.replace(/[\r\n]+/g, ' ')));
    for (const row of rows) expect(markupIn(row[2]!), row[2]).toEqual([]);
    expect(md).not.toMatch(/<(script|img|b)\b/i);
  });

  it('text: control characters of alert text are shown, not sent to the terminal', () => {
    const withEscape: Report = { ...report, rules: report.rules.map((r, i) => (i === 0 ? { ...r, signatures: [{ key: 'x\u001b[2Jy\nz', incidents: 1, alerts: 1, falsePositive: 0 }], entities: [] } : r)) };
    const text = renderReport(withEscape, 'text');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('x\\u001b[2Jy\\u000az');
  });

  it('text: each table\'s columns start at the same offset on every line', () => {
    const text = renderReport(report, 'text');
    const blocks = text.split('\n\n').slice(1);
    expect(blocks).toHaveLength(8);
    for (const block of blocks.filter((b) => !b.trimEnd().endsWith(':\nnone'))) {
      const [title, head, ...rows] = block.trimEnd().split('\n');
      expect(title).toMatch(/:$/);
      const starts = [...head!.matchAll(/(?<=  )\S/g)].map((m) => m.index);
      expect(starts.length).toBeGreaterThan(3);
      for (const row of rows) {
        for (const at of starts) expect(`${row[at - 1]}${row[at - 2]}`, `${row}\ncolumn at ${at}`).toBe('  ');
      }
    }
  });

  it('HTML: one self-contained page, user text escaped, no script, nothing from the network, print CSS, the four charts', () => {
    const html = renderReport(report, 'html');
    expect(html).toContain('SIG &lt;script&gt;alert(1)&lt;/script&gt; | &quot;x&quot; &amp; y');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/@import|url\(|<link|<img|<iframe/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('@media print');
    expect(html.match(/<svg class="chart" data-chart="[a-z-]+"/g)).toEqual([
      '<svg class="chart" data-chart="alerts-per-day"',
      '<svg class="chart" data-chart="incidents-per-day"',
      '<svg class="chart" data-chart="fp-rate-per-day"',
      '<svg class="chart" data-chart="precision-per-rule"',
    ]);
    // The tuning change at the start of 2026-11-21 is marked on the per-day charts.
    expect(html.match(/class="mark"/g)).toHaveLength(3);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('JSON: the Report, one line', () => {
    const json = renderReport(report, 'json');
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.split('\n')).toHaveLength(2);
    expect(JSON.parse(json)).toEqual(report);
  });
});
