import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { CapturedNotification } from '../../src/receivers/capture.js';
import { tempDir } from '../helpers.js';

const REPO = join(import.meta.dirname, '../..');

/** `npm start` as package.json says it, from the repository, its outputs moved to `dir` by ALERTGATE_* variables. */
function npmStart(dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [command, ...args] = script.split(' ');
  expect(command).toBe('node');
  // No account: none of the receivers' secret variables is set.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLACK|PAGERDUTY|JIRA|SMTP)_/.test(k) && !k.startsWith('ALERTGATE_')));
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: {
      ...env,
      ALERTGATE_DECISIONS: join(dir, 'decisions.ndjson'),
      ALERTGATE_INCIDENTS: join(dir, 'incidents.ndjson'),
      ALERTGATE_DEAD_LETTERS: join(dir, 'dead-letters.ndjson'),
      ALERTGATE_LEDGER: join(dir, 'ledger.sqlite'),
      ALERTGATE_RECEIVERS_CAPTURE: join(dir, 'notifications.ndjson'),
      ALERTGATE_INPUT_ON_END: 'exit',
      ALERTGATE_HTTP_PORT: '0',
      ALERTGATE_LOG_LEVEL: 'warn',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

it('npm start, with no account: its cases, each with the receivers that would have been told, written to the capture file as each vendor\'s request', async () => {
  const dir = tempDir('alertgate-npm-start-');
  const run = await npmStart(dir);
  expect(run.code, run.stderr).toBe(0);

  // The cases: every incident's, each once.
  const incidents = readFileSync(join(dir, 'incidents.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { caseId: string });
  const caseIds = new Set(incidents.map((i) => i.caseId));
  expect(caseIds.size).toBeGreaterThan(1);
  expect(caseIds.size).toBeLessThan(incidents.length);
  const capture = join(dir, 'notifications.ndjson');
  const head = run.stdout.split('\n').findIndex((l) => l === `cases: ${caseIds.size}; who would have been told (dry run: ${capture}):`);
  expect(head, run.stdout).toBeGreaterThan(0);
  const lines = run.stdout.split('\n').slice(head + 1, head + 1 + caseIds.size);

  // What each receiver would have sent: one first notice per (case, receiver), as its vendor's request.
  const sent = readFileSync(capture, 'utf8').trim().split('\n').map((l) => CapturedNotification.parse(JSON.parse(l)));
  expect(new Set(sent.map((s) => s.notificationId)).size).toBe(sent.length);
  expect(new Set(sent.map((s) => s.caseId))).toEqual(caseIds);
  for (const id of caseIds) {
    const told = sent.filter((s) => s.caseId === id);
    const line = lines.find((l) => l.includes(` ${id} `));
    expect(line, `no who-was-told line for ${id}`).toBeDefined();
    const printed = /→ ([a-z0-9, -]+?)(?: \(on call: (\w+)\))?(?:;|$)/.exec(line!);
    expect(printed?.[1]?.split(', ').sort(), line).toEqual(told.map((s) => s.receiver).sort());
    // Cases that page have someone on call; the others open a ticket instead.
    const pages = told.some((s) => s.type === 'pagerduty');
    expect(printed?.[2] !== undefined, line).toBe(pages);
    expect(told.some((s) => s.type === 'jira'), line).toBe(!pages);
    for (const s of told) {
      expect(s).toMatchObject({ kind: 'open', call: 'send' });
      if (s.type === 'slack') expect(s.request).toMatchObject({ method: 'chat.postMessage', args: { channel: 'C0123456789' } });
      if (s.type === 'pagerduty') expect(s.request).toMatchObject({ event_action: 'trigger', dedup_key: id, client_url: `http://127.0.0.1:9464/cases/${id}` });
      if (s.type === 'jira') expect(s.request).toMatchObject({ operation: 'createIssue', body: { fields: { project: { key: 'SOC' }, labels: expect.arrayContaining([`alertgate-case-${id}`]) } } });
    }
  }
  // No secret was needed, and none is in what was written.
  expect(readFileSync(capture, 'utf8')).not.toMatch(/routing_key|xoxb-|env:/);
});
