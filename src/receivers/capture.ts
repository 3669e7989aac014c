import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { delivered, fromError } from './outcome.js';
import type { DeliveryResult, Notification, Receiver } from './receiver.js';

/**
 * Writes what would be sent instead of sending it: one NDJSON line per notification with the
 * receiver, the kind and the rendered request (the Slack call, the PagerDuty event, the email…), never
 * a secret. Used by `npm start` (no account needed), by a dry run (every configured receiver captures
 * to one file) and by drills.
 */

export const CaptureOptions = z
  .object({
    type: z.literal('capture'),
    /** The NDJSON file, appended to (its directory is created). */
    path: z.string().min(1),
  })
  .strict();
export type CaptureOptions = z.infer<typeof CaptureOptions>;

/** One line of a capture file. */
export const CapturedNotification = z
  .object({
    /** When it was captured (ISO-8601 UTC, the injected clock). */
    at: z.iso.datetime(),
    receiver: z.string(),
    /** The receiver's type: what it would have sent to. */
    type: z.string(),
    kind: z.string(),
    /** The receiver's call it stands for: `send` (a first notice to it), `update` or `resolve`. */
    call: z.enum(['send', 'update', 'resolve']),
    notificationId: z.string(),
    caseId: z.string(),
    request: z.unknown(),
  })
  .strict();
export type CapturedNotification = z.infer<typeof CapturedNotification>;

/** Lines appended one after the other, in call order, whoever writes to the file. */
export class CaptureFile {
  private tail: Promise<unknown> = Promise.resolve();
  private ready: Promise<unknown> | undefined;

  constructor(readonly path: string) {}

  append(record: CapturedNotification): Promise<void> {
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    const line = `${JSON.stringify(record)}\n`;
    const write = this.tail.then(() => this.ready).then(() => appendFile(this.path, line));
    // The next line waits for this one, failed or not.
    this.tail = write.catch(() => undefined);
    return write;
  }
}

export function createCaptureReceiver(
  name: string,
  type: string,
  /** The request the receiver's call would make (it depends on the call: a first send posts, an update edits). */
  render: (notification: Notification, call: CapturedNotification['call']) => unknown,
  file: CaptureFile,
  now: () => number,
): Receiver {
  const capture = async (call: CapturedNotification['call'], notification: Notification): Promise<DeliveryResult> => {
    try {
      await file.append({
        at: new Date(now()).toISOString(),
        receiver: name,
        type,
        kind: notification.kind,
        call,
        notificationId: notification.id,
        caseId: notification.caseId,
        request: render(notification, call),
      });
      return delivered();
    } catch (err) {
      // A full disk or a read-only directory is a configuration problem, not a moment's.
      return fromError(`capture to ${file.path}`, err);
    }
  };
  return {
    name,
    type,
    send: (notification) => capture('send', notification),
    update: (notification) => capture('update', notification),
    resolve: (notification) => capture('resolve', notification),
  };
}
