import { z } from 'zod';
import { ConfigError } from '../config/error.js';
import { CaptureFile, CaptureOptions, createCaptureReceiver, type CapturedNotification } from './capture.js';
import { createEmailReceiver, EmailOptions, renderEmail } from './email.js';
import type { FetchFn, Transport } from './http.js';
import { createJiraReceiver, JiraOptions, renderJira } from './jira.js';
import { guarded } from './outcome.js';
import { createPagerDutyReceiver, PagerDutyOptions, renderPagerDuty } from './pagerduty.js';
import type { Notification, Receiver } from './receiver.js';
import { resolveSecrets, Secret, secretsIn, secretValues, type SecretProblem } from './secrets.js';
import { createSlackReceiver, renderSlack, SlackOptions } from './slack.js';
import { createTeamsReceiver, renderTeams, TeamsOptions } from './teams.js';
import { createWebhookReceiver, renderWebhook, WebhookOptions } from './webhook.js';

/**
 * The `receivers` section of the config (docs/receivers.md): named receivers, each of a type with its
 * options; the link template messages carry; the dry-run capture file. createReceivers() turns it into
 * the Receiver objects the delivery stage calls.
 */

export const ReceiverOptions = z.discriminatedUnion('type', [
  SlackOptions,
  TeamsOptions,
  PagerDutyOptions,
  JiraOptions,
  EmailOptions,
  WebhookOptions,
  CaptureOptions,
]);
export type ReceiverOptions = z.infer<typeof ReceiverOptions>;
export type ReceiverType = ReceiverOptions['type'];

/** Names appear in metrics labels, escalation policies and logs: short and plain. */
export const RECEIVER_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

const CASE_ID_PLACEHOLDER = '{{caseId}}';

/** The link to a case in a message: `{{caseId}}` is replaced by the case id (URL-encoded). */
export function renderLink(template: string, caseId: string): string {
  return template.split(CASE_ID_PLACEHOLDER).join(encodeURIComponent(caseId));
}

export const LinkTemplate = z
  .string()
  .refine((t) => t.includes(CASE_ID_PLACEHOLDER), `the link needs the placeholder ${CASE_ID_PLACEHOLDER}`)
  .refine((t) => {
    try {
      return /^https?:$/.test(new URL(renderLink(t, 'case-1')).protocol);
    } catch {
      return false;
    }
  }, 'expected an http:// or https:// URL once {{caseId}} is filled in');

export const RECEIVERS_DEFAULTS = { timeoutMs: 10_000, named: {} };

export const ReceiversConfig = z
  .object({
    /** The link every message carries to the case (the report, the API, your case viewer). */
    link: LinkTemplate.optional(),
    /** Longest wait for a vendor's answer; past it the attempt is retried. */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Dry run: every receiver writes what it would send to this NDJSON file instead of sending (no secret is read). */
    capture: z.string().min(1).optional(),
    named: z
      .record(z.string(), ReceiverOptions)
      .superRefine((named, ctx) => {
        // Checked here rather than as the record's key schema, whose error would not say what is wrong.
        for (const name of Object.keys(named)) {
          if (!RECEIVER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: 'use 1 to 64 lowercase letters, digits, "-" or "_", starting with a letter or digit', path: [name] });
        }
      })
      .default({}),
  })
  .strict();
export type ReceiversConfig = z.infer<typeof ReceiversConfig>;

/**
 * Resolves the receivers' secrets (env:, file:) and checks the values that can only be checked once
 * read, without ever echoing one. Returns located problems, paths relative to the section.
 */
export function resolveReceiverSecrets(
  config: ReceiversConfig,
  env: NodeJS.ProcessEnv,
  readFile?: (path: string) => string,
): SecretProblem[] {
  // A dry run sends nothing, so it needs no secret: it runs where the tokens are not.
  if (config.capture !== undefined) return [];
  const problems = resolveSecrets(config.named, env, readFile).map((p) => ({ path: ['named', ...p.path], message: p.message }));
  if (problems.length > 0) return problems;
  for (const [name, options] of Object.entries(config.named)) {
    const url = options.type === 'teams' ? options.webhookUrl : options.type === 'webhook' ? options.url : undefined;
    if (url instanceof Secret && !/^https?:\/\/./.test(url.reveal())) {
      problems.push({ path: ['named', name, options.type === 'teams' ? 'webhookUrl' : 'url'], message: `${url.ref} does not hold an http:// or https:// URL` });
    }
    if (options.type === 'slack' && !options.token.reveal().startsWith('xox')) {
      problems.push({ path: ['named', name, 'token'], message: `${options.token.ref} does not hold a Slack token (xoxb-…)` });
    }
  }
  return problems;
}

/** What a receiver would send for a notification, without secrets (the capture file's `request`). */
export function renderRequest(options: ReceiverOptions, notification: Notification, call: CapturedNotification['call']): unknown {
  switch (options.type) {
    case 'slack':
      return renderSlack(notification, options, call);
    case 'teams':
      return renderTeams(notification);
    case 'pagerduty':
      return renderPagerDuty(notification, options);
    case 'jira':
      return renderJira(notification, options, call);
    case 'email':
      return renderEmail(notification, options);
    case 'webhook':
      return renderWebhook(notification, options);
    case 'capture':
      return notification;
  }
}

function createReceiver(name: string, options: ReceiverOptions, transport: Transport, files: (path: string) => CaptureFile): Receiver {
  switch (options.type) {
    case 'slack':
      return createSlackReceiver(name, options, transport);
    case 'teams':
      return createTeamsReceiver(name, options, transport);
    case 'pagerduty':
      return createPagerDutyReceiver(name, options, transport);
    case 'jira':
      return createJiraReceiver(name, options, transport);
    case 'email':
      return createEmailReceiver(name, options, transport);
    case 'webhook':
      return createWebhookReceiver(name, options, transport);
    case 'capture':
      return createCaptureReceiver(name, 'capture', (n) => n, files(options.path), transport.now);
  }
}

export interface CreateReceiversOptions {
  /** Where env: secrets are read (process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly readFile?: (path: string) => string;
  readonly fetch?: FetchFn;
  readonly now?: () => number;
  /** Dry run from the command line: overrides `capture` of the section. */
  readonly capture?: string;
}

/**
 * The configured receivers by name. Secrets not resolved yet (loadConfig resolves them at load) are
 * resolved here; a secret that cannot be had is a ConfigError naming the field. Every receiver is
 * guarded: nothing it returns or throws carries a secret, and it never throws.
 */
export function createReceivers(config: ReceiversConfig, options: CreateReceiversOptions = {}): Map<string, Receiver> {
  const section = options.capture === undefined ? config : { ...config, capture: options.capture };
  const problems = resolveReceiverSecrets(section, options.env ?? process.env, options.readFile);
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${problems.map((p) => `/receivers/${p.path.join('/')}: ${p.message}`).join('\n')}`);
  }
  const now = options.now ?? Date.now;
  const transport: Transport = { fetch: options.fetch ?? globalThis.fetch, now, timeoutMs: config.timeoutMs };
  const captureFiles = new Map<string, CaptureFile>();
  const files = (path: string): CaptureFile => {
    let file = captureFiles.get(path);
    if (file === undefined) captureFiles.set(path, (file = new CaptureFile(path)));
    return file;
  };
  const receivers = new Map<string, Receiver>();
  for (const [name, receiverOptions] of Object.entries(config.named)) {
    if (section.capture !== undefined) {
      const capture = createCaptureReceiver(name, receiverOptions.type, (n, call) => renderRequest(receiverOptions, n, call), files(section.capture), now);
      receivers.set(name, guarded(capture, () => []));
      continue;
    }
    const secrets = secretsIn(receiverOptions).map((s) => s.secret);
    receivers.set(name, guarded(createReceiver(name, receiverOptions, transport, files), () => secretValues(secrets)));
  }
  return receivers;
}
