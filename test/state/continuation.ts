import { expect } from 'vitest';

interface Restorable<S> {
  snapshot(): S;
  restore(snapshot: S): void;
}

/**
 * Runs `events` through one store, and through a second one cut at `cut` (any number: it wraps), its
 * snapshot taken through JSON into a third that goes on: the answers must be the same.
 */
export function expectContinuesAfterRestore<E, S, T extends Restorable<S>>(make: () => T, events: readonly E[], cut: number, step: (store: T, event: E) => unknown): void {
  const run = (store: T, list: readonly E[]) => list.map((e) => step(store, e));
  const whole = run(make(), events);
  const at = cut % (events.length + 1);
  const first = make();
  const before = run(first, events.slice(0, at));
  const second = make();
  second.restore(JSON.parse(JSON.stringify(first.snapshot())) as S);
  expect([...before, ...run(second, events.slice(at))]).toEqual(whole);
}
