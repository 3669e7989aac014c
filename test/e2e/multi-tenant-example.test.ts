import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Config } from '../../src/config/schema.js';
import { scrapeAfterInput } from '../cli/run-process.js';
import { configFile } from '../helpers.js';

/** examples/multi-tenant/ as a user runs it, from the repository root. */
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const EXAMPLE = join(ROOT, 'examples/multi-tenant');
const CONFIG = join(EXAMPLE, 'alertgate.yaml');
const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The file worker with the example's config, its kafka section left out: decides alerts.ndjson, then one scrape of /metrics. */
function scrapeFileWorker(): Promise<string> {
  const { kafka: _kafka, ...fileConfig } = parse(readFileSync(CONFIG, 'utf8')) as Record<string, unknown>;
  const config = configFile({ ...fileConfig, watchRules: false });
  return scrapeAfterInput(['--config', config, '--input', join(EXAMPLE, 'alerts.ndjson'), '--port', '0'], { cwd: ROOT });
}

describe('examples/multi-tenant', () => {
  it('its config is valid, and validate proves every rule and case merging exact under the tenant shard key', () => {
    expect(Config.safeParse(parse(readFileSync(CONFIG, 'utf8'))).success).toBe(true);
    const r = cli(['validate', '--config', CONFIG]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('tenants by entities.tenant: each runs the 2 shared rules and 0 exceptions, and its own: acme 1 rules, 1 exceptions; globex 1 rules, 0 exceptions');
    expect(r.stdout).toMatch(/^6 exact, 0 per-shard, 0 not exact$/m);
  });

  it('its scenario tests pass', () => {
    const r = cli(['test', join(EXAMPLE, 'rules')]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^4 passed, 0 failed$/m);
  });

  it("the file worker labels decisions by tenant (configured tenants, then those first seen), and promtool accepts them", async () => {
    const text = await scrapeFileWorker();
    const series = [...text.matchAll(/^alertgate_tenant_decisions_total\{tenant="([^"]+)",decision="(\w+)"\} (\d+)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(series.sort()).toEqual(['acme suppress 1', 'globex promote 2', 'initech pass 1', 'initech promote 1']);
    if (hasPromtool) {
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
