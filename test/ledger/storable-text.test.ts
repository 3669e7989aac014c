import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { refusedAsData, StorableText } from '../../src/ledger/storable-text.js';
import { postgresUrl } from './backends.js';

describe('text the ledger can store', () => {
  it('refuses NUL and lone surrogates, naming which; takes any other Unicode, pairs (emoji) included', () => {
    expect(StorableText.safeParse('nul \u0000').error?.issues.map((i) => i.message)).toEqual(['must not contain NUL (\\u0000): the ledger cannot store it']);
    for (const lone of ['a\ud800', '\udc00b', 'x\udbff\udbffy']) expect(StorableText.safeParse(lone).error?.issues[0]?.message).toMatch(/lone UTF-16 surrogate/);
    for (const fine of ['', 'tab\tnew\nline', 'emoji 🚨', 'العربية', '\u0001\u007f']) expect(StorableText.safeParse(fine).success).toBe(true);
  });

  it.skipIf(!postgresUrl())('tells a write PostgreSQL refuses for its data (NUL) from a database that cannot be reached', async () => {
    const client = new pg.Client({ connectionString: postgresUrl()! });
    await client.connect();
    const refused = await client.query('select $1::text', ['nul \u0000']).catch((err: unknown) => err);
    await client.end();
    expect(refusedAsData(refused)).toBe(true);
    const unreachable = await new pg.Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 }).connect().catch((err: unknown) => err);
    expect(refusedAsData(unreachable)).toBe(false);
  });
});
