import { describe, expect, it } from 'vitest';
import { RoutedPositions, routedMessage, routedSourceOf } from '../../src/shard/routed-source.js';

const source = (offset: number) => ({ topic: 'alerts', partition: 2, offset: String(offset) });

describe('routed records', () => {
  it('carry the input message and where it came from, in the dead-letter headers', () => {
    const message = routedMessage(source(41), { offset: '41', timestamp: '1000', value: Buffer.from('{}'), headers: { 'alertgate-format': 'ecs' } }, '["acme"]', 5);
    expect(message).toMatchObject({ key: '["acme"]', partition: 5, timestamp: '1000', headers: { 'alertgate-format': 'ecs', 'alertgate-source-offset': '41' } });
    expect(routedSourceOf(message.headers as Record<string, string>)).toEqual(source(41));
    expect(routedSourceOf({})).toBeUndefined();
  });

  it("skip a router's redelivery: each input offset once per input partition, whatever the interleaving of two routers", () => {
    const routed = new RoutedPositions();
    // Router A routed 0..4 but did not commit; router B routes 3..6 again, interleaved with A's last ones.
    const arrivals = [0, 1, 2, 3, 3, 4, 4, 5, 6];
    const taken = arrivals.filter((o) => routed.admit(source(o)));
    expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(routed.redelivered).toBe(2);
  });

  it('are remembered across a checkpoint', () => {
    const routed = new RoutedPositions();
    for (const o of [0, 1, 2]) routed.admit(source(o));
    routed.admit({ topic: 'alerts', partition: 0, offset: '9' });
    const restored = new RoutedPositions();
    restored.restore(routed.snapshot());
    expect(routed.snapshot()).toEqual([['alerts', 0, 10], ['alerts', 2, 3]]);
    expect(restored.admit(source(2))).toBe(false);
    expect(restored.admit(source(3))).toBe(true);
  });
});
