import { z } from 'zod';

/**
 * Approximate distinct counts over a sliding event-time window in fixed memory: HyperLogLog
 * (Flajolet et al. 2007) kept per time slice and merged over the slices the window touches.
 *
 * - The window (t - size, t] is cut into SLICES slices of size/SLICES each, aligned to the epoch; a
 *   window touches SLICES + 1 of them (the oldest partly). Each slice has 2^p one-byte registers;
 *   their register-wise maximum over the live slices is the window's sketch, kept up to date as values
 *   arrive and recomputed when the newest slice moves on (once per slice width, not per value).
 * - What it counts: the distinct values of (t - size - δ, t] where t is the newest value's time and
 *   0 ≤ δ < size/SLICES (the oldest slice is counted whole): up to an eighth of the window further back.
 * - Error: HyperLogLog's relative standard error 1.04/√(2^p) (p = 12: 1.6%; about 95% of estimates
 *   within twice that), with linear counting below 2.5·2^p, which is close to exact for small counts.
 *   Values are hashed with 32-bit MurmurHash3, far from its range limit at any realistic count.
 * - Memory: (SLICES + 2) · 2^p bytes however many values or events (p = 12: 40 KiB).
 */

/** Slices per window: δ is at most an eighth of the window. */
export const HLL_SLICES = 8;
const RING = HLL_SLICES + 1;
export const HLL_MIN_PRECISION = 8;
export const HLL_MAX_PRECISION = 16;
export const DEFAULT_HLL_PRECISION = 12;

/** HyperLogLog's relative standard error at precision p. */
export function hllRelativeError(precision: number): number {
  return 1.04 / Math.sqrt(2 ** precision);
}

/** A sketch as JSON-safe data: each live slice's index and registers (base64). */
export const SlidingHllSnapshot = z
  .object({
    newestSlice: z.number().nullable(),
    slices: z.array(z.tuple([z.number(), z.string()])),
  })
  .strict();
export type SlidingHllSnapshot = z.infer<typeof SlidingHllSnapshot>;

/** 2^-r for every possible register value (at most 33 - p ≤ 25). */
const INVERSE_POWERS = Float64Array.from({ length: 34 }, (_, r) => 2 ** -r);

export class SlidingHll {
  private readonly registers: number;
  private readonly sliceMs: number;
  /** Ring of slices: slot s holds slice number `numbers[s]` (NaN: unused). */
  private readonly slices: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(RING).fill(undefined);
  private readonly numbers = new Float64Array(RING).fill(Number.NaN);
  /** Register-wise maximum over the live slices, with Σ 2^-register and the count of zero registers. */
  private readonly merged: Uint8Array;
  private inverseSum: number;
  private zeros: number;
  private newestSlice = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly precision: number,
    sizeMs: number,
  ) {
    if (!(Number.isInteger(precision) && precision >= HLL_MIN_PRECISION && precision <= HLL_MAX_PRECISION)) {
      throw new RangeError(`HyperLogLog precision must be an integer from ${HLL_MIN_PRECISION} to ${HLL_MAX_PRECISION}, got ${precision}`);
    }
    this.registers = 2 ** precision;
    this.sliceMs = sizeMs / HLL_SLICES;
    this.merged = new Uint8Array(this.registers);
    this.inverseSum = this.registers;
    this.zeros = this.registers;
  }

  /** Adds a value (its 32-bit hash) seen at `timeMs`. Values older than every window ending at or after the newest are ignored. */
  add(hash: number, timeMs: number): void {
    const slice = Math.floor(timeMs / this.sliceMs);
    if (slice > this.newestSlice) this.slide(slice);
    else if (slice < this.newestSlice - HLL_SLICES) return;
    const p = this.precision;
    const register = hash >>> (32 - p);
    const rest = (hash << p) >>> 0;
    const rank = rest === 0 ? 33 - p : Math.clz32(rest) + 1;
    const slot = ((slice % RING) + RING) % RING;
    let registers = this.slices[slot];
    if (registers === undefined || this.numbers[slot] !== slice) {
      registers = registers?.fill(0) ?? new Uint8Array(this.registers);
      this.slices[slot] = registers;
      this.numbers[slot] = slice;
    }
    if (rank > registers[register]!) registers[register] = rank;
    const old = this.merged[register]!;
    if (rank > old) {
      this.merged[register] = rank;
      this.inverseSum += INVERSE_POWERS[rank]! - INVERSE_POWERS[old]!;
      if (old === 0) this.zeros--;
    }
  }

  /** The estimated number of distinct values in the window ending at the newest value. */
  estimate(): number {
    const m = this.registers;
    if (this.zeros === m) return 0;
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / this.inverseSum;
    return Math.round(raw <= 2.5 * m && this.zeros > 0 ? m * Math.log(m / this.zeros) : raw);
  }

  snapshot(): SlidingHllSnapshot {
    const slices: [number, string][] = [];
    for (let s = 0; s < RING; s++) {
      const registers = this.slices[s];
      const number = this.numbers[s]!;
      if (registers !== undefined && this.live(number)) slices.push([number, Buffer.from(registers.buffer, registers.byteOffset, registers.byteLength).toString('base64')]);
    }
    slices.sort((a, b) => a[0] - b[0]);
    return { newestSlice: Number.isFinite(this.newestSlice) ? this.newestSlice : null, slices };
  }

  static restore(snapshot: SlidingHllSnapshot, precision: number, sizeMs: number): SlidingHll {
    const sketch = new SlidingHll(precision, sizeMs);
    sketch.newestSlice = snapshot.newestSlice ?? Number.NEGATIVE_INFINITY;
    for (const [number, base64] of snapshot.slices) {
      const registers = new Uint8Array(Buffer.from(base64, 'base64'));
      if (registers.length !== sketch.registers) throw new Error(`a HyperLogLog slice of ${registers.length} registers does not fit precision ${precision}`);
      const slot = ((number % RING) + RING) % RING;
      sketch.slices[slot] = registers;
      sketch.numbers[slot] = number;
    }
    sketch.remerge();
    return sketch;
  }

  private live(number: number): boolean {
    return number >= this.newestSlice - HLL_SLICES && number <= this.newestSlice;
  }

  /** The newest slice moves on: slices that left every window are dropped and the merge is redone. */
  private slide(slice: number): void {
    this.newestSlice = slice;
    this.remerge();
  }

  private remerge(): void {
    const merged = this.merged;
    merged.fill(0);
    for (let s = 0; s < RING; s++) {
      const registers = this.slices[s];
      if (registers === undefined) continue;
      if (!this.live(this.numbers[s]!)) {
        this.numbers[s] = Number.NaN;
        continue;
      }
      for (let j = 0; j < merged.length; j++) if (registers[j]! > merged[j]!) merged[j] = registers[j]!;
    }
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < merged.length; j++) {
      sum += INVERSE_POWERS[merged[j]!]!;
      if (merged[j] === 0) zeros++;
    }
    this.inverseSum = sum;
    this.zeros = zeros;
  }
}
