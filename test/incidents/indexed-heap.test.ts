import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../../src/incidents/indexed-heap.js';

interface Item {
  id: number;
  key: number;
  pos: number;
}

describe('IndexedHeap', () => {
  it('always yields the minimum, through pushes, removals and key changes', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('push' as const), key: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('rekey' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
        const heap = new IndexedHeap<Item>((a, b) => a.key < b.key || (a.key === b.key && a.id < b.id), {
          get: (i) => i.pos,
          set: (i, pos) => (i.pos = pos),
        });
        const live: Item[] = [];
        ops.forEach((o, id) => {
          if (o.op === 'push') {
            const item = { id, key: o.key, pos: -1 };
            live.push(item);
            heap.push(item);
          } else if (live.length > 0) {
            const item = live[o.pick % live.length]!;
            if (o.op === 'remove') {
              live.splice(live.indexOf(item), 1);
              heap.remove(item);
              expect(item.pos).toBe(-1);
            } else {
              item.key = o.key;
              heap.update(item);
            }
          }
          const min = [...live].sort((a, b) => a.key - b.key || a.id - b.id)[0];
          expect(heap.peek()).toBe(min);
          expect(heap.size).toBe(live.length);
        });
      }),
    );
  });
});
