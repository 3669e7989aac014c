import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createLogger } from '../../src/cli/logger.js';
import { loadConfig } from '../../src/config/load.js';
import { createReceivers } from '../../src/receivers/config.js';
import { tempDir } from '../helpers.js';
import { startFake, type FakeServer } from './fake-server.js';
import { notification } from './fixtures.js';

const SECRETS = {
  SLACK_TOKEN: 'xoxb-4242-SECRET-slack-bot-token',
  TEAMS_SIG: 'SECRET-teams-workflow-signature',
  PD_KEY: 'SECRET-pagerduty-routing-key-0001',
  JIRA_TOKEN: 'SECRET-jira-api-token-ATATT3x',
  SMTP_PASSWORD: 'SECRET-smtp-password-!@#',
  HOOK_SECRET: 'SECRET-webhook-hmac-key',
  HOOK_AUTH: 'Bearer SECRET-webhook-bearer',
  HOOK_URL_TOKEN: 'SECRET-token-in-the-url',
};

function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, value]) => text.includes(value) || text.includes(encodeURIComponent(value)) || text.includes(Buffer.from(value).toString('base64')))
    .map(([name]) => name);
}

/**
 * Every vendor here misbehaves in the worst way for a secret: it answers 400 with an echo of the whole
 * request (URL, headers, body), so the receiver's error carries whatever it sent. The SMTP server
 * refuses the login repeating the password. The results and the logs must still hold none of them.
 */
describe('secrets never in logs or error messages', () => {
  let echo: FakeServer;
  let smtp: SMTPServer;
  let smtpPort: number;

  beforeAll(async () => {
    echo = await startFake((req) => ({ status: 400, body: { echo: { url: `${req.path}?${req.query.toString()}`, headers: req.headers, body: req.body } } }));
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        callback(Object.assign(new Error(`Invalid login ${auth.username}/${auth.password}`), { responseCode: 535 }));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await echo?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('a resolved secret appears in no result, thrown error or log line, at trace level, whatever the vendor echoes', async () => {
    const dir = tempDir('alertgate-secrets-');
    writeFileSync(join(dir, 'jira-token'), `${SECRETS.JIRA_TOKEN}\n`);
    const file = join(dir, 'alertgate.config.yaml');
    writeFileSync(
      file,
      stringify({
        receivers: {
          timeoutMs: 2000,
          named: {
            slack: { type: 'slack', token: 'env:SLACK_TOKEN', channel: 'C0SOCALERTS', apiUrl: echo.url },
            teams: { type: 'teams', webhookUrl: 'env:TEAMS_URL' },
            // A URL the HTTP client cannot parse: its error message quotes the whole URL.
            'teams-bad-url': { type: 'teams', webhookUrl: 'env:TEAMS_BAD_URL' },
            pd: { type: 'pagerduty', routingKey: 'env:PD_KEY', url: `${echo.url}/enqueue` },
            jira: { type: 'jira', host: echo.url, email: 'bot@example.com', apiToken: `file:${join(dir, 'jira-token')}`, project: 'SEC' },
            mail: { type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, requireTLS: false, user: 'bot', password: 'env:SMTP_PASSWORD' }, from: 'a@example.com', to: ['b@example.com'] },
            hook: { type: 'webhook', url: 'env:HOOK_URL', secret: 'env:HOOK_SECRET', headers: { Authorization: 'env:HOOK_AUTH' } },
          },
        },
      }),
    );
    const env = {
      SLACK_TOKEN: SECRETS.SLACK_TOKEN,
      TEAMS_URL: `${echo.url}/workflows/invoke?sig=${SECRETS.TEAMS_SIG}`,
      TEAMS_BAD_URL: `http://bad host.example/invoke?sig=${SECRETS.TEAMS_SIG}`,
      PD_KEY: SECRETS.PD_KEY,
      SMTP_PASSWORD: SECRETS.SMTP_PASSWORD,
      HOOK_URL: `${echo.url}/hook?token=${SECRETS.HOOK_URL_TOKEN}`,
      HOOK_SECRET: SECRETS.HOOK_SECRET,
      HOOK_AUTH: SECRETS.HOOK_AUTH,
    };
    const config = await loadConfig(file, env);
    let logged = '';
    const log = createLogger('trace', { redact: config.log.redact, destination: new Writable({ write(chunk, _enc, done) { logged += String(chunk); done(); } }) });
    log.debug({ config }, 'configuration');
    const receivers = createReceivers(config.receivers, { env });
    const results: string[] = [];
    for (const receiver of receivers.values()) {
      for (const step of ['send', 'update', 'resolve'] as const) {
        const result = await receiver[step](notification(step === 'send' ? 'open' : step), step === 'send' ? {} : { issueKey: 'SEC-1', channel: 'C0SOCALERTS', ts: '1763632800.000100' });
        expect(result.outcome, `${receiver.name} ${step}`).not.toBe('delivered');
        results.push(JSON.stringify(result));
        log.error({ receiver: receiver.name, result }, 'notification not delivered');
      }
    }
    for (const receiver of receivers.values()) await receiver.close?.();
    // The vendors did echo the secrets back: each error that carried one says [redacted] in its place.
    expect(results.join('\n')).toContain('[redacted]');
    expect(results.filter((r) => r.includes('[redacted]')).length).toBeGreaterThanOrEqual(12);
    expect(leaks(results.join('\n'))).toEqual([]);
    expect(logged).toContain('notification not delivered');
    const configLine = JSON.parse(logged.split('\n').find((line) => line.includes('"msg":"configuration"'))!) as { config: { receivers: { named: Record<string, Record<string, unknown>> } } };
    expect(configLine.config.receivers.named.slack).toMatchObject({ token: '[redacted]', channel: 'C0SOCALERTS' });
    expect(configLine.config.receivers.named.hook).toMatchObject({ url: '[redacted]', secret: '[redacted]', headers: '[redacted]' });
    expect(configLine.config.receivers.named.mail).toMatchObject({ smtp: { password: '[redacted]', user: 'bot' } });
    expect(leaks(logged)).toEqual([]);
  });
});
