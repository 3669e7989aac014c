import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CASE_ACTIONS, CASE_STATES, transition, TRANSITIONS, type CaseAction, type CaseState } from '../../src/cases/lifecycle.js';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/cases.md'), 'utf8');

describe('case lifecycle', () => {
  it('is the table docs/cases.md prints', () => {
    const section = DOC.slice(DOC.indexOf('## Lifecycle'), DOC.indexOf('## Detection is not resolution'));
    const rows = [...section.matchAll(/^\| (\w+) \| ([a-z, ]+) \| (\w+|\(unchanged\)) \|$/gm)].map((m) => [m[1], m[2]!.split(', '), m[3] === '(unchanged)' ? undefined : m[3]]).filter(([action]) => action !== 'action');
    expect(rows).toEqual(CASE_ACTIONS.map((a) => [a, [...TRANSITIONS[a].from], TRANSITIONS[a].to]));
  });

  it('has no dead end: every state allows an action, and every state is reached from open', () => {
    for (const state of CASE_STATES) expect(CASE_ACTIONS.some((a) => transition(state, a).ok), state).toBe(true);
    const reached = new Set<CaseState>(['open']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of [...reached]) for (const a of CASE_ACTIONS) {
        const t = transition(s, a);
        if (t.ok && !reached.has(t.to)) reached.add(t.to), (grew = true);
      }
    }
    expect([...reached].sort()).toEqual([...CASE_STATES].sort());
  });

  it('property: any sequence of actions keeps a case in a known state; a refusal names the state and what it allows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CASE_ACTIONS), { maxLength: 40 }), (actions: CaseAction[]) => {
        let state: CaseState = 'open';
        let resolvedOnce = false;
        for (const action of actions) {
          const t = transition(state, action);
          if (!t.ok) {
            expect(t.message).toMatch(new RegExp(`^cannot ${action} a case that is ${state}(?: \\(it is already ${state}\\))?; from ${state} a case can be: [a-z, ]+ \\(docs/cases.md, "Lifecycle"\\)$`));
            continue;
          }
          if (t.to === 'closed') expect(resolvedOnce).toBe(true);
          if (t.to === 'resolved') resolvedOnce = true;
          state = t.to;
          expect(CASE_STATES).toContain(state);
        }
      }),
      { numRuns: 500 },
    );
  });
});
