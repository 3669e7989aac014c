import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { CapturedNotification } from '../../src/receivers/capture.js';
import { createReceivers, renderLink, ReceiversConfig } from '../../src/receivers/config.js';
import { tempDir } from '../helpers.js';
import { notification } from './fixtures.js';

function configFile(content: unknown): string {
  const file = join(tempDir('alertgate-config-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

/** One receiver of every type, every secret from the environment. */
const EVERY_TYPE = {
  link: 'https://alertgate.example.com/incidents/{{caseId}}',
  named: {
    slack: { type: 'slack', token: 'env:SLACK_TOKEN', channel: 'C0SOCALERTS' },
    teams: { type: 'teams', webhookUrl: 'env:TEAMS_URL' },
    pd: { type: 'pagerduty', routingKey: 'env:PD_KEY' },
    jira: { type: 'jira', host: 'https://example.atlassian.net', email: 'bot@example.com', apiToken: 'env:JIRA_TOKEN', project: 'SEC' },
    mail: { type: 'email', smtp: { host: 'smtp.example.com', user: 'bot', password: 'env:SMTP_PASSWORD' }, from: 'alertgate@example.com', to: ['soc@example.com'] },
    hook: { type: 'webhook', url: 'https://soar.example.com/hooks/alertgate', secret: 'env:HOOK_SECRET', headers: { Authorization: 'env:HOOK_AUTH' } },
    log: { type: 'capture', path: 'out/notifications.ndjson' },
  },
};
const SECRETS = {
  SLACK_TOKEN: 'xoxb-000-secret-slack',
  TEAMS_URL: 'https://example.webhook.office.com/workflows/1/invoke?sig=secret-teams-sig',
  PD_KEY: 'secret-pagerduty-routing-key',
  JIRA_TOKEN: 'secret-jira-api-token',
  SMTP_PASSWORD: 'secret-smtp-password',
  HOOK_SECRET: 'secret-hmac-key-000',
  HOOK_AUTH: 'Bearer secret-hook-token',
};

describe('receivers config', () => {
  it('has no receivers by default; the defaults of each type are filled in', async () => {
    expect((await loadConfig(undefined, {})).receivers).toEqual({ timeoutMs: 10_000, named: {} });
    const config = await loadConfig(configFile({ receivers: EVERY_TYPE }), SECRETS);
    expect(config.receivers.named.slack).toMatchObject({ apiUrl: 'https://slack.com/api/', lookback: 200 });
    expect(config.receivers.named.pd).toMatchObject({ url: 'https://events.pagerduty.com/v2/enqueue', severity: { critical: 'critical', high: 'error', medium: 'warning', low: 'info' }, source: 'alertgate' });
    expect(config.receivers.named.jira).toMatchObject({ issueType: 'Task', priority: { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' }, labels: ['alertgate'], resolveTransition: 'Done' });
    expect(config.receivers.named.mail).toMatchObject({ smtp: { port: 587, secure: false, requireTLS: true }, cc: [], subjectPrefix: '[alertgate]' });
    expect([...createReceivers(config.receivers).entries()].map(([name, r]) => `${name}:${r.type}`)).toEqual(['slack:slack', 'teams:teams', 'pd:pagerduty', 'jira:jira', 'mail:email', 'hook:webhook', 'log:capture']);
  });

  it('reads secrets once at load, from the environment or a file (its final newline dropped)', async () => {
    const dir = tempDir('alertgate-secret-');
    writeFileSync(join(dir, 'pd'), 'key-from-file\n');
    const config = await loadConfig(configFile({ receivers: { named: { pd: { type: 'pagerduty', routingKey: `file:${join(dir, 'pd')}` } } } }), {});
    const pd = config.receivers.named.pd!;
    expect(pd.type === 'pagerduty' && pd.routingKey.reveal()).toBe('key-from-file');
    // Serialized (a debug log of the config, an API echoing it) it is its reference, never its value.
    expect(JSON.stringify(config.receivers)).toContain(`"routingKey":"file:${join(dir, 'pd')}"`);
    expect(JSON.stringify(config.receivers)).not.toContain('key-from-file');
  });

  it('names the file and field of every problem, and the fix', async () => {
    const problems = async (receivers: unknown, env: Record<string, string> = {}) => {
      const file = configFile({ receivers });
      return loadConfig(file, env).then(
        () => 'loaded',
        (err: Error) => err.message.replaceAll(file, '<file>'),
      );
    };
    expect(await problems({ named: { soc: { type: 'slack', token: 'xoxb-pasted-in-the-file', channel: 'C0SOCALERTS' } } })).toContain(
      '<file>: /receivers/named/soc/token: give the secret as env:NAME or file:/absolute/path, never its value in the config file',
    );
    expect(await problems({ named: { soc: { type: 'slack', token: 'env:SLACK_TOKEN', channel: '#soc' } } })).toContain('<file>: /receivers/named/soc/channel: expected a Slack channel id such as C0123456789');
    expect(await problems({ named: { soc: { type: 'slack', token: 'env:SLACK_TOKEN', channel: 'C0SOCALERTS' } } })).toBe(
      'invalid configuration:\n<file>: /receivers/named/soc/token: env:SLACK_TOKEN: the environment variable SLACK_TOKEN is not set',
    );
    expect(await problems({ named: { pd: { type: 'pagerduty', routingKey: 'file:/nonexistent/pd-key' } } })).toBe(
      'invalid configuration:\n<file>: /receivers/named/pd/routingKey: file:/nonexistent/pd-key: cannot read the file (ENOENT)',
    );
    expect(await problems({ named: { 'Bad Name': { type: 'capture', path: 'x' } } })).toContain('<file>: /receivers/named/Bad Name: use 1 to 64 lowercase letters');
    expect(await problems({ named: { x: { type: 'fax', number: 1 } } })).toMatch(/<file>: \/receivers\/named\/x\/type: /);
    expect(await problems({ link: 'https://alertgate.example.com/incidents' })).toContain('<file>: /receivers/link: the link needs the placeholder {{caseId}}');
    expect(await problems({ link: 'alertgate/{{caseId}}' })).toContain('<file>: /receivers/link: expected an http:// or https:// URL');
    expect(await problems({ named: { hook: { type: 'webhook', url: 'https://x.example', headers: { 'X-Alertgate-Signature': 'forged', 'Bad Header': 'x' } } } })).toBe(
      'invalid configuration:\n<file>: /receivers/named/hook/headers/X-Alertgate-Signature: set by alertgate itself\n<file>: /receivers/named/hook/headers/Bad Header: not an HTTP header name',
    );
    expect(await problems({ named: { hook: { type: 'webhook', url: 'ftp://x' } } })).toBe('invalid configuration:\n<file>: /receivers/named/hook/url: expected an http:// or https:// URL');
    expect(await problems({ named: { mail: { type: 'email', smtp: { host: 'h', user: 'u' }, from: 'a@b.c', to: [] } } })).toMatch(/\/receivers\/named\/mail\/smtp: give both user and password[\s\S]*\/receivers\/named\/mail\/to: /);
    // A value from the environment that cannot be right is named by its reference, never echoed.
    expect(await problems({ named: { t: { type: 'teams', webhookUrl: 'env:TEAMS_URL' } } }, { TEAMS_URL: 'not a url but secret-ish' })).toBe(
      'invalid configuration:\n<file>: /receivers/named/t/webhookUrl: env:TEAMS_URL does not hold an http:// or https:// URL',
    );
    expect(await problems({ named: { s: { type: 'slack', token: 'env:T', channel: 'C0SOCALERTS' } } }, { T: 'secret-but-not-a-slack-token' })).toBe(
      'invalid configuration:\n<file>: /receivers/named/s/token: env:T does not hold a Slack token (xoxb-…)',
    );
  });

  it('delivery.fallback and delivery.rateLimits name configured receivers', async () => {
    const problems = (content: Record<string, unknown>) => {
      const file = configFile(content);
      return loadConfig(file, {}).then(
        () => 'loaded',
        (err: Error) => err.message.replaceAll(file, '<file>'),
      );
    };
    const receivers = { capture: 'out/n.ndjson', named: { 'soc-slack': { type: 'slack', token: 'env:SLACK_TOKEN', channel: 'C0SOCALERTS' } } };
    expect(await problems({ receivers, delivery: { fallback: 'soc-slack', rateLimits: { 'soc-slack': { perSecond: 1 } } } })).toBe('loaded');
    expect(await problems({ receivers, delivery: { fallback: 'soc-mail', rateLimits: { pager: { perSecond: 1 } } } })).toBe(
      'invalid configuration:\n<file>: /delivery/fallback: no receiver named "soc-mail" in receivers.named (soc-slack; docs/receivers.md)\n<file>: /delivery/rateLimits/pager: no receiver named "pager" in receivers.named (soc-slack; docs/receivers.md)',
    );
  });

  it('run --dry-run: the flag alone keeps the config\'s capture file, else out/notifications.ndjson; with a file, that file', async () => {
    const receivers = { named: { pd: { type: 'pagerduty', routingKey: 'env:UNSET_ROUTING_KEY' } } };
    const flag = { flag: '--dry-run', path: ['receivers', 'capture'], value: 'out/notifications.ndjson', ifUnset: true };
    // No secret is read in a dry run: the unset variable stops nothing.
    expect((await loadConfig(configFile({ receivers }), {}, [flag])).receivers.capture).toBe('out/notifications.ndjson');
    expect((await loadConfig(configFile({ receivers: { ...receivers, capture: 'mine.ndjson' } }), {}, [flag])).receivers.capture).toBe('mine.ndjson');
    expect((await loadConfig(configFile({ receivers: { ...receivers, capture: 'mine.ndjson' } }), {}, [{ ...flag, value: 'given.ndjson', ifUnset: false }])).receivers.capture).toBe('given.ndjson');
    await expect(loadConfig(configFile({ receivers }), {})).rejects.toThrow(/routingKey: env:UNSET_ROUTING_KEY: the environment variable UNSET_ROUTING_KEY is not set/);
  });

  it('ALERTGATE_RECEIVERS_LINK and ALERTGATE_RECEIVERS_CAPTURE set the link and the dry run', async () => {
    const config = await loadConfig(undefined, { ALERTGATE_RECEIVERS_LINK: 'http://127.0.0.1:9464/incidents/{{caseId}}', ALERTGATE_RECEIVERS_CAPTURE: 'out/dry.ndjson' });
    expect(config.receivers).toMatchObject({ link: 'http://127.0.0.1:9464/incidents/{{caseId}}', capture: 'out/dry.ndjson' });
    await expect(loadConfig(undefined, { ALERTGATE_RECEIVERS_LINK: 'nope' })).rejects.toThrow(/ALERTGATE_RECEIVERS_LINK: the link needs the placeholder/);
  });

  it('renders the link with the case id URL-encoded', () => {
    expect(renderLink('https://a.example/incidents/{{caseId}}?from=slack#{{caseId}}', 'case 1/2')).toBe('https://a.example/incidents/case%201%2F2?from=slack#case%201%2F2');
  });
});

describe('capture: what would be sent, as NDJSON, without sending and without secrets', () => {
  it('a dry run (receivers.capture) makes every receiver write its rendered request; it needs no secret', async () => {
    const path = join(tempDir('alertgate-capture-'), 'out', 'dry.ndjson');
    const config = ReceiversConfig.parse({ ...EVERY_TYPE, capture: path });
    const receivers = createReceivers(config, { env: {}, now: () => Date.parse('2026-11-20T10:15:00.000Z') });
    for (const receiver of receivers.values()) {
      expect(await receiver.send(notification('open', {}, receiver.name), {})).toEqual({ outcome: 'delivered' });
      expect(await receiver.resolve(notification('resolve', { state: 'resolved' }, receiver.name), {})).toEqual({ outcome: 'delivered' });
    }
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => CapturedNotification.parse(JSON.parse(line)));
    expect(lines.map((l) => `${l.receiver}/${l.type}/${l.kind}`)).toEqual(
      ['slack/slack', 'teams/teams', 'pd/pagerduty', 'jira/jira', 'mail/email', 'hook/webhook', 'log/capture'].flatMap((r) => [`${r}/open`, `${r}/resolve`]),
    );
    expect(lines[0]).toMatchObject({ at: '2026-11-20T10:15:00.000Z', caseId: 'case-7f3a9c', request: { method: 'chat.postMessage', args: { channel: 'C0SOCALERTS' } } });
    expect(lines[1]!.request).toMatchObject({ method: 'chat.update' });
    expect(lines[4]!.request).toMatchObject({ event_action: 'trigger', dedup_key: 'case-7f3a9c', payload: { severity: 'critical' } });
    expect(lines[5]!.request).toEqual({ event_action: 'resolve', dedup_key: 'case-7f3a9c' });
    expect(lines[6]!.request).toMatchObject({ operation: 'createIssue', body: { fields: { labels: ['alertgate', 'alertgate-case-case-7f3a9c'] } } });
    expect(lines[8]!.request).toMatchObject({ subject: '[alertgate] [CRITICAL] Brute force against web-01 from 203.0.113.7', messageId: '<case.case-7f3a9c@example.com>' });
    expect(lines[10]!.request).toMatchObject({ url: 'https://soar.example.com/hooks/alertgate', headers: { Authorization: '<env:HOOK_AUTH>', 'x-alertgate-delivery': 'case-7f3a9c:hook:open:open:42' } });
    expect(lines[12]!.request).toEqual(notification('open', {}, 'log'));
    const text = readFileSync(path, 'utf8');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  it('a dry run writes the request of the call: an escalation that is a receiver\'s first notice posts and opens a ticket; a later one edits and comments', async () => {
    const path = join(tempDir('alertgate-capture-'), 'dry.ndjson');
    const receivers = createReceivers(ReceiversConfig.parse({ ...EVERY_TYPE, capture: path }), { env: {} });
    for (const name of ['slack', 'jira']) {
      await receivers.get(name)!.send(notification('escalate', {}, name), {});
      await receivers.get(name)!.update(notification('escalate', {}, name), {});
    }
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => CapturedNotification.parse(JSON.parse(line)));
    expect(lines.map((l) => [l.receiver, l.kind, l.call])).toEqual([
      ['slack', 'escalate', 'send'],
      ['slack', 'escalate', 'update'],
      ['jira', 'escalate', 'send'],
      ['jira', 'escalate', 'update'],
    ]);
    expect(lines.map((l) => (l.request as { method?: string; operation?: string }).method ?? (l.request as { operation: string }).operation)).toEqual(['chat.postMessage', 'chat.update', 'createIssue', 'addComment']);
  });

  it('a capture receiver (npm start) appends one line per notification, in order, to a file it creates', async () => {
    const path = join(tempDir('alertgate-capture-'), 'deep', 'dir', 'notifications.ndjson');
    const config = ReceiversConfig.parse({ named: { log: { type: 'capture', path } } });
    const log = createReceivers(config, { env: {} }).get('log')!;
    const kinds = ['open', 'update', 'escalate', 'reminder', 'resolve'] as const;
    // Sent without waiting for each other: the file keeps the call order.
    await Promise.all(kinds.map((kind) => log.update(notification(kind), {})));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((line) => CapturedNotification.parse(JSON.parse(line)));
    expect(lines.map((l) => l.kind)).toEqual([...kinds]);
  });

  it('a capture file that cannot be written → failed, with the reason', async () => {
    const dir = tempDir('alertgate-capture-');
    writeFileSync(join(dir, 'file'), 'not a directory');
    const log = createReceivers(ReceiversConfig.parse({ named: { log: { type: 'capture', path: join(dir, 'file', 'x.ndjson') } } }), { env: {} }).get('log')!;
    expect(await log.send(notification('open'), {})).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^capture to .*: EEXIST|ENOTDIR/) });
  });
});
