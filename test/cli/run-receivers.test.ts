import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { Notification } from '../../src/receivers/receiver.js';
import { verifyWebhookSignature } from '../../src/receivers/webhook.js';
import { tempDir } from '../helpers.js';
import { startFake, type FakeServer } from '../receivers/fake-server.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const RULES = join(import.meta.dirname, '../../rules');
const HOOK_SECRET = 'whsec-run-e2e-7d1f0c9a2b4e6f8a';
const SMTP_PASSWORD = 'smtp-run-e2e-Pa55word';

/** Two critical alerts on one host: the bundled high-severity rule promotes them into one incident, one case. */
const INPUT = [
  { id: 'e2e-1', time: '2026-11-20T10:00:00Z', source: 'edr', name: 'Credential dumping', severity: 'critical', category: 'malware', entities: { host: 'db-07' } },
  { id: 'e2e-2', time: '2026-11-20T10:01:00Z', source: 'edr', name: 'Ransomware behaviour', severity: 'critical', category: 'malware', entities: { host: 'db-07' } },
];

const ESCALATION = `timezone: UTC
policies:
  - name: everyone
    levels:
      - notify: [soar, soc-mail]
`;

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ...env, ALERTGATE_LOG_LEVEL: 'info' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('alertgate run tells the configured receivers (a webhook on loopback, an SMTP server in-process)', () => {
  let hook: FakeServer;
  const inbox: ParsedMail[] = [];
  let smtp: SMTPServer;
  let smtpPort: number;

  beforeAll(async () => {
    hook = await startFake((req) => {
      const check = verifyWebhookSignature({ header: req.headers['x-alertgate-signature'] as string | undefined, body: req.body, secret: HOOK_SECRET });
      return check.ok ? { status: 204 } : { status: 401, body: { error: check.reason } };
    });
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'alertgate' && auth.password === SMTP_PASSWORD) callback(null, { user: 'alertgate' });
        else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            inbox.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await hook?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  function configIn(dir: string, extra: Record<string, unknown> = {}): string {
    writeFileSync(join(dir, 'input.ndjson'), INPUT.map((a) => JSON.stringify(a)).join('\n') + '\n');
    writeFileSync(join(dir, 'escalation.yaml'), ESCALATION);
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      stringify({
        rules: RULES,
        watchRules: false,
        input: { path: join(dir, 'input.ndjson'), onEnd: 'exit' },
        outputs: { incidents: join(dir, 'incidents.ndjson') },
        ledger: { url: join(dir, 'ledger.sqlite') },
        http: { port: 0 },
        escalation: { file: join(dir, 'escalation.yaml') },
        receivers: {
          link: 'https://alertgate.example.com/cases/{{caseId}}',
          named: {
            soar: { type: 'webhook', url: `${hook.url}/alertgate`, secret: 'env:E2E_HOOK_SECRET' },
            'soc-mail': {
              type: 'email',
              smtp: { host: '127.0.0.1', port: smtpPort, requireTLS: false, user: 'alertgate', password: 'env:E2E_SMTP_PASSWORD' },
              from: 'alertgate@soc.example.com',
              to: ['soc@example.com'],
            },
          },
        },
        ...extra,
      }),
    );
    return file;
  }

  it('a promoted case reaches the webhook (signature verified) and the mailbox, is recorded delivered, and the run says who was told', async () => {
    const dir = tempDir('alertgate-run-receivers-');
    const result = await run(['--config', configIn(dir)], { E2E_HOOK_SECRET: HOOK_SECRET, E2E_SMTP_PASSWORD: SMTP_PASSWORD });
    expect(result.code, result.stderr).toBe(0);
    const caseIds = [...new Set(readFileSync(join(dir, 'incidents.ndjson'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { caseId: string }).caseId))];
    expect(caseIds).toHaveLength(1);
    const caseId = caseIds[0]!;

    // The webhook: one signed POST, the case's first notice, with the configured link.
    const posts = hook.requests.filter((r) => r.path === '/alertgate');
    expect(posts).toHaveLength(1);
    const sent = Notification.parse(JSON.parse(posts[0]!.body));
    expect(sent).toMatchObject({ caseId, receiver: 'soar', kind: 'open', notice: { severity: 'high', entities: { host: ['db-07'] }, alertCount: 2, link: `https://alertgate.example.com/cases/${caseId}` } });
    expect(posts[0]!.headers['x-alertgate-delivery']).toBe(sent.id);

    // The mailbox: one email for the case, with its link.
    expect(inbox).toHaveLength(1);
    expect(inbox[0]!.subject).toMatch(/^\[alertgate\] \[HIGH\] High-severity alerts on db-07/);
    expect(inbox[0]!.headers.get('x-alertgate-case')).toBe(caseId);
    expect(inbox[0]!.text).toContain(`https://alertgate.example.com/cases/${caseId}`);

    // Recorded as delivered, and said so at the end of the run.
    const ledger = await Ledger.open(parseLedgerLocation(join(dir, 'ledger.sqlite')));
    try {
      const detail = (await ledger.cases.get(caseId))!;
      expect(detail.notifications.map((n) => [n.receiver, n.status]).sort()).toEqual([
        ['soar', 'delivered'],
        ['soc-mail', 'delivered'],
      ]);
    } finally {
      await ledger.close();
    }
    expect(result.stdout).toContain('cases: 1; who was told:');
    expect(result.stdout).toMatch(new RegExp(`${caseId} .* → (soar, soc-mail|soc-mail, soar)`));
    // The secrets reached the servers, never the output or the log.
    expect(result.stdout + result.stderr).not.toContain(HOOK_SECRET);
    expect(result.stdout + result.stderr).not.toContain(SMTP_PASSWORD);

    // Commands that send nothing read the worker's config where its tokens are not (an analyst's shell).
    const list = spawnSync(process.execPath, [BIN, 'incidents', 'list', '--config', join(dir, 'config.yaml')], { encoding: 'utf8', env: { ...process.env, E2E_HOOK_SECRET: '', E2E_SMTP_PASSWORD: '' } });
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toContain(caseId);
  });

  it('replay files the same case but tells nobody, with the worker\'s config and without its secrets', async () => {
    const dir = tempDir('alertgate-run-receivers-');
    const config = configIn(dir);
    const before = { posts: hook.requests.length, mails: inbox.length };
    const replay = spawnSync(process.execPath, [BIN, 'replay', '--rules', RULES, '--input', join(dir, 'input.ndjson'), '--db', join(dir, 'replay.sqlite'), '--config', config], { encoding: 'utf8', env: { ...process.env, E2E_HOOK_SECRET: '', E2E_SMTP_PASSWORD: '' } });
    expect(replay.status, replay.stderr).toBe(0);
    expect({ posts: hook.requests.length, mails: inbox.length }).toEqual(before);
    const ledger = await Ledger.open(parseLedgerLocation(join(dir, 'replay.sqlite')));
    try {
      const cases = await ledger.cases.list({ limit: 10 });
      expect(cases).toHaveLength(1);
      expect(cases[0]!.escalation.level).toBe(0);
      expect(await ledger.outbox.list({})).toEqual([]);
    } finally {
      await ledger.close();
    }
  });

  it('a worker with an escalation file and no ledger does not start: nobody would be told, silently', async () => {
    const dir = tempDir('alertgate-run-receivers-');
    const config = configIn(dir);
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^ledger:\n.*\n/m, ''));
    const result = await run(['--config', config], { E2E_HOOK_SECRET: HOOK_SECRET, E2E_SMTP_PASSWORD: SMTP_PASSWORD });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('escalation.yaml) needs a ledger, where cases and their notifications are kept: set ledger.url (or ALERTGATE_LEDGER)');
  });

  it('a receiver the escalation file names but receivers.named lacks stops the worker at start, naming it (a dry run too)', async () => {
    const dir = tempDir('alertgate-run-receivers-');
    const config = configIn(dir);
    writeFileSync(join(dir, 'escalation.yaml'), ESCALATION.replace('[soar, soc-mail]', '[soar, soc-slack, soc-mail, pager]'));
    for (const args of [['--config', config], ['--config', config, '--dry-run', join(dir, 'dry.ndjson')]]) {
      const result = await run(args, { E2E_HOOK_SECRET: HOOK_SECRET, E2E_SMTP_PASSWORD: SMTP_PASSWORD });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`receivers named by ${join(dir, 'escalation.yaml')} are not configured: pager, soc-slack; configure them under receivers.named`);
    }
  });

  it('--dry-run: the same receivers write what they would send to the capture file; nothing reaches the servers, no secret is needed', async () => {
    const dir = tempDir('alertgate-run-receivers-');
    const before = { posts: hook.requests.length, mails: inbox.length };
    const capture = join(dir, 'dry.ndjson');
    const result = await run(['--config', configIn(dir), '--dry-run', capture], {});
    expect(result.code, result.stderr).toBe(0);
    expect({ posts: hook.requests.length, mails: inbox.length }).toEqual(before);
    const lines = readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { receiver: string; type: string; call: string });
    expect(lines.map((l) => [l.receiver, l.type, l.call]).sort()).toEqual([
      ['soar', 'webhook', 'send'],
      ['soc-mail', 'email', 'send'],
    ]);
    expect(result.stdout).toContain(`cases: 1; who would have been told (dry run: ${capture}):`);
  });
});
