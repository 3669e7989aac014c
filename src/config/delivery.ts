import { z } from 'zod';
import { RECEIVER_NAME } from '../receivers/config.js';
import { Duration } from '../rules/schema.js';
import { parseDuration } from '../state/index.js';

/** A name of `receivers.named` (checked against it in ./schema.ts). */
const receiverName = z.string().regex(RECEIVER_NAME, 'a receiver name: 1 to 64 lowercase letters, digits, "-" or "_"');

/** A token bucket: `perSecond` messages a second, `burst` at once. */
const Rate = z
  .object({
    perSecond: z.number().positive().max(1000).default(1),
    burst: z.number().int().min(1).max(1000).default(3),
  })
  .strict();

/**
 * The `delivery` section: how notifications leave the outbox (docs/escalation.md, "Delivery"). The
 * receivers themselves (Slack, PagerDuty, ...), their secrets, the link messages carry and the dry run
 * (`receivers.capture`) are configured in their own section (docs/receivers.md).
 */
export const DeliveryConfig = z
  .object({
    /** Attempts per notification before it is dead-lettered (and the fallback receiver told): with the default backoff, about 45 minutes of trying. */
    maxAttempts: z.number().int().min(1).max(100).default(20),
    /** Between attempts: doubling from `initial` to `max`, with jitter; a receiver's Retry-After wins when longer. */
    backoff: z.object({ initial: Duration.default('1s'), max: Duration.default('5m') }).strict().default({ initial: '1s', max: '5m' }),
    /** One call to a receiver (all its requests: Slack's search, post and pin) may take this long; then it counts as a failed attempt. */
    timeout: Duration.default('30s'),
    /** Every receiver's rate (per target where the receiver has one, e.g. a Slack channel), unless rateLimits names it. */
    rateLimit: Rate.default({ perSecond: 1, burst: 3 }),
    rateLimits: z.record(receiverName, Rate).default({}),
    /** Told when a notification to another receiver is dead-lettered. */
    fallback: receiverName.optional(),
    /** Notifications sent at once (to different receivers or cases; one case's notifications to one receiver go one by one). */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** How often a worker looks for work it was not woken for (escalations due, a CLI's changes, retries). */
    pollInterval: Duration.default('2s'),
    /** One worker delivers (and escalates) at a time: the holder of this ledger lease, renewed at a third of its ttl. */
    leaseTtl: Duration.default('30s'),
  })
  .strict();
export type DeliveryConfig = z.infer<typeof DeliveryConfig>;

export const DELIVERY_DEFAULTS: DeliveryConfig = DeliveryConfig.parse({});

/** What the delivery stage (src/delivery/deliverer.ts) takes from the `delivery` section, and `receivers.link` (the link every notice carries). */
export function delivererSettingsOf(delivery: DeliveryConfig, link: string | undefined) {
  return {
    maxAttempts: delivery.maxAttempts,
    backoff: { initialMs: parseDuration(delivery.backoff.initial), maxMs: parseDuration(delivery.backoff.max) },
    timeoutMs: parseDuration(delivery.timeout),
    rateOf: (receiver: string) => delivery.rateLimits[receiver] ?? delivery.rateLimit,
    fallback: delivery.fallback,
    link,
  };
}

/** The `escalation` section: the escalation file (docs/escalation.md). Without it, nobody is told. */
export const EscalationConfig = z
  .object({
    file: z.string().min(1).optional(),
  })
  .strict();
export type EscalationConfig = z.infer<typeof EscalationConfig>;
