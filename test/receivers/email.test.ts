import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { Receiver } from '../../src/receivers/receiver.js';
import { tempDir } from '../helpers.js';
import { refusedUrl } from './fake-server.js';
import { notification } from './fixtures.js';

const USER = 'alertgate';
const PASSWORD = 'smtp-Pa55word-secret';

interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

describe('email receiver against a real SMTP server (smtp-server), the messages parsed back (mailparser)', () => {
  const inbox: Received[] = [];
  /** The reply the server gives the next DATA instead of accepting it. */
  const rejectNext: { code: number; message: string }[] = [];
  let server: SMTPServer;
  let port: number;
  let email: Receiver;

  function receiver(overrides: Record<string, unknown> = {}, env: Record<string, string> = {}): Receiver {
    const passwordFile = join(tempDir('alertgate-smtp-'), 'password');
    writeFileSync(passwordFile, `${PASSWORD}\n`);
    const config = ReceiversConfig.parse({
      timeoutMs: 2000,
      named: {
        mail: {
          type: 'email',
          smtp: { host: '127.0.0.1', port, requireTLS: false, user: USER, password: `file:${passwordFile}` },
          from: 'alertgate@soc.example.com',
          to: ['soc@example.com', 'ciso@example.com'],
          cc: ['oncall@example.com'],
          ...overrides,
        },
      },
    });
    return createReceivers(config, { env, now: () => Date.parse('2026-11-20T10:15:00.000Z') }).get('mail')!;
  }

  beforeAll(async () => {
    server = new SMTPServer({
      // Plain SMTP on loopback: the test server has no certificate to offer.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
        else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const reject = rejectNext.shift();
            if (reject) return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }));
            inbox.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as { port: number }).port;
    email = receiver();
  });
  afterAll(async () => {
    await email?.close?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends a text and an HTML part, the subject with severity and title, to every recipient, with the case Message-ID', async () => {
    const result = await email.send(notification('open'), {});
    expect(result).toEqual({ outcome: 'delivered', state: { messageId: '<case.case-7f3a9c@soc.example.com>' } });
    const { from, to, mail } = inbox.at(-1)!;
    expect(from).toBe('alertgate@soc.example.com');
    expect(to).toEqual(['soc@example.com', 'ciso@example.com', 'oncall@example.com']);
    expect(mail.subject).toBe('[alertgate] [CRITICAL] Brute force against web-01 from 203.0.113.7');
    expect(mail.messageId).toBe('<case.case-7f3a9c@soc.example.com>');
    expect(mail.inReplyTo).toBeUndefined();
    expect(mail.date?.toISOString()).toBe('2026-11-20T10:15:00.000Z');
    expect(mail.headers.get('x-alertgate-case')).toBe('case-7f3a9c');
    expect(mail.text).toContain('Entities: host: web-01; src_ip: 203.0.113.7; user: alice, bob');
    expect(mail.text).toContain('https://alertgate.example.com/incidents/case-7f3a9c');
    expect(mail.html).toContain('<tr><th align="left">Top rules</th><td>auth-brute-force (40), recon-scan (2)</td></tr>');
    expect(mail.html).toContain('<a href="https://alertgate.example.com/incidents/case-7f3a9c">');
  });

  it('threads the case: updates and the resolve reply to the first email (In-Reply-To, References), each with its own Message-ID', async () => {
    await email.update(notification('escalate', { escalationLevel: 2 }), {});
    await email.resolve(notification('resolve', { state: 'resolved', title: 'Brute force <script>' }), {});
    const [escalate, resolve] = inbox.slice(-2).map((r) => r.mail);
    expect(escalate!.subject).toBe('Re: [alertgate] [CRITICAL] Brute force against web-01 from 203.0.113.7');
    expect(escalate!.inReplyTo).toBe('<case.case-7f3a9c@soc.example.com>');
    expect(escalate!.references).toBe('<case.case-7f3a9c@soc.example.com>');
    expect(escalate!.messageId).toMatch(/^<n\.case-7f3a9c-test-escalate-open-42-[0-9a-f]{8}@soc\.example\.com>$/);
    expect(resolve!.subject).toBe('Re: [alertgate] RESOLVED: [CRITICAL] Brute force <script>');
    expect(resolve!.html).toContain('RESOLVED: [CRITICAL] Brute force &lt;script&gt;');
    expect(resolve!.messageId).not.toBe(escalate!.messageId);
  });

  it('the same notification sent again is the same message (same Message-ID)', async () => {
    const n = notification('reminder');
    await email.update(n, {});
    await email.update(n, {});
    const [a, b] = inbox.slice(-2).map((r) => r.mail);
    expect(a!.messageId).toBe(b!.messageId);
  });

  it('SMTP 4xx → retry; 5xx → failed; wrong password → failed; a server that cannot be reached → retry', async () => {
    rejectNext.push({ code: 451, message: 'Requested action aborted: local error' });
    expect(await email.send(notification('open'), {})).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/^SMTP: .*451/) });
    rejectNext.push({ code: 550, message: 'Mailbox unavailable' });
    expect(await email.send(notification('open'), {})).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^SMTP: .*550/) });
    const wrong = createReceivers(
      ReceiversConfig.parse({ named: { m: { type: 'email', smtp: { host: '127.0.0.1', port, requireTLS: false, user: USER, password: 'env:P' }, from: 'a@example.com', to: ['b@example.com'] } } }),
      { env: { P: 'not-the-password' } },
    ).get('m')!;
    expect(await wrong.send(notification('open'), {})).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^SMTP: .*535/) });
    const downPort = Number(new URL(await refusedUrl()).port);
    const down = createReceivers(
      ReceiversConfig.parse({ named: { m: { type: 'email', smtp: { host: '127.0.0.1', port: downPort, requireTLS: false }, from: 'a@example.com', to: ['b@example.com'] } } }),
      { env: {} },
    ).get('m')!;
    expect(await down.send(notification('open'), {})).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
