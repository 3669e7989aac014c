import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { Receiver } from '../../src/receivers/receiver.js';
import { teamsCard } from '../../src/receivers/teams.js';
import { startFake, type FakeServer } from './fake-server.js';
import { notification } from './fixtures.js';

/**
 * The Teams card is checked twice: by the Adaptive Cards SDK's own parser (Microsoft's `adaptivecards`
 * package, the renderer's model of the format) at the card version Teams renders, which reports unknown
 * elements, invalid property values and properties newer than that version; and by the fields the
 * Adaptive Card schema documents as required for the elements the card uses, which the parser does
 * not report (TextBlock.text, Fact.title and .value, Action.OpenUrl.url).
 */
interface AdaptiveCardsSdk {
  AdaptiveCard: new () => { parse(json: unknown, context: unknown): void; validateProperties(): { validationEvents: { message: string }[] } };
  SerializationContext: new (version: unknown) => { eventCount: number; getEventAt(i: number): { message: string } };
  Versions: { v1_4: unknown };
}
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.min.js') as AdaptiveCardsSdk;

function sdkProblems(card: unknown): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  parsed.parse(card, context);
  const problems: string[] = [];
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) problems.push(event.message);
  return problems;
}

const Element = z.discriminatedUnion('type', [
  z.object({ type: z.literal('TextBlock'), text: z.string().min(1) }),
  z.object({ type: z.literal('FactSet'), facts: z.array(z.object({ title: z.string().min(1), value: z.string().min(1) })).min(1) }),
]);
const Card = z.object({
  type: z.literal('AdaptiveCard'),
  version: z.literal('1.4'),
  body: z.array(Element).min(1),
  actions: z.array(z.object({ type: z.literal('Action.OpenUrl'), title: z.string().min(1), url: z.url() })).optional(),
});
/** What Teams workflows ("Post to a channel when a webhook request is received") and incoming webhooks accept. */
const TeamsMessage = z
  .object({
    type: z.literal('message'),
    attachments: z.array(z.object({ contentType: z.literal('application/vnd.microsoft.card.adaptive'), contentUrl: z.null(), content: Card }).strict()).length(1),
  })
  .strict();

describe('Teams receiver against a webhook on loopback', () => {
  let hook: FakeServer;
  let teams: Receiver;
  const SIG = 'sig-SeCrEtTeamsWebhookSignature123';

  beforeAll(async () => {
    // A Workflows webhook answers 202 Accepted with no body.
    hook = await startFake((req) => (req.query.get('sig') === SIG ? { status: 202 } : { status: 401, body: { error: { code: 'DirectApiAuthorizationRequired' } } }));
    const config = ReceiversConfig.parse({ named: { channel: { type: 'teams', webhookUrl: 'env:TEAMS_URL' } } });
    teams = createReceivers(config, { env: { TEAMS_URL: `${hook.url}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${SIG}` } }).get('channel')!;
  });
  afterAll(async () => {
    await hook?.close();
  });

  /** The last card posted, after checking the message against what Teams accepts (zod drops unknown keys, so it is read raw). */
  function lastCard(): z.infer<typeof Card> & { body: Record<string, unknown>[] } {
    const body = JSON.parse(hook.requests.at(-1)!.body) as { attachments: { content: z.infer<typeof Card> & { body: Record<string, unknown>[] } }[] };
    TeamsMessage.parse(body);
    return body.attachments[0]!.content;
  }

  it('the card checks can fail: the SDK reports what Teams would not render, the schema check a missing required field', () => {
    expect(sdkProblems({ type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'x', size: 'huge' }, { type: 'Table', columns: [] }] })).toEqual([
      'Invalid value "huge" for property "size".',
      'Unknown element type "Table". Fallback will be used if present.',
    ]);
    expect(Card.safeParse({ type: 'AdaptiveCard', version: '1.4', body: [{ type: 'FactSet', facts: [{ title: 'Severity' }] }] }).success).toBe(false);
  });

  it('send posts a message with one Adaptive Card: headline, status, summary, the case as facts, the link', async () => {
    expect(await teams.send(notification('open'), {})).toEqual({ outcome: 'delivered' });
    const request = hook.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    const card = lastCard();
    expect(sdkProblems(card)).toEqual([]);
    expect(Card.parse(card).body.map((e) => (e.type === 'TextBlock' ? e.text : e.facts.map((f) => `${f.title}=${f.value}`).join('|')))).toEqual([
      '[CRITICAL] Brute force against web-01 from 203.0.113.7',
      'New case',
      '40 failed logins for alice and bob on web-01 within 15 minutes, then a success.',
      'Severity=critical|State=open|Classification=unauthorized-access|Assignee=unassigned|On call=ana|Entities=host: web-01; src_ip: 203.0.113.7; user: alice, bob|First seen=2026-11-20 10:00:00 UTC|Last seen=2026-11-20 10:14:30 UTC|Alerts=42|Top rules=auth-brute-force (40), recon-scan (2)|Escalation level=1|Case=case-7f3a9c',
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the case', url: 'https://alertgate.example.com/incidents/case-7f3a9c' }]);
  });

  it('update and resolve post follow-up cards (a webhook cannot edit); every card passes the checks, with or without a link', async () => {
    const before = hook.requests.length;
    await teams.update(notification('escalate', { escalationLevel: 2 }), {});
    expect(lastCard().body[1]).toEqual({ type: 'TextBlock', text: 'Escalated to level 2: not acknowledged yet', isSubtle: true, spacing: 'None', wrap: true });
    await teams.resolve(notification('resolve', { state: 'resolved', assignee: 'ana', link: null }), {});
    const resolved = lastCard();
    expect(resolved.body[0]).toMatchObject({ text: 'RESOLVED: [CRITICAL] Brute force against web-01 from 203.0.113.7', color: 'good' });
    expect(resolved.actions).toBeUndefined();
    expect(hook.requests.length).toBe(before + 2);
    for (const kind of ['open', 'update', 'escalate', 'reminder', 'resolve'] as const) {
      for (const severity of ['low', 'medium', 'high', 'critical'] as const) {
        const card = teamsCard(notification(kind, { severity, drill: kind === 'reminder', classification: null, oncall: null }));
        expect(sdkProblems(card)).toEqual([]);
        expect(Card.safeParse(card).success).toBe(true);
      }
    }
  });

  it('429 → retry with the Retry-After delay; 5xx → retry; 400 → failed', async () => {
    hook.failNext({ status: 429, headers: { 'retry-after': '45' } });
    expect(await teams.send(notification('open'), {})).toEqual({ outcome: 'retry', error: 'Teams webhook: HTTP 429', retryAfterMs: 45_000 });
    hook.failNext({ status: 502, body: 'Bad Gateway' });
    expect(await teams.send(notification('open'), {})).toEqual({ outcome: 'retry', error: 'Teams webhook: HTTP 502: Bad Gateway' });
    hook.failNext({ status: 400, body: { error: { code: 'InvalidRequestContent', message: 'The input body for trigger manual of type Request did not match its schema definition.' } } });
    expect(await teams.send(notification('open'), {})).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^Teams webhook: HTTP 400: .*InvalidRequestContent/) });
  });
});
