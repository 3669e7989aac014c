import { rule } from '../helpers.js';

/** A rules directory with one windowed rule: `burst` promotes from `minCount` (10) alerts on one host in 5 minutes. */
export const BURST_RULES = {
  'burst.yaml': rule({
    id: 'burst',
    params: { minCount: { value: 10, min: 2, max: 100, step: 1 } },
    match: { all: [] },
    window: { groupBy: ['entities.host'], size: '5m' },
    aggregates: { hits: { kind: 'count' } },
    conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
  }),
};
