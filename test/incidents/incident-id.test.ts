import { describe, expect, it } from 'vitest';
import { incidentId } from '../../src/incidents/index.js';

describe('incidentId', () => {
  it('is inc- and 24 hex digits, the same for the same input', () => {
    const id = incidentId('beacon', '["web-1"]', 1_000);
    expect(id).toMatch(/^inc-[0-9a-f]{24}$/);
    expect(incidentId('beacon', '["web-1"]', 1_000)).toBe(id);
  });

  it('changes with each part', () => {
    const ids = new Set([
      incidentId('beacon', '["web-1"]', 1_000),
      incidentId('beacon2', '["web-1"]', 1_000),
      incidentId('beacon', '["web-2"]', 1_000),
      incidentId('beacon', '["web-1"]', 1_001),
    ]);
    expect(ids.size).toBe(4);
  });

  it('cannot be confused by separators inside the parts', () => {
    expect(incidentId('a', 'b\u0000c', 1)).not.toBe(incidentId('a\u0000b', 'c', 1));
    expect(incidentId('a', '1', 2)).not.toBe(incidentId('a', '', 12));
  });
});
