import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { CapturedNotification } from '../../src/receivers/capture.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { Notification } from '../../src/receivers/receiver.js';
import { verifyWebhookSignature } from '../../src/receivers/webhook.js';
import { tempDir } from '../helpers.js';
import { startFake } from '../receivers/fake-server.js';
import { createTopic, describeKafka, uniqueTopic } from './broker.js';
import { produceCli, replay, runCleanups, SOC_WEEK, startWorker, uniqueOutputs, until, writeWorkerConfig } from './worker-harness.js';

afterEach(runCleanups);

const ESCALATION = `timezone: UTC
policies:
  - name: page
    match: { severity: [critical] }
    levels:
      - notify: [soc-slack, pager]
  - name: channel
    levels:
      - notify: [soc-slack]
`;

describeKafka('alertgate run on Kafka drives cases', () => {
  it('files the stream\'s incidents into the cases replay files them in, escalates each once (dry run) and records it all in the ledger', async () => {
    // What replay files: the same merging (the config's defaults) on the same stream.
    const expected = replay(SOC_WEEK).incidents.map((l) => JSON.parse(l) as IncidentRecord);
    const expectedCases = new Map<string, string[]>();
    for (const i of expected) expectedCases.set(i.caseId!, [...(expectedCases.get(i.caseId!) ?? []), i.id].sort());
    expect(expectedCases.size).toBeLessThan(expected.length);

    const input = await createTopic(uniqueTopic('cases-alerts'), 1);
    await produceCli(['--input', SOC_WEEK, '--topic', input]);
    const dir = tempDir('alertgate-kafka-cases-');
    const ledgerFile = join(dir, 'ledger.sqlite');
    const capture = join(dir, 'notifications.ndjson');
    writeFileSync(join(dir, 'escalation.yaml'), ESCALATION);
    const worker = startWorker(
      writeWorkerConfig({
        input: [input],
        outputs: uniqueOutputs('cases'),
        extra: {
          ledger: { url: ledgerFile, flushIntervalMs: 200 },
          escalation: { file: join(dir, 'escalation.yaml') },
          delivery: { pollInterval: '200ms', rateLimit: { perSecond: 100, burst: 100 } },
          // A dry run: the configured receivers write what they would send, and need none of their secrets.
          receivers: {
            capture,
            named: {
              'soc-slack': { type: 'slack', token: 'env:ALERTGATE_TEST_UNSET_SLACK_TOKEN', channel: 'C0123456789' },
              pager: { type: 'pagerduty', routingKey: 'env:ALERTGATE_TEST_UNSET_ROUTING_KEY' },
            },
          },
        },
      }),
    );
    await worker.waitForLog((l) => l.msg === 'holding the delivery lease: this worker escalates and sends', 30_000);

    const ledger = await Ledger.open(parseLedgerLocation(ledgerFile));
    try {
      // Every case, with its incidents, in the ledger; each told its first level.
      const cases = await until(
        async () => {
          const listed = await ledger.cases.list({ limit: 1000 });
          return listed.length === expectedCases.size && listed.every((c) => c.escalation.level === 1) ? listed : undefined;
        },
        60_000,
        'the ledger does not have every case escalated',
      );
      for (const c of cases) {
        const detail = (await ledger.cases.get(c.id))!;
        expect(detail.incidents.map((i) => i.id).sort(), c.id).toEqual(expectedCases.get(c.id));
        expect(detail.escalation.policy).toBe(c.severity === 'critical' ? 'page' : 'channel');
      }
      // The dry run's file: each case's first notice to each of its receivers, once.
      const sent = await until(
        async () => {
          if (!existsSync(capture)) return undefined;
          const lines = readFileSync(capture, 'utf8').trim().split('\n').map((l) => CapturedNotification.parse(JSON.parse(l)));
          const want = cases.reduce((n, c) => n + (c.severity === 'critical' ? 2 : 1), 0);
          return lines.length >= want ? lines : undefined;
        },
        30_000,
        'the dry run did not write every first notice',
      );
      const ids = sent.map((l) => l.notificationId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(sent.every((l) => l.call === 'send' && l.kind === 'open')).toBe(true);
      // What each would have sent: Slack's call, PagerDuty's trigger keyed by the case.
      for (const l of sent) {
        if (l.type === 'pagerduty') expect(l.request).toMatchObject({ event_action: 'trigger', dedup_key: l.caseId });
        else expect(l.type).toBe('slack');
      }
      for (const c of cases) {
        const receivers = sent.filter((l) => l.caseId === c.id).map((l) => l.receiver).sort();
        expect(receivers, c.id).toEqual(c.severity === 'critical' ? ['pager', 'soc-slack'] : ['soc-slack']);
      }
      expect(await worker.stop()).toMatchObject({ code: 0 });
      // A clean stop gives the lease up: another worker takes over at once.
      expect((await ledger.leases.current('delivery'))?.expiresAtMs).toBe(0);
      console.log(`[kafka] ${expected.length} incidents → ${cases.length} cases; ${sent.length} first notices written by the dry run, 0 duplicates`);
    } finally {
      await ledger.close();
    }
  });

  it('tells a real receiver: a webhook on loopback gets each case\'s first notice once, signed, with the case\'s link', async () => {
    const secret = 'whsec-kafka-e2e-3c9b1f0a7d2e';
    const hook = await startFake((req) => (verifyWebhookSignature({ header: req.headers['x-alertgate-signature'] as string | undefined, body: req.body, secret }).ok ? { status: 204 } : { status: 401 }));
    const dir = tempDir('alertgate-kafka-hook-');
    const alerts = join(dir, 'alerts.ndjson');
    writeFileSync(
      alerts,
      ['db-07', 'db-07', 'web-3']
        .map((host, i) => JSON.stringify({ id: `k-hook-${i}`, time: `2026-11-20T10:0${i}:00Z`, source: 'edr', name: 'Credential dumping', severity: 'critical', category: 'malware', entities: { host } }))
        .join('\n') + '\n',
    );
    const input = await createTopic(uniqueTopic('cases-hook'), 1);
    await produceCli(['--input', alerts, '--topic', input]);
    writeFileSync(join(dir, 'secret'), secret);
    writeFileSync(join(dir, 'escalation.yaml'), 'timezone: UTC\npolicies:\n  - name: all\n    levels:\n      - notify: [soar]\n');
    const worker = startWorker(
      writeWorkerConfig({
        input: [input],
        outputs: uniqueOutputs('cases-hook'),
        extra: {
          ledger: { url: join(dir, 'ledger.sqlite'), flushIntervalMs: 200 },
          escalation: { file: join(dir, 'escalation.yaml') },
          delivery: { pollInterval: '200ms' },
          receivers: { link: 'https://alertgate.example.com/cases/{{caseId}}', named: { soar: { type: 'webhook', url: `${hook.url}/alertgate`, secret: `file:${join(dir, 'secret')}` } } },
        },
      }),
    );
    try {
      const posts = await until(async () => (hook.requests.length >= 2 ? hook.requests : undefined), 60_000, 'the webhook was not told of both cases');
      expect(await worker.stop()).toMatchObject({ code: 0 });
      const told = posts.map((p) => Notification.parse(JSON.parse(p.body)));
      // Two cases (one per host), each told once, every request's signature verified by the receiving server.
      expect(told.map((n) => [n.kind, n.notice.entities.host])).toEqual(expect.arrayContaining([['open', ['db-07']], ['open', ['web-3']]]));
      expect(new Set(told.map((n) => n.caseId)).size).toBe(2);
      expect(hook.requests).toHaveLength(2);
      for (const n of told) expect(n.notice.link).toBe(`https://alertgate.example.com/cases/${n.caseId}`);
      const ledger = await Ledger.open(parseLedgerLocation(join(dir, 'ledger.sqlite')));
      try {
        expect((await ledger.outbox.list({})).map((n) => [n.receiver, n.status])).toEqual([
          ['soar', 'delivered'],
          ['soar', 'delivered'],
        ]);
      } finally {
        await ledger.close();
      }
    } finally {
      await hook.close();
    }
  });
});
