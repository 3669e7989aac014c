import { z } from 'zod';
import { postJson, type Transport } from './http.js';
import { caseMessage, type CaseMessage } from './message.js';
import type { DeliveryResult, Notification, Receiver } from './receiver.js';
import { SecretRef } from './secrets.js';

/**
 * Microsoft Teams: a Workflows webhook ("Post to a channel when a webhook request is received") or a
 * legacy incoming webhook, sent a message with one Adaptive Card. A webhook cannot edit what it posted,
 * so an update or a resolve posts a follow-up card.
 *
 * Idempotency: none from Teams. The delivery stage sends a notification again only when it did not
 * record the answer to the previous attempt, so a crash at that moment may show a card twice.
 */

export const TeamsOptions = z
  .object({
    type: z.literal('teams'),
    /** The workflow's HTTP POST URL (it carries a signature: a secret). */
    webhookUrl: SecretRef,
  })
  .strict();
export type TeamsOptions = z.infer<typeof TeamsOptions>;

/** Teams' workflows render Adaptive Cards up to 1.5 and legacy connectors 1.4: 1.4 shows everywhere. */
const CARD_VERSION = '1.4';

const COLOR: Record<CaseMessage['tone'], string> = { danger: 'attention', warning: 'warning', good: 'good', neutral: 'default' };

/** The Adaptive Card of a notification. */
export function teamsCard(notification: Notification, message: CaseMessage = caseMessage(notification)): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    msteams: { width: 'Full' },
    body: [
      { type: 'TextBlock', text: message.headline, weight: 'Bolder', size: 'Medium', color: COLOR[message.tone], wrap: true },
      { type: 'TextBlock', text: message.status, isSubtle: true, spacing: 'None', wrap: true },
      { type: 'TextBlock', text: message.summary, wrap: true },
      { type: 'FactSet', facts: message.fields.map((f) => ({ title: f.label, value: f.value })) },
    ],
    ...(message.link === null ? {} : { actions: [{ type: 'Action.OpenUrl', title: 'Open the case', url: message.link }] }),
  };
}

/** The webhook body: a message with the card as its one attachment (what Teams workflows and connectors accept). */
export function renderTeams(notification: Notification): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: teamsCard(notification) }],
  };
}

export function createTeamsReceiver(name: string, options: TeamsOptions, transport: Transport): Receiver {
  const url = options.webhookUrl.reveal();
  const post = (notification: Notification): Promise<DeliveryResult> =>
    postJson({ what: 'Teams webhook', url, body: JSON.stringify(renderTeams(notification)) }, transport);
  return { name, type: 'teams', send: post, update: post, resolve: post };
}
