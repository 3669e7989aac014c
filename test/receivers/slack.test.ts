import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseTag } from '../../src/receivers/case-keys.js';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { Receiver, ReceiverState } from '../../src/receivers/receiver.js';
import { formOf, refusedUrl, startFake, type FakeServer, type Recorded, type Reply } from './fake-server.js';
import { notification } from './fixtures.js';
import { contractFor, startContractProxy, type ContractProxy } from './prism.js';

const contractsDir = inject('contractsDir');
const TOKEN = 'xoxb-1111-2222-secretslacktoken';
const SOC_CHANNEL = 'C0SOCALERTS';
const BOT = 'U0ALERTGATE';

interface Message {
  ts: string;
  text: string;
  blocks?: { type: string; block_id?: string }[];
}
interface Channel {
  id: string;
  name: string;
  isPrivate: boolean;
  members: Set<string>;
  messages: Message[];
  pins: Set<string>;
}

/** Slack's Web API for one workspace: channels with messages, members and pins; the answers its contract describes. */
function slackFake(channels: Map<string, Channel>) {
  let clock = 1763632800;
  let nextChannel = 1;
  const ok = (body: Record<string, unknown>): Reply => ({ status: 200, body: { ok: true, ...body } });
  const error = (code: string): Reply => ({ status: 200, body: { ok: false, error: code } });
  const conversation = (c: Channel) => ({
    id: c.id,
    name: c.name,
    name_normalized: c.name,
    created: 1763632800,
    creator: BOT,
    is_archived: false,
    is_channel: !c.isPrivate,
    is_general: false,
    is_mpim: false,
    is_group: c.isPrivate,
    is_org_shared: false,
    is_im: false,
    is_shared: false,
    is_private: c.isPrivate,
    topic: { value: '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
  });
  const message = (m: Message) => ({ type: 'message', text: m.text, ts: m.ts, ...(m.blocks ? { blocks: m.blocks } : {}) });
  return startFake((req: Recorded) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return error('invalid_auth');
    const args = formOf(req.body);
    const method = req.path.slice(1);
    if (method === 'conversations.create') {
      if (!/^[a-z0-9_-]{1,80}$/.test(args.name ?? '')) return error('invalid_name_specials');
      if ([...channels.values()].some((c) => c.name === args.name)) return error('name_taken');
      const c: Channel = { id: `C0CASE${String(nextChannel++).padStart(4, '0')}`, name: args.name!, isPrivate: args.is_private === 'true', members: new Set([BOT]), messages: [], pins: new Set() };
      channels.set(c.id, c);
      return ok({ channel: conversation(c) });
    }
    if (method === 'conversations.list') {
      const wanted = (args.types ?? 'public_channel').split(',');
      const found = [...channels.values()].filter((c) => wanted.includes(c.isPrivate ? 'private_channel' : 'public_channel'));
      return ok({ channels: found.map(conversation), response_metadata: { next_cursor: '' } });
    }
    const channel = channels.get(args.channel ?? '');
    if (channel === undefined) return error('channel_not_found');
    if (!channel.members.has(BOT)) return error('not_in_channel');
    switch (method) {
      case 'chat.postMessage': {
        const m: Message = { ts: `${clock++}.000100`, text: args.text ?? '', ...(args.blocks ? { blocks: JSON.parse(args.blocks) } : {}) };
        channel.messages.push(m);
        return ok({ channel: channel.id, ts: m.ts, message: message(m) });
      }
      case 'chat.update': {
        const m = channel.messages.find((x) => x.ts === args.ts);
        if (m === undefined) return error('message_not_found');
        m.text = args.text ?? m.text;
        if (args.blocks) m.blocks = JSON.parse(args.blocks);
        // The contract's chat.update answer has no blocks in its message (Slack's real one does).
        return ok({ channel: channel.id, ts: m.ts, text: m.text, message: { type: 'message', text: m.text, ts: m.ts } });
      }
      case 'conversations.history': {
        const newest = [...channel.messages].reverse().slice(0, Number(args.limit ?? 100));
        if (newest.length === 0) return ok({ messages: [{ type: 'message', subtype: 'channel_join', text: 'joined', ts: '1763632700.000100' }], has_more: false, pin_count: channel.pins.size, channel_actions_ts: null, channel_actions_count: 0 });
        return ok({ messages: newest.map(message), has_more: false, pin_count: channel.pins.size, channel_actions_ts: null, channel_actions_count: 0 });
      }
      case 'conversations.invite': {
        const users = (args.users ?? '').split(',');
        if (users.every((u) => channel.members.has(u))) return error('already_in_channel');
        for (const u of users) channel.members.add(u);
        return ok({ channel: conversation(channel) });
      }
      case 'pins.add': {
        if (!channel.messages.some((m) => m.ts === args.timestamp)) return error('message_not_found');
        if (channel.pins.has(args.timestamp!)) return error('already_pinned');
        channel.pins.add(args.timestamp!);
        return ok({});
      }
      default:
        return error('unknown_method');
    }
  });
}

describe.skipIf(!contractsDir)('Slack receiver against the Web API contract (prism proxy) and a Slack fake', () => {
  const channels = new Map<string, Channel>();
  let fake: FakeServer;
  let prism: ContractProxy;
  let slack: Receiver;
  let withCaseChannel: Receiver;

  beforeAll(async () => {
    fake = await slackFake(channels);
    prism = await startContractProxy(contractFor('slack', contractsDir), fake.url);
    const config = ReceiversConfig.parse({
      named: {
        soc: { type: 'slack', token: 'env:SLACK_TOKEN', channel: SOC_CHANNEL, apiUrl: prism.url },
        war: {
          type: 'slack',
          token: 'env:SLACK_TOKEN',
          channel: SOC_CHANNEL,
          apiUrl: prism.url,
          caseChannel: { prefix: 'inc-', oncall: { ana: 'U0ANA' }, invite: ['U0LEAD'] },
        },
      },
    });
    const receivers = createReceivers(config, { env: { SLACK_TOKEN: TOKEN } });
    slack = receivers.get('soc')!;
    withCaseChannel = receivers.get('war')!;
  });
  afterAll(async () => {
    await prism?.close();
    await fake?.close();
  });

  function soc(): Channel {
    return channels.get(SOC_CHANNEL)!;
  }
  function tagged(channel: Channel, caseId: string): Message[] {
    return channel.messages.filter((m) => m.blocks?.some((b) => b.block_id === `alertgate-case-${caseId}`));
  }
  function methodsSince(index: number): string[] {
    return fake.requests.slice(index).map((r) => r.path.slice(1));
  }

  beforeAll(() => {
    channels.set(SOC_CHANNEL, { id: SOC_CHANNEL, name: 'soc-alerts', isPrivate: false, members: new Set([BOT]), messages: [], pins: new Set() });
  });

  it('the contract check can fail: a request that breaks the contract is refused before it reaches Slack', async () => {
    const before = fake.requests.length;
    const response = await fetch(`${prism.url}/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'text=no+channel',
    });
    expect(response.status).toBe(422);
    expect(JSON.stringify(await response.json())).toContain("must have required property 'channel'");
    // Without the bearer token the contract's security scheme refuses it too.
    const anonymous = await fetch(`${prism.url}/chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `channel=${SOC_CHANNEL}&text=hi` });
    expect(anonymous.status).toBe(401);
    expect(fake.requests.length).toBe(before);
  });

  it('the fake is held to the contract too: an answer the contract does not describe reaches the receiver as a 500', async () => {
    fake.failNext({ status: 200, body: { ok: true, channel: SOC_CHANNEL } }, { path: '/chat.postMessage' });
    const result = await slack.send(notification('open', { caseId: 'case-s-bad-answer' }), {});
    expect(result).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/^Slack chat.postMessage: HTTP 500: .*VIOLATIONS.*required property 'ts'/) });
  });

  it('send posts the case to the channel with Block Kit blocks and keeps the message ts and channel', async () => {
    const result = await slack.send(notification('open', { caseId: 'case-s1' }), {});
    expect(result).toEqual({ outcome: 'delivered', state: { channel: SOC_CHANNEL, ts: expect.stringMatching(/^\d{10}\.\d{6}$/) } });
    const [message] = tagged(soc(), 'case-s1');
    expect(message!.ts).toBe((result as { state: ReceiverState }).state.ts);
    expect(message!.text).toBe('[CRITICAL] Brute force against web-01 from 203.0.113.7');
    const text = JSON.stringify(message!.blocks);
    for (const part of ['*Severity*\\ncritical', '*Classification*\\nunauthorized-access', '*Entities*\\nhost: web-01; src_ip: 203.0.113.7; user: alice, bob', '*First seen*\\n2026-11-20 10:00:00 UTC', '*Alerts*\\n42', '*Top rules*\\nauth-brute-force (40), recon-scan (2)', '40 failed logins', '<https://alertgate.example.com/incidents/case-7f3a9c|Open the case in alertgate>']) {
      expect(text).toContain(part);
    }
  });

  it('a retried Slack send finds the existing message (crash between send and record): no second post', async () => {
    const n = notification('open', { caseId: 'case-s-retry' });
    const first = await slack.send(n, {});
    const index = fake.requests.length;
    // The outbox never recorded the first answer: the same notification comes again with no state.
    const second = await slack.send(n, {});
    expect(second).toEqual(first);
    expect(tagged(soc(), 'case-s-retry')).toHaveLength(1);
    expect(methodsSince(index)).toEqual(['conversations.history', 'chat.update']);
  });

  it('update and resolve edit the message in place (chat.update), resolve marks it resolved', async () => {
    const { state } = (await slack.send(notification('open', { caseId: 'case-s-edit' }), {})) as { state: ReceiverState };
    const update = await slack.update(notification('update', { caseId: 'case-s-edit', alertCount: 57, state: 'acknowledged', assignee: 'ana' }), state);
    expect(update).toEqual({ outcome: 'delivered', state });
    expect(JSON.stringify(tagged(soc(), 'case-s-edit')[0]!.blocks)).toContain('*Alerts*\\n57');
    const index = fake.requests.length;
    const resolve = await slack.resolve(notification('resolve', { caseId: 'case-s-edit', state: 'resolved', assignee: 'ana' }), state);
    expect(resolve).toEqual({ outcome: 'delivered', state });
    expect(methodsSince(index)).toEqual(['chat.update']);
    const messages = tagged(soc(), 'case-s-edit');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe('RESOLVED: [CRITICAL] Brute force against web-01 from 203.0.113.7');
    expect(JSON.stringify(messages[0]!.blocks)).toContain('Resolved by ana');
  });

  it('a critical case gets a channel of its own: created, on-call and leads invited, the summary posted and pinned; a retry finds all of it', async () => {
    const n = notification('open', { caseId: 'Case 9/B', oncall: 'ana' });
    const result = await withCaseChannel.send(n, {});
    expect(result.outcome).toBe('delivered');
    const state = (result as { state: ReceiverState }).state;
    const own = channels.get(state.caseChannel!)!;
    expect(own.name).toMatch(/^inc-case-9-b-[0-9a-f]{8}$/);
    expect([...own.members].sort()).toEqual([BOT, 'U0ANA', 'U0LEAD'].sort());
    expect(own.pins).toEqual(new Set([state.caseChannelTs]));
    expect(own.messages.map((m) => m.ts)).toEqual([state.caseChannelTs]);
    expect(own.messages[0]!.blocks!.at(-1)!.block_id).toBe(caseTag('Case 9/B'));
    const index = fake.requests.length;
    const again = await withCaseChannel.send(n, {});
    expect(again).toEqual(result);
    expect(methodsSince(index)).toEqual([
      'conversations.history', // the channel message, found
      'chat.update',
      'conversations.create', // name_taken
      'conversations.list', // found by name
      'conversations.invite', // already_in_channel
      'conversations.history', // the summary, found
      'chat.update',
      'pins.add', // already_pinned
    ]);
    expect([...channels.values()].filter((c) => c.name === own.name)).toHaveLength(1);
    expect(own.messages).toHaveLength(1);
  });

  it('an update edits the pinned summary in the case channel too; a low-severity case gets no channel', async () => {
    const { state } = (await withCaseChannel.send(notification('open', { caseId: 'case-s-grow' }), {})) as { state: ReceiverState };
    await withCaseChannel.update(notification('update', { caseId: 'case-s-grow', alertCount: 99 }), state);
    expect(JSON.stringify(channels.get(state.caseChannel!)!.messages[0]!.blocks)).toContain('*Alerts*\\n99');
    const low = await withCaseChannel.send(notification('open', { caseId: 'case-s-low', severity: 'low' }), {});
    expect((low as { state: ReceiverState }).state).toEqual({ channel: SOC_CHANNEL, ts: expect.any(String) });
  });

  it('429 → retry with the Retry-After delay; the client does not wait or try again on its own', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '12' }, body: { ok: false, error: 'rate_limited' } }, { path: '/chat.postMessage' });
    const index = fake.requests.length;
    expect(await slack.send(notification('open', { caseId: 'case-s-429' }), {})).toEqual({ outcome: 'retry', error: 'Slack chat.postMessage: rate limited', retryAfterMs: 12_000 });
    expect(methodsSince(index)).toEqual(['conversations.history', 'chat.postMessage']);
    expect(tagged(soc(), 'case-s-429')).toHaveLength(0);
  });

  it('400 → failed; Slack errors that cannot pass (not_in_channel, channel_not_found, invalid_auth) → failed', async () => {
    fake.failNext({ status: 400, body: { ok: false, error: 'invalid_form_data' } }, { path: '/chat.postMessage' });
    expect(await slack.send(notification('open', { caseId: 'case-s-400' }), {})).toEqual({ outcome: 'failed', error: 'Slack chat.postMessage: HTTP 400: {"ok":false,"error":"invalid_form_data"}' });
    fake.failNext({ status: 200, body: { ok: false, error: 'not_in_channel' } }, { path: '/chat.postMessage' });
    expect(await slack.send(notification('open', { caseId: 'case-s-nic' }), {})).toEqual({ outcome: 'failed', error: 'Slack chat.postMessage: not_in_channel' });
    const config = ReceiversConfig.parse({ named: { gone: { type: 'slack', token: 'env:T', channel: 'C0NOSUCHCHAN', apiUrl: prism.url }, badauth: { type: 'slack', token: 'env:U', channel: SOC_CHANNEL, apiUrl: prism.url } } });
    const receivers = createReceivers(config, { env: { T: TOKEN, U: 'xoxb-wrong-token' } });
    expect(await receivers.get('gone')!.send(notification('open'), {})).toEqual({ outcome: 'failed', error: 'Slack conversations.history: channel_not_found' });
    expect(await receivers.get('badauth')!.send(notification('open'), {})).toEqual({ outcome: 'failed', error: 'Slack conversations.history: invalid_auth' });
  });

  // Slack's contract describes its 200 answers and JSON errors only; an outage at Slack's edge answers
  // 503 with whatever body, so these go to the fake directly (a real HTTP server on loopback).
  it('5xx, a timeout and a Slack that cannot be reached → retry', async () => {
    const config = ReceiversConfig.parse({
      timeoutMs: 300,
      named: { direct: { type: 'slack', token: 'env:T', channel: SOC_CHANNEL, apiUrl: fake.url }, down: { type: 'slack', token: 'env:T', channel: SOC_CHANNEL, apiUrl: await refusedUrl() } },
    });
    const receivers = createReceivers(config, { env: { T: TOKEN } });
    fake.failNext({ status: 503, body: '<html>upstream unavailable</html>' });
    expect(await receivers.get('direct')!.send(notification('open', { caseId: 'case-s-503' }), {})).toEqual({ outcome: 'retry', error: 'Slack conversations.history: HTTP 503: <html>upstream unavailable</html>' });
    expect(await receivers.get('down')!.send(notification('open', { caseId: 'case-s-down' }), {})).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/^Slack conversations.history: .*ECONNREFUSED/) });
  });
});
