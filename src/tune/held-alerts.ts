import type { CanonicalAlert } from '../normalize/alert.js';
import type { NormalizeResult } from '../normalize/index.js';

/**
 * The normalized alerts the tuner holds for its runs, kept small (docs/tuning.md, "Cost"): a month of
 * a busy SOC is millions of alerts, each parsed into its own strings. The values that repeat from alert
 * to alert (signatures, sources, severities, categories, entity values, and the raw record's copies of
 * them) are held once and shared, and every alert without tags shares one empty list. Only identity
 * changes: every field keeps its value, so every run decides exactly as on the alerts as read.
 */
export class HeldAlerts {
  private readonly strings = new Map<string, string>();

  /** `result` with its alerts' repeated values shared. */
  hold(result: NormalizeResult): NormalizeResult {
    if (result.ok === false) return result;
    if (result.ok === 'split') return { ...result, parts: result.parts.map((p) => (p.ok ? { ...p, alert: this.alert(p.alert) } : p)) };
    return { ...result, alert: this.alert(result.alert) };
  }

  private alert(alert: CanonicalAlert): CanonicalAlert {
    const entities: Record<string, string> = {};
    for (const kind in alert.entities) entities[kind] = this.shared(alert.entities[kind]!);
    const held: CanonicalAlert = {
      ...alert,
      source: this.shared(alert.source),
      name: this.shared(alert.name),
      severity: this.shared(alert.severity) as CanonicalAlert['severity'],
      category: this.shared(alert.category),
      entities,
      tags: alert.tags.length === 0 ? NO_TAGS : alert.tags.map((t) => this.shared(t)),
    };
    if (alert.raw !== null && typeof alert.raw === 'object' && !Array.isArray(alert.raw)) held.raw = this.raw(alert.raw as Record<string, unknown>, held);
    return held;
  }

  /**
   * The raw record with its top-level strings that the alert's fields already hold (the name, the
   * host, the time) replaced by those: the same values, held once. Other values are kept as read.
   */
  private raw(raw: Readonly<Record<string, unknown>>, alert: CanonicalAlert): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key in raw) {
      const value = raw[key];
      out[key] = typeof value !== 'string' ? value : value === alert.id ? alert.id : value === alert.time ? alert.time : (this.strings.get(value) ?? value);
    }
    return out;
  }

  private shared(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    this.strings.set(value, value);
    return value;
  }
}

/** Shared by every alert without tags; frozen, so a stage that wrote to it would fail loudly. */
const NO_TAGS: string[] = Object.freeze([]) as unknown as string[];
