import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueTopic } from './broker.js';
import { cleanups, produceCli, readTopic, runCleanups } from './worker-harness.js';

afterEach(runCleanups);

const lines = {
  withId: '{"id":"x1","time":"2026-11-20T10:00:00Z","source":"s","name":"n","severity":"high","entities":{"host":"web-01"}}',
  withoutId: '{"time":"2026-11-20T10:01:00Z","source":"s","name":"n","severity":"low","entities":{"host":"web-02"}}',
  notJson: 'not json at all',
  numericId: '{"id":42,"time":"2026-11-20T10:02:00Z"}',
  crlf: '{"id":"x3","time":"2026-11-20T10:03:00Z"}',
  notUtf8: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
  last: '{"id":"x4"}',
};

/** The file: blank and whitespace-only lines, a CRLF line, bytes that are not UTF-8, no newline at the end. */
function inputFile(): string {
  const file = join(tempDir('alertgate-produce-'), 'alerts.ndjson');
  writeFileSync(
    file,
    Buffer.concat([
      Buffer.from(`${lines.withId}\n\n${lines.withoutId}\n   \t\n${lines.notJson}\n${lines.numericId}\n${lines.crlf}\r\n`),
      lines.notUtf8,
      Buffer.from(`\n${lines.last}`),
    ]),
  );
  return file;
}

describeKafka('alertgate produce', () => {
  it('sends every non-blank line as one message, value byte for byte, keyed by the alert id where there is one', async () => {
    const topic = await createTopic(uniqueTopic('produce'), 1);
    const stdout = await produceCli(['--input', inputFile(), '--topic', topic]);
    expect(stdout).toBe(`sent 7 messages to ${topic} (4 keyed by id)\n`);

    const records = await (await readTopic(topic)).atLeast(7, 20_000);
    expect(records.map((r) => [r.key, r.rawValue])).toEqual([
      ['x1', Buffer.from(lines.withId)],
      [undefined, Buffer.from(lines.withoutId)],
      [undefined, Buffer.from(lines.notJson)],
      ['42', Buffer.from(lines.numericId)],
      ['x3', Buffer.from(lines.crlf)],
      [undefined, lines.notUtf8],
      ['x4', Buffer.from(lines.last)],
    ]);
  }, 30_000);

  it('--key-field takes a dotted path into the alert', async () => {
    const topic = await createTopic(uniqueTopic('produce-key'), 1);
    expect(await produceCli(['--input', inputFile(), '--topic', topic, '--key-field', 'entities.host'])).toBe(
      `sent 7 messages to ${topic} (2 keyed by entities.host)\n`,
    );
    const records = await (await readTopic(topic)).atLeast(7, 20_000);
    expect(records.map((r) => r.key).slice(0, 2)).toEqual(['web-01', 'web-02']);
  }, 30_000);

  it('creates a missing topic with --create and --partitions, and without --create names the missing topic', async () => {
    const topic = uniqueTopic('produce-create');
    await expect(produceCli(['--input', inputFile(), '--topic', topic])).rejects.toThrow(
      new RegExp(`topic "${topic}" does not exist; pass --create`),
    );
    expect(await produceCli(['--input', inputFile(), '--topic', topic, '--create', '--partitions', '3'])).toMatch(/^sent 7 messages/);
    const admin = kafkaClient().admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]?.partitions).toHaveLength(3);
  }, 30_000);
});
