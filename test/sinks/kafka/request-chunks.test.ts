import { describe, expect, it } from 'vitest';
import { messageBytes, requestChunks } from '../../../src/sinks/kafka/request-chunks.js';

const msg = (key: string, bytes: number) => ({ key, value: 'v'.repeat(bytes) });

describe('produce requests of a batch', () => {
  it('is one request when everything fits', () => {
    const topics = [
      { topic: 'd', messages: [msg('a', 10), msg('b', 10)] },
      { topic: 'i', messages: [msg('c', 10)] },
    ];
    expect(requestChunks(topics, 10_000)).toEqual([topics]);
  });

  it('splits at the size limit, keeping the order within and across topics', () => {
    const size = messageBytes(msg('a', 100));
    const topics = [
      { topic: 'd', messages: [msg('a', 100), msg('b', 100), msg('c', 100)] },
      { topic: 'i', messages: [msg('x', 100)] },
    ];
    const chunks = requestChunks(topics, 2 * size);
    expect(chunks.map((c) => c.map((t) => [t.topic, t.messages.map((m) => m.key)]))).toEqual([
      [['d', ['a', 'b']]],
      [
        ['d', ['c']],
        ['i', ['x']],
      ],
    ]);
  });

  it('sends a message over the limit on its own', () => {
    const chunks = requestChunks([{ topic: 'd', messages: [msg('a', 10), msg('big', 5000), msg('b', 10)] }], 1000);
    expect(chunks.map((c) => c[0]!.messages.map((m) => m.key))).toEqual([['a'], ['big'], ['b']]);
  });

  it('counts keys, values and headers in bytes', () => {
    const base = messageBytes({ key: null, value: null });
    expect(messageBytes({ key: 'é', value: Buffer.alloc(10), headers: { h: 'ab', list: ['x', Buffer.alloc(3)] } })).toBe(base + 2 + 10 + 1 + 2 + 4 + 1 + 3);
  });
});
