import type { TunableParam } from '../rules/schema.js';

/**
 * Where a param may move in one apply: from its current value, in the stricter direction, no further
 * than its bounds and `maxStep` (a share of the current value; of the bounds' width when the value is
 * 0), and only onto its grid (`min` plus whole steps; step 1 when it declares none).
 */
export interface CandidateRange {
  readonly current: number;
  /** The value nearest to current, and the one furthest from it, both allowed (equal when only one is). */
  readonly nearest: number;
  readonly furthest: number;
  readonly direction: 'raise' | 'lower';
  readonly step: number;
}

const decimals = (n: number) => {
  const text = String(n);
  const e = /e-(\d+)$/.exec(text);
  if (e) return Number(e[1]);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
};

/** `min + k·step`, rounded to the decimals of min and step so that 0.1 + 0.2 writes as 0.3. */
function gridValue(param: TunableParam, step: number, k: number): number {
  const places = Math.min(12, Math.max(decimals(param.min), decimals(step)));
  return Number((param.min + k * step).toFixed(places));
}

function stepOf(param: TunableParam): number {
  return param.step ?? 1;
}

/** The allowed stricter values, or undefined when the param cannot move that way at all. */
export function candidateRange(param: TunableParam, direction: 'raise' | 'lower', maxStepShare: number): CandidateRange | undefined {
  const step = stepOf(param);
  const span = (param.value === 0 ? param.max - param.min : Math.abs(param.value)) * maxStepShare;
  const kNow = Math.round((param.value - param.min) / step);
  if (direction === 'raise') {
    const limit = Math.min(param.max, param.value + span);
    const kFar = Math.floor((limit - param.min) / step + 1e-9);
    if (kFar <= kNow) return undefined;
    return { current: param.value, nearest: gridValue(param, step, kNow + 1), furthest: gridValue(param, step, kFar), direction, step };
  }
  const limit = Math.max(param.min, param.value - span);
  const kFar = Math.ceil((limit - param.min) / step - 1e-9);
  if (kFar >= kNow) return undefined;
  return { current: param.value, nearest: gridValue(param, step, kNow - 1), furthest: gridValue(param, step, kFar), direction, step };
}

/** Whether `value` lies in the range (between nearest and furthest, inclusive). */
function inRange(range: CandidateRange, value: number): boolean {
  return range.direction === 'raise' ? value >= range.nearest && value <= range.furthest : value <= range.nearest && value >= range.furthest;
}

/**
 * The grid value in the stricter direction that first passes a breakpoint: for `raise`, the smallest
 * grid value above `value` (or at it, when `inclusive`); for `lower`, the largest below it (or at it).
 * Undefined when the range does not reach it.
 */
export function firstBeyond(param: TunableParam, range: CandidateRange, value: number, inclusive: boolean): number | undefined {
  const step = range.step;
  const k = (value - param.min) / step;
  const candidate =
    range.direction === 'raise'
      ? gridValue(param, step, inclusive ? Math.ceil(k - 1e-9) : Math.floor(k + 1e-9) + 1)
      : gridValue(param, step, inclusive ? Math.floor(k + 1e-9) : Math.ceil(k - 1e-9) - 1);
  if (range.direction === 'raise' && candidate < range.nearest) return range.nearest;
  if (range.direction === 'lower' && candidate > range.nearest) return range.nearest;
  return inRange(range, candidate) ? candidate : undefined;
}

/** `50%` → 0.5. */
export function parsePercent(text: string): number {
  const match = /^(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (!match) throw new Error(`expected a percentage such as 50%, got "${text}"`);
  return Number(match[1]) / 100;
}
