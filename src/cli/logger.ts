import { pino, type DestinationStream, type Logger } from 'pino';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';

/** What `[redacted]` replaces: pino paths (fast-redact syntax: `a.b`, `*.b`, `a["x-y"]`). docs/logging.md lists them. */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  // kafka.sasl.password, and a SASL or TLS object logged on its own or inside another.
  ...atDepths('password'),
  ...atDepths('passphrase'),
  'ssl.key',
  '*.ssl.key',
  '*.*.ssl.key',
  // HTTP credentials: req.headers.authorization, headers.authorization, authorization.
  ...atDepths('authorization'),
  ...atDepths('cookie'),
  // API tokens (the feedback API's), however they are nested.
  ...atDepths('token'),
  ...atDepths('tokens'),
  ...atDepths('apiToken'),
  ...atDepths('secret'),
  // Receivers' secrets (docs/receivers.md): the config holds them as references (env:…, file:…) that
  // serialize as such; their fields are redacted too, in the config section or a config logged whole.
  ...['token', 'routingKey', 'webhookUrl', 'apiToken', 'secret', 'url', 'headers', 'smtp.password'].flatMap((field) => [
    `receivers.named.*.${field}`,
    `*.receivers.named.*.${field}`,
  ]),
];

/** `name`, `*.name`, `*.*.name`, `*.*.*.name`: fast-redact wildcards cover one level each. */
function atDepths(name: string): string[] {
  return [name, `*.${name}`, `*.*.${name}`, `*.*.*.${name}`];
}

export interface LoggerOptions {
  /** Paths redacted on top of DEFAULT_REDACT_PATHS (config `log.redact`). */
  readonly redact?: readonly string[];
  /** Where the JSON lines go: stderr unless a test captures them. */
  readonly destination?: DestinationStream;
}

/** Structured logs on stderr (stdout may carry NDJSON output), secrets redacted (docs/logging.md). */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      base: { service: 'alertgate' },
      redact: { paths: [...DEFAULT_REDACT_PATHS, ...(options.redact ?? [])], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/**
 * The audit trail of a CLI command that changes the ledger or the rules (feedback, tune): the same
 * records as a worker's, with the config's redaction (or the defaults without a config), on stderr
 * (`-`) or appended to a file.
 */
export function cliAuditLog(config: Pick<Config, 'log'> | undefined, to = '-'): AuditLog {
  // Written synchronously: the command exits right after.
  const destination = to === '-' ? pino.destination({ fd: 2, sync: true }) : pino.destination({ dest: to, append: true, mkdir: true, sync: true });
  return createAuditLog(createLogger(config?.log.level ?? 'info', { redact: config?.log.redact ?? [], destination }));
}
