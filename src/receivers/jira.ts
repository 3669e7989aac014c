import { Version3Client } from 'jira.js';
import { z } from 'zod';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from '../incidents/incident-record.js';
import { caseTag } from './case-keys.js';
import type { Transport } from './http.js';
import { caseMessage, type CaseMessage, truncate } from './message.js';
import { describeError, failed, fromHttpStatus, isNetworkError, retry, runSteps, Stop } from './outcome.js';
import type { DeliveryResult, Notification, Receiver, ReceiverState } from './receiver.js';
import { SecretRef } from './secrets.js';

/**
 * Jira Cloud with jira.js (REST API v3): an issue per case (project, type, priority by severity, labels,
 * a security level if configured, the description in Atlassian Document Format), a comment as the case
 * changes, and the configured transition when it is resolved.
 *
 * Idempotency: the issue carries the label `alertgate-case-<id>`; a send first searches for it (JQL),
 * so a retry after a crash never opens a second ticket. Comments end with the notification's id and a
 * comment is added only if none of the issue's newest comments has it. Jira's search is eventually
 * consistent (a ticket created a second ago may not be found yet): the delivery stage's backoff puts
 * the retry well past that.
 */

const DEFAULT_PRIORITIES: Record<IncidentSeverity, string> = { critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low' };

export const JiraOptions = z
  .object({
    type: z.literal('jira'),
    /** Your site, https://your-domain.atlassian.net. */
    host: z.url({ protocol: /^https?$/ }),
    /** The account the API token belongs to. */
    email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'expected the Atlassian account email'),
    /** An API token of that account (id.atlassian.com → Security → API tokens). */
    apiToken: SecretRef,
    /** The project key (SEC). */
    project: z.string().regex(/^[A-Z][A-Z0-9_]{0,49}$/, 'expected a project key such as SEC'),
    /** The issue type by name, as the project's scheme has it. */
    issueType: z.string().min(1).default('Task'),
    /** Case severity → priority name. */
    priority: z
      .object(Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, z.string().min(1).default(DEFAULT_PRIORITIES[s])])) as Record<IncidentSeverity, z.ZodDefault<z.ZodString>>)
      .strict()
      .default(DEFAULT_PRIORITIES),
    /** Labels on every issue, beside the case's own. */
    labels: z.array(z.string().regex(/^\S{1,255}$/, 'a label cannot contain spaces')).default(['alertgate']),
    /** The id of an issue security level (Project settings → Issue security), so only that level's members see the ticket. */
    securityLevelId: z.string().regex(/^\d+$/, 'expected the numeric id of the security level').optional(),
    /** The transition (by name, any case) that resolves the issue. */
    resolveTransition: z.string().min(1).default('Done'),
  })
  .strict();
export type JiraOptions = z.infer<typeof JiraOptions>;

/** Jira refuses a summary over 255 characters. */
const SUMMARY_MAX = 255;
/** Newest comments searched for a notification's marker before commenting. */
const COMMENT_LOOKBACK = 50;

type AdfNode = Record<string, unknown>;

const text = (value: string, marks?: AdfNode[]): AdfNode => (marks ? { type: 'text', text: value, marks } : { type: 'text', text: value });
const paragraph = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });

/** The marker that ends every comment, so a retried update finds the comment it already made. */
function commentMarker(notification: Notification): string {
  return `alertgate notification ${notification.id}`;
}

/** The case in Atlassian Document Format: the status, the summary, the fields as a list, the link. */
export function jiraDocument(message: CaseMessage, footer: string): AdfNode {
  const content: AdfNode[] = [paragraph(text(message.drill ? `DRILL: ${message.status}` : message.status, [{ type: 'strong' }]))];
  if (message.summary !== '') content.push(paragraph(text(message.summary)));
  content.push({
    type: 'bulletList',
    content: message.fields.map((f) => ({ type: 'listItem', content: [paragraph(text(`${f.label}: `, [{ type: 'strong' }]), text(f.value))] })),
  });
  if (message.link !== null) content.push(paragraph(text('Open the case in alertgate', [{ type: 'link', attrs: { href: message.link } }])));
  content.push(paragraph(text(footer, [{ type: 'em' }])));
  return { type: 'doc', version: 1, content };
}

/** The create-issue fields of a case's ticket. */
export function jiraIssueFields(notification: Notification, options: JiraOptions): Record<string, unknown> {
  const message = caseMessage(notification);
  return {
    project: { key: options.project },
    issuetype: { name: options.issueType },
    summary: truncate(message.headline, SUMMARY_MAX),
    description: jiraDocument(message, commentMarker(notification)),
    priority: { name: options.priority[notification.notice.severity] },
    labels: [...new Set([...options.labels, caseTag(notification.caseId)])],
    ...(options.securityLevelId === undefined ? {} : { security: { id: options.securityLevelId } }),
  };
}

/** What the receiver would call for a notification (the capture receiver writes it). */
export function renderJira(notification: Notification, options: JiraOptions, call: 'send' | 'update' | 'resolve'): Record<string, unknown> {
  // A first notice to the project opens the ticket (an escalation may be one); later ones comment on it.
  if (call === 'send') return { operation: 'createIssue', body: { fields: jiraIssueFields(notification, options) } };
  const comment = jiraDocument(caseMessage(notification), commentMarker(notification));
  if (call === 'resolve') return { operation: 'doTransition+addComment', transition: options.resolveTransition, comment };
  return { operation: 'addComment', comment };
}

export function createJiraReceiver(name: string, options: JiraOptions, transport: Transport): Receiver {
  const client = new Version3Client({
    host: options.host,
    authentication: { basic: { email: options.email, apiToken: options.apiToken.reveal() } },
    baseRequestConfig: { timeout: transport.timeoutMs },
  });

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new Stop(jiraOutcome(`Jira ${what}`, err, transport.now()));
    }
  }

  /** The case's issue by its label (the oldest, if a person copied the label onto another). */
  async function findIssue(notification: Notification): Promise<string | undefined> {
    const jql = `project = "${options.project}" AND labels = "${caseTag(notification.caseId)}" ORDER BY created ASC`;
    const page = await call('search', () => client.issueSearch.searchForIssuesUsingJqlEnhancedSearch({ jql, fields: ['status'], maxResults: 1 }));
    return page.issues?.[0]?.key;
  }

  /** The case's issue key: from the state, found by its label, or created. */
  async function ensureIssue(notification: Notification, state: ReceiverState): Promise<string> {
    if (state.issueKey) return state.issueKey;
    const found = await findIssue(notification);
    if (found !== undefined) return found;
    const created = await call('createIssue', () => client.issues.createIssue({ fields: jiraIssueFields(notification, options) as never }));
    return created.key;
  }

  /** Adds the notification's comment unless one of the newest comments already carries its marker. */
  async function commentOnce(issueKey: string, notification: Notification): Promise<void> {
    const marker = commentMarker(notification);
    const recent = await call('getComments', () => client.issueComments.getComments({ issueIdOrKey: issueKey, orderBy: '-created', maxResults: COMMENT_LOOKBACK }));
    if ((recent.comments ?? []).some((c) => JSON.stringify(c.body ?? '').includes(marker))) return;
    const body = jiraDocument(caseMessage(notification), marker);
    await call('addComment', () => client.issueComments.addComment({ issueIdOrKey: issueKey, comment: body as never }));
  }

  /** Moves the issue through the resolve transition, unless it is resolved already. */
  async function transition(issueKey: string): Promise<void> {
    const wanted = options.resolveTransition.toLowerCase();
    const { transitions = [] } = await call('getTransitions', () => client.issues.getTransitions({ issueIdOrKey: issueKey }));
    const match = transitions.find((t) => t.name?.toLowerCase() === wanted);
    if (match?.id !== undefined) {
      await call('doTransition', () => client.issues.doTransition({ issueIdOrKey: issueKey, transition: { id: match.id! } }));
      return;
    }
    // Not offered: done already (a retry, or a person closed it), or the workflow has no such transition.
    const issue = await call('getIssue', () => client.issues.getIssue({ issueIdOrKey: issueKey, fields: ['status'] }));
    const status = issue.fields?.status;
    if (status?.statusCategory?.key === 'done') return;
    const offered = transitions.map((t) => `"${t.name}"`).join(', ') || 'none';
    throw new Stop(failed(`Jira doTransition: ${issueKey} in status "${status?.name ?? '?'}" has no transition "${options.resolveTransition}" (offered: ${offered}); set resolveTransition`));
  }

  const run = (step: () => Promise<string>): Promise<DeliveryResult> => runSteps(async () => ({ issueKey: await step() }));

  return {
    name,
    type: 'jira',
    send: (notification, state) => run(() => ensureIssue(notification, state)),
    update: (notification, state) =>
      run(async () => {
        const key = await ensureIssue(notification, state);
        await commentOnce(key, notification);
        return key;
      }),
    resolve: (notification, state) =>
      run(async () => {
        const key = await ensureIssue(notification, state);
        await transition(key);
        await commentOnce(key, notification);
        return key;
      }),
  };
}

/** jira.js errors: an HTTP status (with Retry-After on a 429) or the network. */
function jiraOutcome(what: string, err: unknown, nowMs: number): DeliveryResult {
  const e = err as { status?: number; cause?: { response?: { headers?: Record<string, unknown>; data?: unknown } }; response?: unknown };
  const response = e.cause?.response;
  if (typeof e.status === 'number' && response !== undefined) {
    const retryAfter = response.headers?.['retry-after'];
    return fromHttpStatus(what, e.status, typeof retryAfter === 'string' ? retryAfter : undefined, nowMs, jiraErrorText(response.data));
  }
  return isNetworkError(err) ? retry(`${what}: ${describeError(err)}`) : failed(`${what}: ${describeError(err)}`);
}

/** Jira's `{errorMessages: [...], errors: {field: message}}` as one line. */
function jiraErrorText(data: unknown): string {
  if (data === null || typeof data !== 'object') return typeof data === 'string' ? data : '';
  const { errorMessages, errors } = data as { errorMessages?: unknown; errors?: unknown };
  const parts = [
    ...(Array.isArray(errorMessages) ? errorMessages.map(String) : []),
    ...(errors !== null && typeof errors === 'object' ? Object.entries(errors).map(([field, message]) => `${field}: ${String(message)}`) : []),
  ];
  return parts.length > 0 ? parts.join('; ') : JSON.stringify(data);
}
