import type { logCreator, logLevel as LogLevel } from 'kafkajs';
import { logLevel } from './kafkajs.js';
import type { Logger } from 'pino';

/**
 * kafkajs' own level for a pino level: kafkajs' info is chatty (every join, every connection), so it
 * only shows at debug and trace; otherwise warnings and errors, such as a consumer crash.
 */
export function kafkajsLevel(pinoLevel: string): LogLevel {
  if (pinoLevel === 'silent') return logLevel.NOTHING;
  if (pinoLevel === 'fatal' || pinoLevel === 'error') return logLevel.ERROR;
  if (pinoLevel === 'debug' || pinoLevel === 'trace') return logLevel.INFO;
  return logLevel.WARN;
}

/** kafkajs' text for the broker's CONCURRENT_TRANSACTIONS error (kafkajs/src/protocol/error.js). */
const CONCURRENT_TRANSACTIONS_MESSAGE = 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

/** Routes kafkajs' log lines into the worker's pino logger, tagged `kafkajs: <namespace>`. */
export function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry as typeof entry & { logger?: unknown };
      const fields = { kafkajs: namespace, ...extra };
      // An error response to one request ("Response GroupCoordinator…: not available"): kafkajs retries
      // it, and what still fails after the retries is logged by whoever made the request.
      if (namespace === 'Connection' && message.startsWith('Response ')) log.debug(fields, message);
      // A transaction's first send refused while the one before it is still being committed: routine
      // under exactly-once (many a minute), retried after TRANSACTIONAL_FIRST_RETRY_MS; not an error.
      else if (namespace === 'Producer' && message.startsWith('Failed to send messages: ') && message.endsWith(CONCURRENT_TRANSACTIONS_MESSAGE)) log.debug(fields, message);
      else if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}
