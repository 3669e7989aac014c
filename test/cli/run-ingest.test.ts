import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { alert, at, ndjson, rule, tempDir, writeRules } from '../helpers.js';
import { startRun } from './run-process.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const TOKEN = 'forwarder-token-0123456789';

function setup(extra: Record<string, unknown> = {}) {
  const dir = tempDir();
  const rules = writeRules({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
  const input = join(dir, 'in.ndjson');
  writeFileSync(input, ndjson([alert({ id: 'file-1', time: at(0), severity: 'high' })]));
  const outputs = { decisions: join(dir, 'd.ndjson'), incidents: join(dir, 'i.ndjson'), deadLetters: join(dir, 'dl.ndjson') };
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    stringify({
      rules,
      input: { path: input, onEnd: 'serve' },
      outputs,
      http: { host: '127.0.0.1', port: 0 },
      api: { tokens: [{ name: 'fwd', role: 'ingest', token: TOKEN }] },
      ingest: { http: { enabled: true } },
      ...extra,
    }),
  );
  return { config, outputs };
}

describe('alertgate run with HTTP input (ingest.http.enabled)', () => {
  it('decides the input file, then POST /ingest bodies until SIGTERM; the summary counts both', async () => {
    const { config, outputs } = setup();
    const worker = await startRun(['--config', config], /"url":"(http:\/\/[^"]+)\/ingest".*input ended; taking HTTP input/);
    const { url } = worker;
    const body = ndjson([alert({ id: 'http-1', time: at(1), severity: 'high' }), alert({ id: 'http-1', time: at(1), severity: 'high' }), 'oops']);
    const answer = await fetch(`${url}/ingest`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' }, body });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ lines: 3, accepted: 2, deadLettered: 1, decisions: { promote: 1, duplicate: 1 } });
    expect(await worker.stop()).toBe(0);
    expect(worker.stdout()).toMatch(/^alerts\s+4$/m);
    expect(worker.stdout()).toMatch(/^duplicate\s+1 /m);
    expect(readFileSync(outputs.decisions, 'utf8').trim().split('\n').map((l) => JSON.parse(l).alertId)).toEqual(['file-1', 'http-1', 'http-1']);
    expect(JSON.parse(readFileSync(outputs.deadLetters, 'utf8'))).toMatchObject({ line: 3, raw: 'oops', request: expect.stringMatching(/^ing-/) });
    // Incidents still open at the stop are written then, as at the end of a file.
    expect(readFileSync(outputs.incidents, 'utf8')).toMatch(/"status":"open"/);
  });

  it('refuses a config that could not take HTTP input: no serve after the file, no ingest token', () => {
    const noServe = setup({ input: { onEnd: 'exit' } });
    const r = spawnSync(process.execPath, [BIN, 'run', '--config', noServe.config], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/ingest\/http\/enabled: HTTP input is decided after the input file ends.*set input\.onEnd: serve/);
    const noToken = setup({ api: { tokens: [] } });
    const t = spawnSync(process.execPath, [BIN, 'run', '--config', noToken.config], { encoding: 'utf8' });
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/needs an API token with role ingest/);
  });
});
