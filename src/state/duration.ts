const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A whole number and one unit: the only way durations are written (rule files, config, `since`). */
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/**
 * `"500ms" | "30s" | "10m" | "1h" | "7d"` → milliseconds. A whole number and one unit, nothing else:
 * rule files are read by people, and `"1.5h"` or `"90 m"` invites a second guess at what was meant.
 * With `max` (itself a duration), anything longer is refused with a message that names the maximum;
 * without it, anything too large to count in milliseconds exactly (Number.MAX_SAFE_INTEGER).
 */
export function parseDuration(text: string, max?: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) {
    throw new Error(
      `invalid duration ${JSON.stringify(text)}: write a whole number followed by ms, s, m, h or d (e.g. "500ms", "30s", "10m", "1h", "7d")`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (max !== undefined && !(ms <= parseDuration(max))) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: longer than the maximum of ${max}`);
  }
  if (!Number.isSafeInteger(ms)) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: too large to count in milliseconds`);
  }
  return ms;
}

/** Milliseconds as a duration in the largest unit that writes them whole: 300000 → `5m`, 1500 → `1500ms`. */
export function durationText(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0 && ms > 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}
