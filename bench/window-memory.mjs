// Memory per key, per held event, per sketch key and per remembered alert id (dedup), and time per
// observe of the window store: the numbers behind the sizing rules in docs/rules.md ("Memory bounds")
// and docs/outputs.md ("Duplicates").
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/window-memory.mjs [keys]
import { WindowStore } from '../dist/state/index.js';
import { SeenAlerts } from '../dist/dedup/seen-alerts.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc bench/window-memory.mjs');
  process.exit(2);
}

const KEYS = Number(process.argv[2] ?? 1_000_000);
const T0 = Date.UTC(2026, 10, 20);
const COUNT = [{ kind: 'count' }];
const MIXED = [{ kind: 'count' }, { kind: 'distinct' }, { kind: 'sum' }];

/** Heap and ArrayBuffer memory (typed arrays, such as HyperLogLog registers, live outside the heap). */
function heapAfterGc() {
  globalThis.gc();
  globalThis.gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** An IPv4-looking group key, as a src_ip group-by would make. */
const keyOf = (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** N distinct keys, one count event each, all inside the window: heap growth per key, key strings included. */
function bytesPerKey(keys) {
  const before = heapAfterGc();
  const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 60_000, maxKeys: keys, aggregates: COUNT });
  const out = new Float64Array(1);
  for (let i = 0; i < keys; i++) store.observe(keyOf(i), T0 + (i % 1_000_000), [], out);
  const after = heapAfterGc();
  const { keys: held, events } = store.stats();
  return { keys: held, events, bytesPerKey: Math.round((after - before) / held) };
}

/**
 * Heap growth per held event: `keys` keys, `perKey` events each, all inside the window. `values`
 * makes each event's aggregate inputs (distinct values are distinct strings, as ports or users are).
 */
function bytesPerEvent({ aggregates, keys, perKey, values }) {
  const before = heapAfterGc();
  const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 60_000, maxKeys: keys, maxEvents: keys * perKey, maxEventsPerKey: perKey, aggregates });
  const out = new Float64Array(aggregates.length);
  for (let e = 0; e < perKey; e++) for (let k = 0; k < keys; k++) store.observe(keyOf(k), T0 + e, values(k, e), out);
  const after = heapAfterGc();
  const { events } = store.stats();
  // The keys' own cost (bytesPerKey) is in the growth too; over many events per key it is noise.
  return { events, bytesPerEvent: Math.round((after - before) / events) };
}

/** Heap per key whose approximate distinct count switched to its sketch (HyperLogLog precision p), events' times included. */
function bytesPerSketchKey({ keys, distinct, precision }) {
  const before = heapAfterGc();
  const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 60_000, maxKeys: keys, maxEvents: keys * distinct, aggregates: [{ kind: 'distinct', approximate: { precision } }] });
  const out = new Float64Array(1);
  const values = [undefined];
  for (let e = 0; e < distinct; e++) {
    for (let k = 0; k < keys; k++) {
      values[0] = `port-${e}`;
      store.observe(keyOf(k), T0 + e, values, out);
    }
  }
  const after = heapAfterGc();
  // Read the store after measuring, so it is still alive when measured.
  return { keys: store.stats().keys, distinct, precision, bytesPerKey: Math.round((after - before) / keys) };
}

/** Heap per alert id the dedup stage remembers (UUID-length ids, as detectors send them). */
function bytesPerDedupId(ids) {
  const before = heapAfterGc();
  const seen = new SeenAlerts({ horizonMs: 3_600_000, maxIds: ids });
  for (let i = 0; i < ids; i++) {
    seen.check(`${(0x10000000 + i).toString(16)}-7d2c-4f1e-9a3b-0c5d6e7f8a9b`, T0 + i);
    seen.decided('pass', null, undefined);
  }
  const after = heapAfterGc();
  return { ids: seen.stats().ids, bytesPerId: Math.round((after - before) / ids) };
}

/** ns per observe for one key, one event per ms, optionally every `outOfOrderEvery`-th event 50 ms back. */
function nsPerObserve({ aggregates, events, keys = 1, outOfOrderEvery = 0 }) {
  const store = new WindowStore({ sizeMs: 10_000, allowedLatenessMs: 60_000, maxKeys: 1_000_000, aggregates });
  const out = new Float64Array(aggregates.length);
  const values = [undefined, undefined, undefined];
  const names = Array.from({ length: keys }, (_, i) => keyOf(i));
  const run = (from, to) => {
    for (let i = from; i < to; i++) {
      values[1] = `user-${i % 50}`;
      values[2] = i % 1500;
      const late = outOfOrderEvery > 0 && i % outOfOrderEvery === 0 ? 50 : 0;
      store.observe(names[i % keys], T0 + i - late, values, out);
    }
  };
  run(0, events / 10); // warm up, and fill the window
  const start = process.hrtime.bigint();
  run(events / 10, events);
  return Number(process.hrtime.bigint() - start) / (events * 0.9);
}

const memory = bytesPerKey(KEYS);
console.log(`${memory.keys} keys, ${memory.events} events held: ${memory.bytesPerKey} bytes per active key (count aggregate, key string included)`);
const perEvent = {
  count: bytesPerEvent({ aggregates: COUNT, keys: 1_000, perKey: 1_000, values: () => [] }),
  countDistinctSum: bytesPerEvent({ aggregates: MIXED, keys: 1_000, perKey: 1_000, values: (k, e) => [undefined, `user-${k}-${e}`, e] }),
  countDistinctRepeated: bytesPerEvent({ aggregates: MIXED, keys: 1_000, perKey: 1_000, values: (k, e) => [undefined, `user-${e % 5}`, e] }),
};
for (const [name, m] of Object.entries(perEvent)) console.log(`${name}: ${m.bytesPerEvent} bytes per held event (${m.events} events)`);
const sketch = bytesPerSketchKey({ keys: 1_000, distinct: 2_000, precision: 12 });
const exactScan = bytesPerEvent({ aggregates: [{ kind: 'distinct' }], keys: 1_000, perKey: 2_000, values: (k, e) => [`port-${e}`] });
console.log(`approximate distinct (p=${sketch.precision}), ${sketch.distinct} distinct values per key: ${sketch.bytesPerKey} bytes per key; exact: ${exactScan.bytesPerEvent * sketch.distinct} bytes per key`);
const dedup = bytesPerDedupId(1_000_000);
console.log(`dedup: ${dedup.bytesPerId} bytes per remembered id (${dedup.ids} ids of 36 characters)`);

const speed = {
  countInOrder: nsPerObserve({ aggregates: COUNT, events: 5_000_000 }),
  mixedInOrder: nsPerObserve({ aggregates: MIXED, events: 5_000_000 }),
  mixedInOrder10kKeys: nsPerObserve({ aggregates: MIXED, events: 5_000_000, keys: 10_000 }),
  countOneIn100OutOfOrder: nsPerObserve({ aggregates: COUNT, events: 1_000_000, outOfOrderEvery: 100 }),
  mixedOneIn100OutOfOrder: nsPerObserve({ aggregates: MIXED, events: 1_000_000, outOfOrderEvery: 100 }),
};
for (const [name, ns] of Object.entries(speed)) console.log(`${name}: ${ns.toFixed(0)} ns/observe`);
console.log('(window 10 s at one event per ms per key: 10 000 events in a single key\'s window; out-of-order events are 50 ms back)');

console.log(
  JSON.stringify({
    bench: 'window-memory',
    keys: memory.keys,
    events: memory.events,
    bytesPerKey: memory.bytesPerKey,
    bytesPerEvent: Object.fromEntries(Object.entries(perEvent).map(([k, v]) => [k, v.bytesPerEvent])),
    sketchBytesPerKey: sketch.bytesPerKey,
    exactDistinctBytesPerKeyAtSameCardinality: exactScan.bytesPerEvent * sketch.distinct,
    dedupBytesPerId: dedup.bytesPerId,
    nsPerObserve: Object.fromEntries(Object.entries(speed).map(([k, v]) => [k, Math.round(v)])),
  }),
);
