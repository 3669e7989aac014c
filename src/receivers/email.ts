import nodemailer from 'nodemailer';
import { z } from 'zod';
import { caseMessageId, notificationMessageId } from './case-keys.js';
import type { Transport } from './http.js';
import { caseMessage } from './message.js';
import { delivered, describeError, failed, isNetworkError, retry } from './outcome.js';
import type { DeliveryResult, Notification, Receiver } from './receiver.js';
import { SecretRef } from './secrets.js';

/**
 * Email over SMTP with nodemailer: a text and an HTML part, the subject with the severity and the
 * title. Every email of a case is one thread: the first has the case's Message-ID, the later ones
 * reply to it (In-Reply-To, References).
 *
 * Idempotency: SMTP has no way to ask what was sent. A notification's email has a Message-ID derived
 * from the notification id, so an email sent again after a crash is the same message, which mail
 * systems that deduplicate by Message-ID drop.
 */

const Address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'expected an address such as soc@example.com');

export const EmailOptions = z
  .object({
    type: z.literal('email'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
        secure: z.boolean().default(false),
        /** Refuse to send unless the connection is encrypted (STARTTLS must succeed). */
        requireTLS: z.boolean().default(true),
        user: z.string().min(1).optional(),
        password: SecretRef.optional(),
      })
      .strict()
      .refine((smtp) => (smtp.user === undefined) === (smtp.password === undefined), { message: 'give both user and password, or neither' }),
    from: Address,
    to: z.array(Address).min(1),
    cc: z.array(Address).default([]),
    subjectPrefix: z.string().default('[alertgate]'),
    /** The right-hand side of Message-IDs; the domain of `from` if left out. */
    messageIdDomain: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, 'expected a domain name')
      .optional(),
  })
  .strict();
export type EmailOptions = z.infer<typeof EmailOptions>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export interface EmailMessage {
  readonly from: string;
  readonly to: string[];
  readonly cc: string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: string;
  readonly headers: Record<string, string>;
}

export function renderEmail(notification: Notification, options: EmailOptions): EmailMessage {
  const message = caseMessage(notification);
  const domain = options.messageIdDomain ?? options.from.slice(options.from.lastIndexOf('@') + 1);
  const thread = caseMessageId(notification.caseId, domain);
  const first = notification.kind === 'open';
  const subject = `${first ? '' : 'Re: '}${options.subjectPrefix ? `${options.subjectPrefix} ` : ''}${message.headline}`;
  const rows = message.fields.map((f) => `<tr><th align="left">${escapeHtml(f.label)}</th><td>${escapeHtml(f.value)}</td></tr>`).join('');
  const html = [
    `<h2>${escapeHtml(message.headline)}</h2>`,
    `<p><strong>${escapeHtml(message.status)}</strong></p>`,
    `<p>${escapeHtml(message.summary)}</p>`,
    `<table cellpadding="4">${rows}</table>`,
    message.link === null ? '' : `<p><a href="${escapeHtml(message.link)}">Open the case in alertgate</a></p>`,
  ].join('\n');
  return {
    from: options.from,
    to: options.to,
    cc: options.cc,
    subject,
    text: message.text,
    html,
    messageId: first ? thread : notificationMessageId(notification.id, domain),
    ...(first ? {} : { inReplyTo: thread, references: thread }),
    headers: { 'X-Alertgate-Case': notification.caseId, 'X-Alertgate-Notification': notification.id },
  };
}

export function createEmailReceiver(name: string, options: EmailOptions, transport: Transport): Receiver {
  const { smtp } = options;
  const mailer = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS && !smtp.secure,
    ...(smtp.user === undefined ? {} : { auth: { user: smtp.user, pass: smtp.password!.reveal() } }),
    connectionTimeout: transport.timeoutMs,
    greetingTimeout: transport.timeoutMs,
    socketTimeout: transport.timeoutMs,
    logger: false,
  });
  const send = async (notification: Notification): Promise<DeliveryResult> => {
    const mail = renderEmail(notification, options);
    try {
      await mailer.sendMail({ ...mail, date: new Date(transport.now()) });
      return delivered({ messageId: mail.messageId });
    } catch (err) {
      return smtpOutcome(err);
    }
  };
  return { name, type: 'email', send, update: send, resolve: send, close: async () => mailer.close() };
}

/** SMTP replies: 4xx is "try later", 5xx is "no" (RFC 5321 4.2.1); the network is worth a retry. */
function smtpOutcome(err: unknown): DeliveryResult {
  const error = `SMTP: ${describeError(err)}`;
  const responseCode = (err as { responseCode?: number }).responseCode;
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500 ? retry(error) : failed(error);
  return isNetworkError(err) ? retry(error) : failed(error);
}
