import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownTables } from '../report/tables.js';
import { logCallsIn, type LogLevel } from './log-calls.js';

const ROOT = join(import.meta.dirname, '../..');

/** kafkajs' own lines pass through with its message (docs/logging.md says so): the one place a message is not a literal. */
const PASS_THROUGH = 'src/kafka/log-creator.ts';

interface DocMessage {
  readonly level: LogLevel;
  readonly msg: string;
  /** Every backticked name in the message's row (and its table's head): the fields it documents. */
  readonly names: ReadonlySet<string>;
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/**
 * The stable messages of docs/logging.md: the table of messages (`level` / `msg`, where `warn / error`
 * pairs with `a` / `b`) and the audit records' (written at info).
 */
function documentedMessages(): DocMessage[] {
  const doc = readFileSync(join(ROOT, 'docs/logging.md'), 'utf8');
  const out: DocMessage[] = [];
  for (const table of markdownTables(doc).filter((t) => t.head[1] === '`msg`')) {
    for (const row of table.rows) {
      const msgs = row[1]!.split(' / ').map((m) => backticked(m).join(''));
      const levels = table.head[0] === 'level' ? row[0]!.split(' / ') : ['info'];
      // The audit table's first column is the `event` field itself.
      const names = new Set([...table.head, ...row].flatMap(backticked).flatMap((n) => n.split(/[^A-Za-z0-9_.]+/)));
      msgs.forEach((msg, i) => out.push({ level: (levels[i] ?? levels[0]) as LogLevel, msg, names }));
    }
  }
  return out;
}

describe('docs/logging.md lists every message the code logs, as the code logs it', () => {
  const calls = logCallsIn(ROOT);
  const documented = documentedMessages();
  const key = (m: { level: string; msg: string | undefined }) => `${m.level} ${m.msg}`;

  it('found the code\'s log calls and the doc\'s tables', () => {
    expect(calls.length).toBeGreaterThan(40);
    expect(documented.length).toBeGreaterThan(40);
  });

  it('every message is a literal, so it can be documented (but kafkajs\' own, passed through)', () => {
    expect(calls.filter((c) => c.msg === undefined && !c.at.startsWith(PASS_THROUGH)).map((c) => c.at)).toEqual([]);
  });

  it('the doc\'s stable messages are exactly the code\'s, level included (they had drifted: "serving /healthz, /readyz and /metrics", "consuming alerts from Kafka", ...)', () => {
    const code = [...new Set(calls.filter((c) => c.msg !== undefined).map(key))].sort();
    const doc = [...new Set(documented.map(key))].sort();
    expect({ inDocNotInCode: doc.filter((m) => !code.includes(m)), inCodeNotInDoc: code.filter((m) => !doc.includes(m)) }).toEqual({ inDocNotInCode: [], inCodeNotInDoc: [] });
  });

  it('every field a call names is in its message\'s row', () => {
    const missing = calls
      .filter((c) => c.msg !== undefined)
      .flatMap((c) => {
        const row = documented.find((d) => key(d) === key(c));
        return row ? c.fields.filter((f) => !row.names.has(f)).map((f) => `${c.at} "${c.msg}": ${f}`) : [];
      });
    expect(missing).toEqual([]);
  });
});
