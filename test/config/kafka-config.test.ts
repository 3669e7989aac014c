import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { tempDir } from '../helpers.js';

function configFile(content: unknown): string {
  const file = join(tempDir('alertgate-config-'), 'alertgate.config.yaml');
  writeFileSync(file, stringify(content));
  return file;
}

const minimal = { kafka: { brokers: ['k1:9092'], topics: { input: ['alerts'] } } };

describe('config: kafka section', () => {
  it('is absent unless configured, so run keeps reading NDJSON', async () => {
    expect((await loadConfig(undefined, {})).kafka).toBeUndefined();
    // The conventional KAFKA_BROKERS alone does not switch a worker to Kafka.
    expect((await loadConfig(undefined, { KAFKA_BROKERS: 'k1:9092' })).kafka).toBeUndefined();
  });

  it('fills in every default', async () => {
    expect((await loadConfig(configFile(minimal), {})).kafka).toEqual({
      brokers: ['k1:9092'],
      clientId: 'alertgate',
      groupId: 'alertgate',
      topics: {
        input: ['alerts'],
        decisions: 'alertgate-decisions',
        incidents: 'alertgate-incidents',
        deadLetters: 'alertgate-dead-letters',
        state: 'alertgate-state',
        repartition: 'alertgate-repartition',
      },
      shardPartitions: 12,
      createTopics: { enabled: false, partitions: -1, replicationFactor: -1 },
      delivery: 'at-least-once',
      incidentUpdateIntervalMs: 0,
      state: { checkpointIntervalMs: 30_000, retentionMs: 7 * 24 * 3600 * 1000, retentionBytes: 1024 * 1024 * 1024 },
      consumer: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100, maxBytesPerPartition: 1024 * 1024, maxChunkMessages: 2_000, maxBufferedMessages: 20_000, fromBeginning: true },
      producer: { idempotent: true, acks: -1, compression: 'gzip', maxRequestBytes: 4 * 1024 * 1024, transactionalId: 'alertgate-decider' },
      shutdownTimeoutMs: 20_000,
    });
  });

  it('shards by field paths of the canonical alert, with the repartition topic named after the group unless named', async () => {
    const sharded = (await loadConfig(configFile({ kafka: { ...minimal.kafka, groupId: 'soc', shardBy: ['entities.tenant'], shardPartitions: 24 } }), {})).kafka;
    expect(sharded).toMatchObject({ shardBy: ['entities.tenant'], shardPartitions: 24, topics: { repartition: 'soc-repartition', state: 'soc-state' } });
  });

  it('takes brokers from ALERTGATE_KAFKA_BROKERS over the file, and from KAFKA_BROKERS only when nothing else names them', async () => {
    const file = configFile(minimal);
    expect((await loadConfig(file, { ALERTGATE_KAFKA_BROKERS: ' a:1, b:2 ', KAFKA_BROKERS: 'c:3' })).kafka?.brokers).toEqual(['a:1', 'b:2']);
    expect((await loadConfig(file, { KAFKA_BROKERS: 'c:3' })).kafka?.brokers).toEqual(['k1:9092']);
    const noBrokers = configFile({ kafka: { topics: { input: ['alerts'] } } });
    expect((await loadConfig(noBrokers, { KAFKA_BROKERS: 'c:3,d:4' })).kafka?.brokers).toEqual(['c:3', 'd:4']);
  });

  it('can be configured from ALERTGATE_KAFKA_* variables alone', async () => {
    const config = await loadConfig(undefined, {
      ALERTGATE_KAFKA_BROKERS: 'k1:9092',
      ALERTGATE_KAFKA_INPUT_TOPICS: 'edr,ids',
      ALERTGATE_KAFKA_GROUP_ID: 'soc',
      ALERTGATE_KAFKA_DECISIONS_TOPIC: 'decided',
      ALERTGATE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      ALERTGATE_KAFKA_SASL_USERNAME: 'alertgate',
      ALERTGATE_KAFKA_SASL_PASSWORD: 's3cret',
      ALERTGATE_KAFKA_SSL: 'true',
    });
    expect(config.kafka).toMatchObject({
      groupId: 'soc',
      topics: { input: ['edr', 'ids'], decisions: 'decided' },
      sasl: { mechanism: 'scram-sha-512', username: 'alertgate', password: 's3cret' },
      ssl: true,
    });
  });

  it('passes TLS options through, checking the common ones', async () => {
    const ssl = { rejectUnauthorized: false, ca: '-----BEGIN CERTIFICATE-----…', minVersion: 'TLSv1.2' };
    expect((await loadConfig(configFile({ kafka: { ...minimal.kafka, ssl } }), {})).kafka?.ssl).toEqual(ssl);
    await expect(loadConfig(configFile({ kafka: { ...minimal.kafka, ssl: { rejectUnauthorized: 'no' } } }), {})).rejects.toThrow(/\/kafka\/ssl/);
  });

  it.each([
    [{ brokers: [] }, /\/kafka\/brokers: expected at least one broker/],
    [{ brokers: ['no-port'] }, /\/kafka\/brokers\/0: expected host:port/],
    [{ topics: { input: [] } }, /\/kafka\/topics\/input: expected at least one input topic/],
    [{ topics: { input: ['bad topic'] } }, /\/kafka\/topics\/input\/0: expected a Kafka topic name/],
    [{ topics: { input: ['alerts', 'alertgate-decisions'] } }, /\/kafka\/topics\/input: an output topic .* cannot also be an input topic/],
    [{ producer: { acks: 1 } }, /\/kafka\/producer\/acks: an idempotent producer needs acks: -1/],
    [{ producer: { acks: 0, idempotent: false } }, /\/kafka\/producer\/acks/],
    [{ consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 3000 } }, /\/kafka\/consumer\/heartbeatIntervalMs: .* a third of sessionTimeoutMs/],
    [{ createTopics: { enabled: true, partitions: 0 } }, /\/kafka\/createTopics\/partitions: expected a positive number, or -1/],
    [{ sasl: { mechanism: 'kerberos', username: 'u', password: 'p' } }, /\/kafka\/sasl\/mechanism/],
    [{ consumer: { sessionTimeout: 6000 } }, /\/kafka\/consumer: Unrecognized key: "sessionTimeout"/],
    [{ topics: { input: ['alerts'], state: 'alerts' } }, /\/kafka\/topics\/input: an output topic .* cannot also be an input topic/],
    [{ delivery: 'exactly-once', producer: { idempotent: false, acks: 1 } }, /\/kafka\/delivery: exactly-once delivery needs the idempotent producer/],
    [{ delivery: 'at-most-once' }, /\/kafka\/delivery/],
    [{ shardBy: [] }, /\/kafka\/shardBy: expected at least one field path/],
    [{ shardBy: ['entities..host'] }, /\/kafka\/shardBy\/0: .*expected a field path/],
    [{ shardBy: ['entities.tenant'], delivery: 'exactly-once' }, /\/kafka\/delivery: sharded deciders \(kafka.shardBy\) deliver at-least-once only/],
    [{ shardPartitions: 0 }, /\/kafka\/shardPartitions/],
    [{ delivery: 'exactly-once', incidentUpdateIntervalMs: 1000 }, /\/kafka\/incidentUpdateIntervalMs: incidentUpdateIntervalMs applies to at-least-once delivery/],
    [{ incidentUpdateIntervalMs: -1 }, /\/kafka\/incidentUpdateIntervalMs/],
    [{ topics: { input: ['alerts'], repartition: 'alerts' } }, /\/kafka\/topics\/input: an output topic .* cannot also be an input topic/],
    // Longer than a Node timer can wait: it would fire after 1 ms (a checkpoint on every chunk, an instant shutdown).
    [{ state: { checkpointIntervalMs: 2_147_483_648 } }, /\/kafka\/state\/checkpointIntervalMs: at most 2147483647 ms/],
    [{ shutdownTimeoutMs: 30 * 24 * 3600 * 1000 }, /\/kafka\/shutdownTimeoutMs: at most 2147483647 ms/],
  ])('rejects %j, naming the file and field', async (override, message) => {
    const file = configFile({ kafka: { ...minimal.kafka, ...override } });
    await expect(loadConfig(file, {})).rejects.toThrow(message);
    await expect(loadConfig(file, {})).rejects.toThrow(file);
  });

  it('names the variable when a value from the environment is wrong', async () => {
    await expect(loadConfig(configFile(minimal), { ALERTGATE_KAFKA_BROKERS: 'k1:9092,oops' })).rejects.toThrow(
      /ALERTGATE_KAFKA_BROKERS \(\/kafka\/brokers\/1\): expected host:port/,
    );
    await expect(loadConfig(configFile({ kafka: { topics: { input: ['a'] } } }), { KAFKA_BROKERS: 'nope' })).rejects.toThrow(/KAFKA_BROKERS \(\/kafka\/brokers\/0\)/);
  });
});
