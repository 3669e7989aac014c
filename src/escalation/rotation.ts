import { parseDuration } from '../state/index.js';
import type { Rotation, Shift } from './schema.js';

/** A rotation ready to ask: who is on call at a moment. */
export interface OnCall {
  readonly name: string;
  /** The handle on call at `ms` (epoch), or null (no shift and no fallback). */
  at(ms: number): string | null;
}

/**
 * A weekly (or any `every`) rotation: handles take turns from `start`, each for `every`; before `start`
 * the turns run backwards in the same order. A schedule: the shift that contains the moment (the first
 * listed if shifts overlap), else the fallback.
 */
export function onCallOf(name: string, rotation: Rotation, shifts: readonly Shift[] = []): OnCall {
  if ('handles' in rotation) {
    const start = Date.parse(rotation.start);
    const every = parseDuration(rotation.every);
    const n = rotation.handles.length;
    return { name, at: (ms) => rotation.handles[(((Math.floor((ms - start) / every)) % n) + n) % n]! };
  }
  const spans = shifts.map((s) => ({ from: Date.parse(s.from), to: Date.parse(s.to), handle: s.handle }));
  return { name, at: (ms) => spans.find((s) => ms >= s.from && ms < s.to)?.handle ?? rotation.fallback ?? null };
}
