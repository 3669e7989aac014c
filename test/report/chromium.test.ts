import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { consoleMessages, hasChromium, runChromium } from '../../scripts/chromium.mjs';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';
import { tempDir } from '../helpers.js';
import { handBuiltLedger, PERIOD } from './fixtures.js';
import { decodePng } from './png.js';

/**
 * The HTML report in a real browser: headless Debian `chromium` (.ci/run installs it). With CI=true
 * a missing chromium fails; elsewhere these tests are skipped with one line saying so.
 */
const ROOT = join(import.meta.dirname, '../..');
const available = hasChromium() as boolean;
const CI = process.env.CI === 'true';
if (!available && !CI) console.log('skipping the chromium tests: chromium is not on PATH (apt-get install chromium)');

type Run = (html: string, extra: string[], size?: { width: number; height: number }) => { stdout: string; stderr: string };
const chromium = runChromium as Run;
const consoleOf = consoleMessages as (stderr: string) => string[];

const hex = (color: string) => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)).join(',');

describe.skipIf(!available && !CI)('the HTML report in headless chromium', () => {
  const dir = tempDir('alertgate-chromium-');
  const page = join(dir, 'report-demo', 'report.html');
  let ledger: Ledger;

  beforeAll(async () => {
    expect(available, 'CI=true and chromium is not on PATH: apt-get install chromium').toBe(true);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/report-demo.mjs'), '--out', join(dir, 'report-demo')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    ledger = await Ledger.open(parseLedgerLocation(join(dir, 'hand-built.sqlite')));
    await handBuiltLedger(ledger);
  });
  afterAll(async () => ledger?.close());

  it('renders the four charts with their bars, line and dots, and logs nothing to the console', () => {
    const { stdout, stderr } = chromium(page, ['--dump-dom']);
    expect(consoleOf(stderr)).toEqual([]);
    const charts = [...stdout.matchAll(/<svg class="chart" data-chart="([a-z-]+)"[^>]*>([\s\S]*?)<\/svg>/g)].map((m) => ({ id: m[1]!, body: m[2]! }));
    expect(charts.map((c) => c.id)).toEqual(['alerts-per-day', 'incidents-per-day', 'fp-rate-per-day', 'precision-per-rule']);
    const count = (body: string, pattern: RegExp) => body.match(pattern)?.length ?? 0;
    // 10 days with alerts (the weekend has none) × promoted and passed; incidents on the same 10 days.
    expect(count(charts[0]!.body, /<rect class="bar"/g)).toBe(20);
    expect(count(charts[1]!.body, /<rect class="bar"/g)).toBeGreaterThanOrEqual(20);
    expect(count(charts[2]!.body, /<path class="line" d="M[^"]+"/g)).toBe(1);
    expect(count(charts[2]!.body, /<circle class="dot"/g)).toBe(10);
    expect(count(charts[3]!.body, /<rect class="bar"/g)).toBe(4);
    expect(stdout).not.toMatch(/<script/i);
  });

  it('takes a screenshot of the requested size that shows the charts\' colours', () => {
    const png = join(dir, 'report.png');
    chromium(page, [`--screenshot=${png}`], { width: 1280, height: 2000 });
    const image = decodePng(readFileSync(png));
    expect([image.width, image.height]).toEqual([1280, 2000]);
    const colours = new Map<string, number>();
    for (let y = 0; y < image.height; y += 2) {
      for (let x = 0; x < image.width; x += 2) {
        const key = image.rgb(x, y).join(',');
        colours.set(key, (colours.get(key) ?? 0) + 1);
      }
    }
    expect(colours.size, 'a blank page has one colour').toBeGreaterThan(50);
    // Bars of promoted alerts, false positives and precision, and the FP-rate line (html.ts COLORS).
    for (const colour of ['#1f5fa8', '#6e7781', '#2e7d32', '#b3261e']) expect(colours.get(hex(colour)) ?? 0, colour).toBeGreaterThan(20);
  });

  it('prints: a PDF of A4 landscape pages (its @page rule), a few of them', () => {
    const pdf = join(dir, 'report.pdf');
    const { stderr } = chromium(page, [`--print-to-pdf=${pdf}`, '--no-pdf-header-footer']);
    expect(consoleOf(stderr)).toEqual([]);
    const text = readFileSync(pdf).toString('latin1');
    expect(text.startsWith('%PDF-')).toBe(true);
    const pages = [...text.matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g)].map((m) => [Math.round(Number(m[1])), Math.round(Number(m[2]))]);
    expect(pages.length).toBeGreaterThanOrEqual(1);
    expect(pages.length).toBeLessThanOrEqual(6);
    // A4 landscape in points: 297 × 210 mm.
    for (const size of pages) expect(size).toEqual([842, 595]);
  });

  it('shows a signature with markup as text: no element made of it, nothing run', async () => {
    const file = join(dir, 'hostile.html');
    writeFileSync(file, renderReport(await buildReport(ledger, { ...PERIOD, minutesPerIncident: 15, top: 5 }), 'html'));
    const { stdout, stderr } = chromium(file, ['--dump-dom']);
    expect(consoleOf(stderr)).toEqual([]);
    expect(stdout).not.toMatch(/<script/i);
    expect(stdout).toContain('SIG &lt;script&gt;alert(1)&lt;/script&gt; | "x" &amp; y');
  });

  it('the console check catches a page that logs an error or throws', () => {
    const file = join(dir, 'broken.html');
    writeFileSync(file, '<!doctype html><title>broken</title><script>console.error("broken chart"); missingFunction();</script>');
    const messages = consoleOf(chromium(file, ['--dump-dom']).stderr);
    expect(messages).toEqual([expect.stringContaining('broken chart'), expect.stringContaining('Uncaught ReferenceError: missingFunction is not defined')]);
  });
});
