import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createNormalizer, Mapping } from '../../src/normalize/index.js';
import { FORMAT_HEADER } from '../../src/pipeline/line-format.js';
import type { MergedRecord } from '../../src/source/kafka/merged-partitions.js';
import { ChunkProcessor } from '../../src/worker/chunk-processor.js';
import { ExplanationsConfig, FULL_EXPLANATIONS } from '../../src/config/explanations.js';
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
  return new ChunkProcessor({ ruleset: rules, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 300, topics, log: pino({ level: 'silent' }) }, [
    { topic: 'other', partition: 0 },
    { topic: 'alerts', partition: 2 },
  ]);
}

/** Records of partition alerts-2 (source 1), from `firstOffset` on. */
const batchOf = (values: (string | Buffer | null)[], firstOffset = 100): MergedRecord[] =>
  values.map((v, i) => ({ source: 1, message: { offset: String(firstOffset + i), timestamp: '0', value: typeof v === 'string' ? Buffer.from(v) : v } }));

describe('ChunkProcessor: one chunk of merged input → its output messages', () => {
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
    const [decisions, incidents, deadLetters] = outputs.topicMessages();
    expect(incidents?.topic).toBe('inc');
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

  it('emits an incident, keyed by its id, open in the chunk that opens or grows it and closed in the chunk in which it closes', async () => {
    const p = await processor();
    const first = p.process(batchOf([JSON.stringify(alert({ id: 'h1', time: at(0), severity: 'high' }))]));
    expect(first.incidents).toHaveLength(1);
    const opened = JSON.parse(String(first.incidents[0]!.value)) as { id: string; status: string; alertIds: string[] };
    expect(first.incidents[0]!.key).toBe(opened.id);
    expect(opened).toMatchObject({ status: 'open', alertIds: ['h1'] });
    const grown = p.process(batchOf([JSON.stringify(alert({ id: 'h2', time: at(5), severity: 'high' }))], 101));
    expect(grown.incidents.map((m) => JSON.parse(String(m.value)))).toEqual([expect.objectContaining({ id: opened.id, status: 'open', alertIds: ['h1', 'h2'] })]);
    expect(p.process(batchOf([JSON.stringify(alert({ id: 'quiet', time: at(6) }))], 102)).incidents).toEqual([]);
    const closing = p.process(batchOf([JSON.stringify(alert({ id: 'later', time: at(60) }))], 103));
    expect(closing.incidents).toHaveLength(1);
    expect(closing.incidents[0]!.key).toBe(opened.id);
    expect(JSON.parse(String(closing.incidents[0]!.value))).toMatchObject({ status: 'closed', alertIds: ['h1', 'h2'] });
  });

  it('holds incident updates when asked and writes each held incident once, in its latest state, on the next write; a closed one only as closed', async () => {
    const p = await processor();
    const high = (id: string, minute: number, host = 'web-1') => JSON.stringify(alert({ id, time: at(minute), severity: 'high', entities: { host } }));
    const held = p.process(batchOf([high('h1', 0)]), true);
    expect(held.decisions).toHaveLength(1);
    expect(held.incidents).toEqual([]);
    expect(p.pipeline.heldIncidentUpdates).toBe(true);
    expect(p.process(batchOf([high('h2', 1), high('d1', 1, 'db-1')], 101), true).incidents).toEqual([]);
    const flushed = p.flushIncidents();
    expect(flushed.decisions).toEqual([]);
    const records = flushed.incidents.map((m) => JSON.parse(String(m.value)) as { status: string; alertIds: string[] });
    expect(records.map((r) => [r.status, r.alertIds])).toEqual(
      expect.arrayContaining([
        ['open', ['h1', 'h2']],
        ['open', ['d1']],
      ]),
    );
    expect(records).toHaveLength(2);
    expect(p.pipeline.heldIncidentUpdates).toBe(false);
    expect(p.flushIncidents().incidents).toEqual([]);
    // Held, then closed before the write: the closed record goes out when it closes, no open one after it.
    p.process(batchOf([high('h3', 2)], 103), true);
    const closing = p.process(batchOf([JSON.stringify(alert({ id: 'later', time: at(60) }))], 104), true);
    expect(closing.incidents.map((m) => (JSON.parse(String(m.value)) as { status: string }).status)).toEqual(['closed', 'closed']);
    expect(p.flushIncidents().incidents).toEqual([]);
    // Not held: written with the chunk, as before.
    expect(p.process(batchOf([high('h4', 61)], 105)).incidents).toHaveLength(1);
  });

  it('names each record by the partition it came from', async () => {
    const p = await processor();
    const outputs = p.process([{ source: 0, message: { offset: '7', timestamp: '0', value: Buffer.from('nope') } }, ...batchOf(['also not json'], 3)]);
    const deadLetters = outputs.topicMessages().find((t) => t.topic === 'dlq')!;
    expect(deadLetters.messages.map((m) => m.key)).toEqual(['other-0-7', 'alerts-2-3']);
  });

  it('the dead-letter log line names where and the class of the problem, never the payload (a secret in a bad alert went to the log)', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info', base: null }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const rules = await ruleset({ 'r.yaml': rule({ id: 'r' }) });
    const p = new ChunkProcessor({ ruleset: rules, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 300, topics, log }, [
      { topic: 'other', partition: 0 },
      { topic: 'alerts', partition: 2 },
    ]);
    const SECRET = 'AKIAIOSFODNN7EXAMPLE-hunter2';
    const outputs = p.process(
      batchOf([
        JSON.stringify(alert({ id: 'a1', time: `${SECRET}` })),
        JSON.stringify(alert({ id: 'a2', severity: SECRET })),
        `{"password": "${SECRET}", oops`,
        JSON.stringify(alert({ id: 'a3', secret: SECRET })),
        JSON.stringify(alert({ id: `lone-\ud800${SECRET}` })),
        JSON.stringify(alert({ id: 'a4', name: `${SECRET}${'x'.repeat(300)}` })),
        Buffer.from([0xff, ...Buffer.from(SECRET)]),
      ]),
    );
    const deadLetters = outputs.topicMessages().find((t) => t.topic === 'dlq')!.messages.map((m) => KafkaDeadLetterRecord.parse(JSON.parse(String(m.value))));
    expect(deadLetters).toHaveLength(7);
    // The dead letters keep the fragment: that is the place for it.
    expect(deadLetters.filter((d) => `${d.reason}${d.raw}`.includes(SECRET))).toHaveLength(7);
    const logged = lines.filter((l) => l.msg === 'dead letter');
    // Rejected before the pipeline (not UTF-8) and by it, each with its offset and the class of its problem.
    expect(logged.map((l) => [l.offset, l.reason]).sort()).toEqual([
      ['100', 'bad_timestamp'],
      ['101', 'bad_severity'],
      ['102', 'invalid_json'],
      ['103', 'schema'],
      ['104', 'schema'],
      ['105', 'oversized'],
      ['106', 'not_utf8'],
    ]);
    for (const line of logged) expect(Object.keys(line).sort()).toEqual(['level', 'msg', 'offset', 'partition', 'reason', 'time', 'topic'].sort());
    expect(JSON.stringify(lines)).not.toContain('AKIA');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('reads a message in the format its alertgate-format header names (an ingest route for one payload), else in input.format', async () => {
    const rules = await ruleset({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const generic = createNormalizer({ format: 'generic', mapping: Mapping.parse({ source: { const: 'zeek' }, time: 'ts', name: 'note', severity: { const: 'high' } }) });
    const p = new ChunkProcessor({ ruleset: rules, normalize: generic, maxLineBytes: 1000, topics, log: pino({ level: 'silent' }) }, [{ topic: 'alerts', partition: 0 }]);
    const canonical = Buffer.from(JSON.stringify(alert({ id: 'c1', time: at(0), severity: 'high' })));
    const outputs = p.process([
      { source: 0, message: { offset: '0', timestamp: '0', value: canonical, headers: { [FORMAT_HEADER]: Buffer.from('canonical') } } },
      { source: 0, message: { offset: '1', timestamp: '0', value: canonical } },
      { source: 0, message: { offset: '2', timestamp: '0', value: canonical, headers: { [FORMAT_HEADER]: Buffer.from('zeek-notice?') } } },
    ]);
    expect(outputs.decisions.map((m) => JSON.parse(String(m.value)) as { alertId: string; decision: string })).toEqual([expect.objectContaining({ alertId: 'c1', decision: 'promote' })]);
    const reasons = outputs.topicMessages().find((t) => t.topic === 'dlq')!.messages.map((m) => KafkaDeadLetterRecord.parse(JSON.parse(String(m.value))).reason);
    expect(reasons).toEqual([expect.stringMatching(/^\/ts \(time\): missing/), expect.stringMatching(/names format "zeek-notice\?", which is none of/)]);
  });

  it('writes compact explanations to the decisions topic under outputs.explanations: compact, promotions in full', async () => {
    const rules = await ruleset({
      'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }),
      'low.yaml': rule({ id: 'low', decision: 'suppress', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'low' }] } }),
    });
    const decide = (explanations: ExplanationsConfig) => {
      const p = new ChunkProcessor({ ruleset: rules, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 1000, topics, log: pino({ level: 'silent' }), explanations }, [{ topic: 'alerts', partition: 2 }]);
      const [decisions] = p.process(batchOf([JSON.stringify(alert({ id: 'a1', severity: 'high' })), JSON.stringify(alert({ id: 'a2', severity: 'low' }))])).topicMessages();
      return decisions!.messages.map((m) => JSON.parse(String(m.value)).explanation);
    };
    const full = decide(FULL_EXPLANATIONS);
    const compact = decide(ExplanationsConfig.parse({ explanations: 'compact' }));
    expect(compact[0]).toEqual(full[0]);
    expect(full[1].conditions).toBeDefined();
    expect(compact[1]).toEqual({ by: 'rule', rule: full[1].rule, compact: true });
  });

  it("a shard's decider (routed records): skips a router's copies of input it took, and names dead letters by the input message", async () => {
    const rules = await ruleset({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const p = new ChunkProcessor({ ruleset: rules, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 300, topics, log: pino({ level: 'silent' }), routed: true }, [{ topic: 'repartition', partition: 5 }]);
    // Input offsets 7, 8 and 9 of alerts-0, then a second router's copies of 8 and 9 (it took over before the first committed).
    const routed = (offset: number, inputOffset: number, value: string): MergedRecord => ({
      source: 0,
      message: { offset: String(offset), timestamp: '0', value: Buffer.from(value), headers: { [DEAD_LETTER_HEADERS.sourceTopic]: 'alerts', [DEAD_LETTER_HEADERS.sourcePartition]: '0', [DEAD_LETTER_HEADERS.sourceOffset]: String(inputOffset) } },
    });
    const a8 = JSON.stringify(alert({ id: 'a8', time: at(1) }));
    const records = [routed(27, 7, JSON.stringify(alert({ id: 'a7', time: at(0) }))), routed(28, 8, a8), routed(29, 9, 'not json'), routed(30, 8, a8), routed(31, 9, 'not json')];
    const [decisions, deadLetters] = p.process(records).topicMessages();
    // Without the skip, the copy of a8 is decided "duplicate" under the same key, replacing its decision.
    expect(decisions?.messages.map((m) => [m.key, JSON.parse(String(m.value)).decision])).toEqual([
      ['a7', 'pass'],
      ['a8', 'pass'],
    ]);
    expect(deadLetters?.messages.map((m) => m.key)).toEqual(['alerts-0-9']);
    expect(p.routed?.snapshot()).toEqual([['alerts', 0, 10]]);
  });
});
