import { z } from 'zod';
import { TopicName } from './kafka.js';

/**
 * The `feedback` section. `kafka`: consume verdicts from a topic (docs/api.md, "Kafka feedback topic");
 * it uses the brokers, TLS and SASL of the `kafka` section.
 */
export const FeedbackConfig = z
  .object({
    kafka: z
      .object({
        topic: TopicName,
        groupId: z.string().min(1).default('alertgate-feedback'),
        /** Malformed messages and verdicts on unknown incidents go here (with an alertgate-error header); without it they are logged and skipped. */
        deadLetterTopic: TopicName.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type FeedbackConfig = z.infer<typeof FeedbackConfig>;
