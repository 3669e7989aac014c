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

/** Routes kafkajs' log lines into the worker's pino logger, tagged `kafkajs: <namespace>`. */
export function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry as typeof entry & { logger?: unknown };
      const fields = { kafkajs: namespace, ...extra };
      // An error response to one request ("Response GroupCoordinator…: not available"): kafkajs retries
      // it, and what still fails after the retries is logged by whoever made the request.
      if (namespace === 'Connection' && message.startsWith('Response ')) log.debug(fields, message);
      else if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else if (level === logLevel.INFO) log.info(fields, message);
      else log.debug(fields, message);
    };
}
