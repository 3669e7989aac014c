import { describe, expect, it } from 'vitest';
import { messageInput } from '../../../src/source/kafka/message-input.js';
import { OVERSIZED_HEAD_BYTES } from '../../../src/source/index.js';

describe('Kafka message → pipeline input', () => {
  it('passes UTF-8 text on as line n, without a leading byte order mark', () => {
    expect(messageInput(Buffer.from('{"id":"é"}'), 7, 100)).toEqual({ line: 7, text: '{"id":"é"}' });
    expect(messageInput(Buffer.from('\uFEFF{"a":1}'), 1, 100)).toEqual({ line: 1, text: '{"a":1}' });
  });

  it('passes a value over the limit on as oversized, with only its head decoded', () => {
    const value = Buffer.alloc(1000, 'x');
    expect(messageInput(value, 3, 999)).toEqual({ line: 3, oversized: true, bytes: 1000, head: 'x'.repeat(OVERSIZED_HEAD_BYTES) });
    expect(messageInput(value, 3, 1000)).toEqual({ line: 3, text: 'x'.repeat(1000) });
  });

  it.each([
    ['no value (a tombstone)', null, /^message has no value \(a tombstone\)/],
    ['an empty value', Buffer.alloc(0), /^message is empty/],
    ['only whitespace', Buffer.from(' \t\r\n'), /^message is empty/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22]), /^message is not UTF-8 text \(invalid byte sequence at byte 2\)/],
    ['a UTF-8 sequence cut off at the end', Buffer.from([0x41, 0xe2, 0x82]), /at byte 1\)/],
  ])('rejects %s with a reason', (_what, value, reason) => {
    const input = messageInput(value, 1, 100);
    expect(input).toMatchObject({ rejected: true });
    expect('rejected' in input && input.reason).toMatch(reason);
  });
});
