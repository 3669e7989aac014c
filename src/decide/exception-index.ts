import type { CanonicalAlert } from '../normalize/alert.js';
import type { CompiledException } from '../rules/ruleset.js';

/**
 * Exceptions looked up by what they require (a name, or the first entity's values), so an alert is
 * matched against the few that can match it rather than all of them (a tuner's run may check thousands
 * of proposed exceptions). The first that matches in `order` (the rule set's: id order) wins.
 */
export class ExceptionIndex {
  private readonly byName = new Map<string, CompiledException[]>();
  private readonly byEntity = new Map<string, Map<string, CompiledException[]>>();
  private readonly rest: CompiledException[] = [];
  /** No exceptions at all (most rule sets): first() answers at once. */
  private readonly empty: boolean;

  constructor(
    exceptions: readonly CompiledException[],
    private readonly order: ReadonlyMap<CompiledException, number> = new Map(exceptions.map((e, i) => [e, i])),
  ) {
    this.empty = exceptions.length === 0;
    const listed = (v: string | readonly string[]) => (typeof v === 'string' ? [v] : v);
    const add = (map: Map<string, CompiledException[]>, value: string, e: CompiledException) => {
      const list = map.get(value);
      if (list) list.push(e);
      else map.set(value, [e]);
    };
    for (const e of exceptions) {
      const { name, entities } = e.exception.match;
      const entity = entities && Object.entries(entities)[0];
      if (name !== undefined) for (const n of listed(name)) add(this.byName, n, e);
      else if (entity) {
        let byValue = this.byEntity.get(entity[0]);
        if (!byValue) this.byEntity.set(entity[0], (byValue = new Map()));
        for (const v of listed(entity[1])) add(byValue, v, e);
      } else this.rest.push(e);
    }
  }

  /** The first exception in order that silences the alert at its time (unexpired and matching). */
  first(alert: CanonicalAlert, timeMs: number): CompiledException | undefined {
    if (this.empty) return undefined;
    let best = this.scan(this.byName.get(alert.name), alert, timeMs, undefined);
    for (const [kind, byValue] of this.byEntity) {
      const value = alert.entities[kind];
      if (value !== undefined) best = this.scan(byValue.get(value), alert, timeMs, best);
    }
    return this.scan(this.rest, alert, timeMs, best);
  }

  private scan(list: readonly CompiledException[] | undefined, alert: CanonicalAlert, timeMs: number, best: CompiledException | undefined): CompiledException | undefined {
    if (list === undefined) return best;
    for (const e of list) {
      if (best !== undefined && this.order.get(e)! > this.order.get(best)!) continue;
      if (timeMs < e.expiresMs && e.matches(alert)) best = e;
    }
    return best;
  }
}
