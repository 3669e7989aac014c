import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createNormalizer } from '../../src/normalize/index.js';
import { BatchProcessor, type SourceBatch } from '../../src/worker/batch-processor.js';
import { DEAD_LETTER_HEADERS, KafkaDeadLetterRecord } from '../../src/sinks/kafka/dead-letter-message.js';
import { alert, at, rule, ruleset } from '../helpers.js';

const topics = { decisions: 'dec', incidents: 'inc', deadLetters: 'dlq' };

async function processor() {
  const rules = await ruleset({
    'high.yaml': rule({
      id: 'high',
      conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] },
      incident: { groupBy: ['entities.host'], window: '10m' },
    }),
  });
  return new BatchProcessor({ ruleset: rules, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 300, topics, log: pino({ level: 'silent' }) });
}

const batchOf = (values: (string | Buffer | null)[], firstOffset = 100): SourceBatch => ({
  topic: 'alerts',
  partition: 2,
  messages: values.map((v, i) => ({ offset: String(firstOffset + i), value: typeof v === 'string' ? Buffer.from(v) : v })),
});

describe('BatchProcessor: one Kafka batch → its output messages', () => {
  it('keys decisions by alert id and names each dead letter by topic, partition and offset, in offset order', async () => {
    const p = await processor();
    const oversized = JSON.stringify(alert({ id: 'a2', time: at(1), name: 'y'.repeat(400) }));
    const outputs = p.process(
      batchOf([
        JSON.stringify(alert({ id: 'a1', time: at(0) })),
        'not json',
        Buffer.from([0xff]),
        oversized,
        JSON.stringify(alert({ id: 'a3', time: at(2), severity: 'high' })),
      ]),
    );
    const [decisions, deadLetters] = outputs.topicMessages();
    expect(decisions?.topic).toBe('dec');
    expect(decisions?.messages.map((m) => m.key)).toEqual(['a1', 'a3']);
    expect(JSON.parse(String(decisions?.messages[1]?.value))).toMatchObject({ alertId: 'a3', decision: 'promote' });
    expect(deadLetters?.topic).toBe('dlq');
    expect(deadLetters?.messages.map((m) => m.key)).toEqual(['alerts-2-101', 'alerts-2-102', 'alerts-2-103']);
    const bodies = deadLetters!.messages.map((m) => KafkaDeadLetterRecord.parse(JSON.parse(String(m.value))));
    expect(bodies.map((b) => [b.offset, b.reason])).toEqual([
      ['101', expect.stringMatching(/^invalid JSON: /)],
      ['102', expect.stringMatching(/^message is not UTF-8 text/)],
      ['103', expect.stringMatching(new RegExp(`^line is ${Buffer.byteLength(oversized)} bytes, over the 300-byte limit`))],
    ]);
    expect(deadLetters!.messages[0]!.headers).toEqual({
      [DEAD_LETTER_HEADERS.error]: bodies[0]!.reason,
      [DEAD_LETTER_HEADERS.sourceTopic]: 'alerts',
      [DEAD_LETTER_HEADERS.sourcePartition]: '2',
      [DEAD_LETTER_HEADERS.sourceOffset]: '101',
    });
    expect(p.rejected).toBe(1);
    expect(p.pipeline.counts).toMatchObject({ alerts: 4, invalid: 2, promoted: 1, passed: 1 });
  });

  it('emits an incident, keyed by its id, in the batch in which it closes, never at a stop', async () => {
    const p = await processor();
    const first = p.process(batchOf([JSON.stringify(alert({ id: 'h1', time: at(0), severity: 'high' }))]));
    expect(first.incidents).toEqual([]);
    const second = p.process(batchOf([JSON.stringify(alert({ id: 'later', time: at(60) }))], 101));
    expect(second.incidents).toHaveLength(1);
    const incident = JSON.parse(String(second.incidents[0]!.value)) as { id: string; status: string; alertIds: string[] };
    expect(second.incidents[0]!.key).toBe(incident.id);
    expect(incident).toMatchObject({ status: 'closed', alertIds: ['h1'] });
  });

  it('processes a batch from a given message on (the rest of a redelivered batch)', async () => {
    const p = await processor();
    const outputs = p.process(batchOf([JSON.stringify(alert({ id: 'old' })), JSON.stringify(alert({ id: 'new' }))]), 1);
    expect(outputs.decisions.map((m) => m.key)).toEqual(['new']);
    expect(p.pipeline.counts.alerts).toBe(1);
  });
});
