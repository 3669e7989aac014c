import { z } from 'zod';

import { InputFormat } from '../normalize/index.js';
import { KafkaConfig } from './kafka.js';

/**
 * The worker's configuration (`alertgate run --config file.yaml`), overridable by environment variables
 * (see ENV_VARS in ./load.ts). docs/configuration.md documents every field.
 */
export const Config = z
  .object({
    /** Directory of rule files. */
    rules: z.string().min(1).default('rules'),
    /** Reload the rules when their files change (an invalid set is rejected and the running one kept). */
    watchRules: z.boolean().default(true),
    input: z
      .object({
        /** NDJSON file, or `-` for stdin. Used when no Kafka is configured. */
        path: z.string().min(1).default('-'),
        format: InputFormat.default('auto'),
        /** Mapping file for the generic format. */
        mapping: z.string().min(1).optional(),
        /** Lines (Kafka: message values) longer than this become dead letters. */
        maxLineBytes: z.number().int().positive().default(1024 * 1024),
        /** exit: stop when the input ends; serve: keep serving /metrics until SIGINT/SIGTERM. */
        onEnd: z.enum(['exit', 'serve']).default('exit'),
      })
      .strict()
      .default({ path: '-', format: 'auto', maxLineBytes: 1024 * 1024, onEnd: 'exit' }),
    outputs: z
      .object({
        /** NDJSON files (`-` for stdout); an output left out is not written. */
        decisions: z.string().min(1).optional(),
        incidents: z.string().min(1).optional(),
        deadLetters: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    incidents: z
      .object({
        maxAlertIds: z.number().int().min(0).default(100),
        maxOpen: z.number().int().positive().default(100_000),
      })
      .strict()
      .default({ maxAlertIds: 100, maxOpen: 100_000 }),
    http: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9464 }),
    /** With it, `run` consumes alerts from Kafka and produces its outputs to Kafka (input.path and outputs are not used). */
    kafka: KafkaConfig.optional(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();
export type Config = z.infer<typeof Config>;
