// Headless Debian `chromium` for the HTML report: a screenshot and the rendered DOM of a local file,
// with nothing fetched from the network, and what the page wrote to its console. Used by
// scripts/report-demo.mjs (the README's picture) and test/report/chromium.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** True when `chromium --version` runs. */
export function hasChromium() {
  return spawnSync('chromium', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs chromium headless over `htmlFile` with `extra` (--screenshot=…, --dump-dom) in a profile of its
 * own; returns its stdout and stderr. Console messages of the page go to stderr (--enable-logging):
 * `consoleMessages` picks them out.
 */
export function runChromium(htmlFile, extra, { width = 1280, height = 2000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'alertgate-chromium-'));
  try {
    const r = spawnSync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-extensions',
        // Nothing resolves: a page that tried to load anything from the network would show it broken.
        '--host-resolver-rules=MAP * ~NOTFOUND',
        '--hide-scrollbars',
        '--force-device-scale-factor=1',
        `--user-data-dir=${profile}`,
        '--enable-logging=stderr',
        '--v=0',
        `--window-size=${width},${height}`,
        ...extra,
        pathToFileURL(htmlFile).href,
      ],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 },
    );
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The page's console output and uncaught errors, from chromium's stderr log lines (`CONSOLE(…)`, `Uncaught`). */
export function consoleMessages(stderr) {
  return stderr.split('\n').filter((line) => /:CONSOLE[:(]\d+\)?\]|Uncaught/.test(line));
}
