import { z } from 'zod';
import { Duration } from '../rules/schema.js';

/** What happens to an alert dated more than maxFutureSkew ahead of the stream. */
export const FUTURE_DATED_ACTIONS = ['clamp', 'dead-letter'] as const;
export const FutureDatedAction = z.enum(FUTURE_DATED_ACTIONS);
export type FutureDatedAction = z.infer<typeof FutureDatedAction>;

export const EVENT_TIME_DEFAULTS = { maxFutureSkew: '6h', onFutureDated: 'clamp' as const, recentAlerts: 1000 };

/**
 * The `eventTime` section: the bound on how far one alert may move event time ahead of the others
 * (docs/rules.md, "Event time and clock skew"; src/pipeline/future-skew.ts).
 */
export const EventTimeConfig = z
  .object({
    /** An alert more than this ahead of the stream's event time is future-dated; `off`: no bound. */
    maxFutureSkew: z
      .union([z.literal('off'), Duration.refine((text) => !/^0+(ms|s|m|h|d)$/.test(text), 'expected a duration above zero')])
      .default(EVENT_TIME_DEFAULTS.maxFutureSkew),
    /** clamp: decided at the stream's event time, its explanation says so; dead-letter: not decided. */
    onFutureDated: FutureDatedAction.default(EVENT_TIME_DEFAULTS.onFutureDated),
    /** How many recent alerts' event times the stream's event time is taken from (their median and up). */
    recentAlerts: z.number().int().min(1).max(100_000).default(EVENT_TIME_DEFAULTS.recentAlerts),
  })
  .strict();
export type EventTimeConfig = z.infer<typeof EventTimeConfig>;
