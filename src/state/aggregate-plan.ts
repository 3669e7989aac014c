export const AGGREGATE_KINDS = ['count', 'distinct', 'sum'] as const;
export type AggregateKind = (typeof AGGREGATE_KINDS)[number];

/** One event's input for one aggregate: the value to tell apart (distinct) or to add (sum). */
export type AggregateValue = string | number | undefined;

/** One aggregate of a window: its kind and, for an approximate distinct count, the HyperLogLog precision. */
export interface AggregateShape {
  readonly kind: AggregateKind;
  /** Set: an approximate distinct count (docs/rules.md, "Approximate distinct counts"). */
  readonly approximate?: { readonly precision: number } | undefined;
}

/**
 * Where each aggregate of a store keeps its per-event value. Events store one "row" of values,
 * laid out by column: sum columns first, then distinct columns; count needs no column (-1).
 * Built once per store so the per-event code is plain index arithmetic.
 */
export class AggregatePlan {
  readonly kinds: readonly AggregateKind[];
  /**
   * Per distinct column (indexed from 0 for column sumColumns): the HyperLogLog precision of an
   * approximate distinct count, or 0 for an exact one.
   */
  readonly precisions: readonly number[];
  /** Per aggregate: its column in an event's value row, or -1 for count. */
  readonly columns: readonly number[];
  /** Per column: the aggregate whose input fills it. */
  private readonly sources: readonly number[];
  readonly sumColumns: number;
  /** Values stored per event: sumColumns + the number of distinct aggregates. */
  readonly stride: number;

  constructor(aggregates: readonly AggregateShape[]) {
    const kinds = aggregates.map((a) => a.kind);
    this.kinds = kinds;
    const sums = indicesOf(kinds, 'sum');
    const distincts = indicesOf(kinds, 'distinct');
    this.precisions = distincts.map((i) => aggregates[i]!.approximate?.precision ?? 0);
    this.sources = [...sums, ...distincts];
    this.sumColumns = sums.length;
    this.stride = this.sources.length;
    this.columns = kinds.map((_, i) => this.sources.indexOf(i));
  }

  /** The input of aggregate `sources[column]` as it is stored: sums keep a number, distincts the raw value. */
  cell(values: readonly AggregateValue[], column: number): AggregateValue {
    const value = values[this.sources[column]!];
    return column < this.sumColumns ? addend(value) : value;
  }

  /** One event's value row, sized exactly (a push-grown array would reserve 17 slots). */
  row(values: readonly AggregateValue[]): AggregateValue[] {
    const row = new Array<AggregateValue>(this.stride);
    for (let c = 0; c < this.stride; c++) row[c] = this.cell(values, c);
    return row;
  }

  /** The aggregates of a window holding only this one event. */
  writeLone(values: readonly AggregateValue[], out: Float64Array): void {
    for (let i = 0; i < this.kinds.length; i++) {
      const c = this.columns[i]!;
      const cell = c < 0 ? undefined : this.cell(values, c);
      out[i] = c < 0 ? 1 : c < this.sumColumns ? (cell as number) : cell === undefined ? 0 : 1;
    }
  }
}

/** A sum adds only finite numbers; anything else adds 0 (the event still counts). */
function addend(value: AggregateValue): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function indicesOf(kinds: readonly AggregateKind[], kind: AggregateKind): number[] {
  const indices: number[] = [];
  kinds.forEach((k, i) => {
    if (k === kind) indices.push(i);
  });
  return indices;
}
