// Memory per key and time per observe of the window store.
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/window-memory.mjs [keys]
import { WindowStore } from '../dist/state/index.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc bench/window-memory.mjs');
  process.exit(2);
}

const KEYS = Number(process.argv[2] ?? 1_000_000);
const T0 = Date.UTC(2026, 10, 20);
const COUNT = [{ kind: 'count' }];
const MIXED = [{ kind: 'count' }, { kind: 'distinct' }, { kind: 'sum' }];

function heapAfterGc() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
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
    nsPerObserve: Object.fromEntries(Object.entries(speed).map(([k, v]) => [k, Math.round(v)])),
  }),
);
