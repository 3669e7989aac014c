import { WebClient, type KnownBlock, type Logger as SlackLogger, LogLevel } from '@slack/web-api';
import { z } from 'zod';
import { IncidentSeverity } from '../incidents/incident-record.js';
import { caseChannelName, caseTag } from './case-keys.js';
import type { Transport } from './http.js';
import { caseMessage, type CaseMessage, truncate } from './message.js';
import { describeError, failed, fromHttpStatus, retry, runSteps, Stop } from './outcome.js';
import type { DeliveryResult, Notification, Receiver, ReceiverState } from './receiver.js';
import { SecretRef } from './secrets.js';

/**
 * Slack: one message per case in a channel (chat.postMessage), edited as the case changes
 * (chat.update), and for the severities that call for it a channel of the case's own
 * (conversations.create, conversations.invite of the on-call, pins.add of the summary).
 *
 * Idempotency: the message carries a block whose block_id is the case's tag; a first send looks for it
 * in the channel's recent history (conversations.history) before posting, so a send retried after a
 * crash between Slack's answer and the outbox's record edits nothing twice and posts nothing twice.
 * The case channel's name is derived from the case id; `name_taken` means it exists already and is
 * looked up (conversations.list).
 */

/** A conversation id as Slack's contract writes it (names change; ids do not, and history needs the id). */
const SlackChannelId = z.string().regex(/^[CGD][A-Z0-9]{8,}$/, 'expected a Slack channel id such as C0123456789 (channel details → the id at the bottom), not a #name');
const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'expected a Slack user id such as U0123456789 (profile → ⋮ → Copy member ID)');

export const SlackOptions = z
  .object({
    type: z.literal('slack'),
    /** A bot token (xoxb-…) with chat:write, channels:history (groups:history for a private channel), and for caseChannel channels:manage (groups:write), channels:read and pins:write. */
    token: SecretRef,
    /** Where case messages go. */
    channel: SlackChannelId,
    /** Slack's Web API base URL (tests point it at a local server). */
    apiUrl: z
      .url({ protocol: /^https?$/ })
      .transform((url) => (url.endsWith('/') ? url : `${url}/`))
      .default('https://slack.com/api/'),
    /** Recent messages of the channel searched for the case's message before a first post (retry after a crash). */
    lookback: z.number().int().min(1).max(1000).default(200),
    /** A channel of its own for each case of these severities, with the on-call invited and the summary pinned. */
    caseChannel: z
      .object({
        severities: z.array(IncidentSeverity).min(1).default(['high', 'critical']),
        /** The channel is named prefix + the case id (lowercased, at most 80 characters). */
        prefix: z
          .string()
          .regex(/^[a-z0-9_-]{0,40}$/, 'use at most 40 lowercase letters, digits, "-" or "_"')
          .default('case-'),
        private: z.boolean().default(false),
        /** On-call handle (as the escalation policy names people) → Slack user id, to invite them. */
        oncall: z.record(z.string(), SlackUserId).default({}),
        /** Slack user ids invited to every case channel (the SOC leads). */
        invite: z.array(SlackUserId).default([]),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SlackOptions = z.infer<typeof SlackOptions>;

/** Slack limits: header text 150, section text 3000, a field 2000, at most 10 fields per section. */
const HEADER_MAX = 150;
const TEXT_MAX = 3000;
const FIELD_MAX = 2000;
const FIELDS_PER_SECTION = 10;

/** Slack errors that say "not now" rather than "not this". */
const TRANSIENT_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited', 'rate_limited']);

/** Slack's mrkdwn treats these three as markup. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The message for a case: Block Kit blocks, and the text Slack shows in notifications and where blocks cannot be shown. */
export function slackMessage(notification: Notification, message: CaseMessage = caseMessage(notification)): { text: string; blocks: KnownBlock[] } {
  const fields = message.fields.map((f) => ({ type: 'mrkdwn' as const, text: truncate(`*${f.label}*\n${escapeMrkdwn(f.value)}`, FIELD_MAX) }));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(message.headline, HEADER_MAX) } },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${escapeMrkdwn(message.status)}*\n${escapeMrkdwn(message.summary)}`, TEXT_MAX) } },
  ];
  for (let i = 0; i < fields.length; i += FIELDS_PER_SECTION) blocks.push({ type: 'section', fields: fields.slice(i, i + FIELDS_PER_SECTION) });
  if (message.link !== null) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(`<${message.link}|Open the case in alertgate>`, TEXT_MAX) } });
  }
  // The tag block: how a retried send finds this message again (see the module comment).
  blocks.push({
    type: 'context',
    block_id: caseTag(notification.caseId),
    elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`alertgate case ${notification.caseId}`) }],
  });
  return { text: truncate(message.headline, TEXT_MAX), blocks };
}

/** What the receiver would call first for a notification (the capture receiver writes it). */
export function renderSlack(notification: Notification, options: SlackOptions, call: 'send' | 'update' | 'resolve'): { method: string; args: Record<string, unknown> } {
  const { text, blocks } = slackMessage(notification);
  // A first notice to the channel posts (an escalation may be one); every later one edits that message.
  if (call === 'send') return { method: 'chat.postMessage', args: { channel: options.channel, text, blocks, unfurl_links: false } };
  return { method: 'chat.update', args: { channel: options.channel, ts: '<ts of the case message>', text, blocks } };
}

/** Slack's client logs to the console; the delivery stage logs results, so the client says nothing. */
const SILENT: SlackLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

export function createSlackReceiver(name: string, options: SlackOptions, transport: Transport): Receiver {
  const client = new WebClient(options.token.reveal(), {
    slackApiUrl: options.apiUrl,
    logger: SILENT,
    // The delivery stage owns retries, backoff and rate limits: the client makes one attempt and
    // reports a 429 with its Retry-After instead of waiting; it queues nothing.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    maxRequestConcurrency: Number.POSITIVE_INFINITY,
    timeout: transport.timeoutMs,
    fetch: transport.fetch,
  });

  /** One Web API call; any failure becomes a Stop carrying its outcome, unless `accept` lists its error. */
  async function call<T>(method: string, run: () => Promise<T>, accept: readonly string[] = []): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      const slackError = (err as { data?: { error?: string } }).data?.error;
      if (slackError !== undefined && accept.includes(slackError)) return undefined;
      throw new Stop(outcomeOf(`Slack ${method}`, err, transport.now()));
    }
  }

  /** The ts of the message tagged for this case among the channel's newest `lookback` messages. */
  async function findCaseMessage(channel: string, tag: string): Promise<string | undefined> {
    let cursor: string | undefined;
    let seen = 0;
    while (seen < options.lookback) {
      const limit = Math.min(200, options.lookback - seen);
      const page = await call('conversations.history', () => client.conversations.history({ channel, limit, ...(cursor ? { cursor } : {}) }));
      const messages = page?.messages ?? [];
      const found = messages.find((m) => (m.blocks ?? []).some((b) => (b as { block_id?: string }).block_id === tag));
      if (found?.ts) return found.ts;
      seen += messages.length;
      cursor = page?.response_metadata?.next_cursor || undefined;
      if (!page?.has_more || !cursor || messages.length === 0) return undefined;
    }
    return undefined;
  }

  /** Posts the case's message in `channel`, or finds the one a previous attempt posted; returns its ts. */
  async function postOnce(channel: string, notification: Notification, body: { text: string; blocks: KnownBlock[] }): Promise<string> {
    const existing = await findCaseMessage(channel, caseTag(notification.caseId));
    if (existing !== undefined) {
      await call('chat.update', () => client.chat.update({ channel, ts: existing, ...body }));
      return existing;
    }
    const posted = await call('chat.postMessage', () => client.chat.postMessage({ channel, ...body, unfurl_links: false }));
    if (!posted?.ts) throw new Stop(retry('Slack chat.postMessage: the answer has no ts'));
    return posted.ts;
  }

  /** The case channel's id: created, or found by its name if a previous attempt created it. */
  async function caseChannelId(channelName: string, isPrivate: boolean): Promise<string> {
    const created = await call('conversations.create', () => client.conversations.create({ name: channelName, is_private: isPrivate }), ['name_taken']);
    if (created?.channel?.id) return created.channel.id;
    let cursor: string | undefined;
    do {
      const page = await call('conversations.list', () =>
        client.conversations.list({ types: isPrivate ? 'private_channel' : 'public_channel', exclude_archived: true, limit: 1000, ...(cursor ? { cursor } : {}) }),
      );
      const found = page?.channels?.find((c) => c.name === channelName);
      if (found?.id) return found.id;
      cursor = page?.response_metadata?.next_cursor || undefined;
    } while (cursor);
    throw new Stop(failed(`Slack conversations.create: the name #${channelName} is taken by a channel the bot cannot see (archived, or private without the bot)`));
  }

  /** Opens (or finds) the case's own channel, invites people, posts and pins the summary. */
  async function ensureCaseChannel(notification: Notification, body: { text: string; blocks: KnownBlock[] }, state: ReceiverState): Promise<ReceiverState> {
    const settings = options.caseChannel;
    if (settings === undefined || !settings.severities.includes(notification.notice.severity)) return {};
    if (state.caseChannel && state.caseChannelTs) {
      await call('chat.update', () => client.chat.update({ channel: state.caseChannel!, ts: state.caseChannelTs!, ...body }));
      return { caseChannel: state.caseChannel, caseChannelTs: state.caseChannelTs };
    }
    const channel = await caseChannelId(caseChannelName(settings.prefix, notification.caseId), settings.private);
    const oncall = notification.notice.oncall === null ? undefined : settings.oncall[notification.notice.oncall];
    const users = [...new Set([...settings.invite, ...(oncall === undefined ? [] : [oncall])])];
    if (users.length > 0) {
      await call('conversations.invite', () => client.conversations.invite({ channel, users: users.join(',') }), ['already_in_channel', 'cant_invite_self']);
    }
    const ts = await postOnce(channel, notification, body);
    await call('pins.add', () => client.pins.add({ channel, timestamp: ts }), ['already_pinned']);
    return { caseChannel: channel, caseChannelTs: ts };
  }

  const send = (notification: Notification, state: ReceiverState): Promise<DeliveryResult> =>
    runSteps(async () => {
      const body = slackMessage(notification);
      const ts = state.ts ?? (await postOnce(options.channel, notification, body));
      const own = await ensureCaseChannel(notification, body, state);
      return { channel: options.channel, ts, ...own };
    });

  /** Update and resolve edit the case's message (and the case channel's pinned summary). */
  const edit = (notification: Notification, state: ReceiverState): Promise<DeliveryResult> => {
    if (!state.ts || !state.channel) return send(notification, state);
    return runSteps(async () => {
      const body = slackMessage(notification);
      await call('chat.update', () => client.chat.update({ channel: state.channel!, ts: state.ts!, ...body }));
      const own = await ensureCaseChannel(notification, body, state);
      return { channel: state.channel!, ts: state.ts!, ...own };
    });
  };

  return { name, type: 'slack', send, update: edit, resolve: edit };
}

/** A Slack client error as an outcome: rate limits and HTTP statuses as for every receiver, Slack's own errors by name. */
export function outcomeOf(what: string, err: unknown, nowMs: number): DeliveryResult {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; headers?: Record<string, string>; body?: unknown; data?: { error?: string } };
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return retry(`${what}: rate limited`, (e.retryAfter ?? 0) * 1000);
    case 'slack_webapi_http_error':
      return fromHttpStatus(what, e.statusCode ?? 0, e.headers?.['retry-after'], nowMs, e.body === undefined ? '' : typeof e.body === 'string' ? e.body : JSON.stringify(e.body));
    case 'slack_webapi_platform_error': {
      const error = e.data?.error ?? 'unknown_error';
      return TRANSIENT_ERRORS.has(error) ? retry(`${what}: ${error}`) : failed(`${what}: ${error}`);
    }
    default:
      // slack_webapi_request_error (the network, a timeout) and the client's own errors (a 429 without
      // Retry-After): worth another attempt.
      return retry(`${what}: ${describeError(err)}`);
  }
}
