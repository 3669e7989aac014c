import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaConfig } from '../../src/config/kafka.js';
import { backoffMs } from '../../src/kafka/backoff.js';
import { clientOptions, consumerOptions, producerOptions, runOptions } from '../../src/kafka/client-options.js';

const config = (extra: Record<string, unknown> = {}) => KafkaConfig.parse({ brokers: ['k1:9092'], topics: { input: ['alerts'] }, ...extra });

describe('kafka config → kafkajs options', () => {
  it('client: brokers, client id, TLS and SASL passed through; kafkajs logs through pino at warn unless debugging', () => {
    const sasl = { mechanism: 'scram-sha-256', username: 'u', password: 'p' };
    const options = clientOptions(config({ clientId: 'ag', ssl: { rejectUnauthorized: false }, sasl }), pino({ level: 'info' }));
    expect(options).toMatchObject({ clientId: 'ag', brokers: ['k1:9092'], ssl: { rejectUnauthorized: false }, sasl, logLevel: logLevel.WARN });
    expect(clientOptions(config(), pino({ level: 'debug' })).logLevel).toBe(logLevel.INFO);
    expect(clientOptions(config(), pino({ level: 'silent' })).logLevel).toBe(logLevel.NOTHING);
    expect(clientOptions(config(), pino({ level: 'info' }))).not.toHaveProperty('ssl');
  });

  it('consumer: group, session and heartbeat, fetch size; never creates topics', () => {
    expect(consumerOptions(config({ groupId: 'soc', consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxBytesPerPartition: 4096, maxWaitTimeMs: 250 } }))).toEqual({
      groupId: 'soc',
      sessionTimeout: 6000,
      rebalanceTimeout: 12_000,
      heartbeatInterval: 500,
      maxBytesPerPartition: 4096,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
    });
  });

  it('run: kafkajs neither resolves nor commits (the batch handler does, after the acks)', () => {
    expect(runOptions()).toEqual({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1 });
  });

  it('producer: idempotent with one request in flight and endless retries by default', () => {
    expect(producerOptions(config())).toMatchObject({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: Number.MAX_SAFE_INTEGER } });
    const plain = producerOptions(config({ producer: { idempotent: false, acks: 1 } }));
    expect(plain).toMatchObject({ idempotent: false, retry: { retries: 10 } });
    expect(plain).not.toHaveProperty('maxInFlightRequests');
  });

  it('producer: a transactional one tries a refused send again after 20 ms (a commit\'s markers still being written), others after 300 ms', () => {
    expect(producerOptions(config(), 'group-decider')).toMatchObject({ transactionalId: 'group-decider', retry: { initialRetryTime: 20, maxRetryTime: 5_000 } });
    expect(producerOptions(config())).toMatchObject({ retry: { initialRetryTime: 300, maxRetryTime: 5_000 } });
  });

  it('backoff doubles up to its cap', () => {
    expect([1, 2, 3, 6, 7, 100].map((n) => backoffMs(n))).toEqual([250, 500, 1000, 8000, 10_000, 10_000]);
  });
});
