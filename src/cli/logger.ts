import { pino, type Logger } from 'pino';

/** Structured logs on stderr (stdout may carry NDJSON output). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'alertgate' } }, pino.destination({ fd: 2, sync: false }));
}
