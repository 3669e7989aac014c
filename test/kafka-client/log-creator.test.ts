import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { logLevel } from '../../src/kafka/kafkajs.js';
import { pinoLogCreator } from '../../src/kafka/log-creator.js';

/** kafkajs' log lines as the worker's pino logger writes them: level and message per line. */
function routed(entries: { namespace: string; level: number; message: string; extra?: Record<string, unknown> }[]): { level: number; msg: string; kafkajs: string }[] {
  const lines: string[] = [];
  const log = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const logger = pinoLogCreator(log)(logLevel.DEBUG);
  for (const { namespace, level, message, extra } of entries) logger({ namespace, level, label: 'x', log: { timestamp: 'now', logger: 'kafkajs', message, ...extra } });
  return lines.map((l) => JSON.parse(l) as { level: number; msg: string; kafkajs: string });
}

const CONCURRENT = 'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing';

describe('kafkajs log lines in the worker\'s log', () => {
  it('a transaction\'s send refused while the previous commit completes is debug, other failed sends stay errors', () => {
    const lines = routed([
      { namespace: 'Producer', level: logLevel.ERROR, message: CONCURRENT, extra: { retryCount: 0, retryTime: 21 } },
      { namespace: 'Producer', level: logLevel.ERROR, message: 'Failed to send messages: This server does not host this topic-partition' },
      { namespace: 'Consumer', level: logLevel.ERROR, message: CONCURRENT },
    ]);
    expect(lines.map((l) => [l.kafkajs, l.level])).toEqual([
      ['Producer', 20],
      ['Producer', 50],
      ['Consumer', 50],
    ]);
    expect(lines[0]).toMatchObject({ msg: CONCURRENT, retryCount: 0, retryTime: 21 });
  });

  it('an error response to one request is debug (kafkajs retries it); warnings and infos keep their level', () => {
    const lines = routed([
      { namespace: 'Connection', level: logLevel.ERROR, message: 'Response Metadata(key: 3, version: 6)' },
      { namespace: 'Consumer', level: logLevel.WARN, message: 'a warning' },
      { namespace: 'Consumer', level: logLevel.INFO, message: 'an info' },
    ]);
    expect(lines.map((l) => l.level)).toEqual([20, 40, 30]);
  });
});
