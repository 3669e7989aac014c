import type { LedgerContext } from './case-store.js';
import { LeaseRow } from './rows.js';

/** A lease held: its fencing token rises with every new holder. */
export interface HeldLease {
  readonly token: number;
  readonly expiresAtMs: number;
}

/**
 * Named leases in the ledger: one worker at a time holds `delivery` and sends notifications (and runs
 * escalation); the others wait and take over once it has not renewed for its time to live. A lease is
 * a row: taking it is a transaction that finds it free, expired or already ours.
 */
export class Leases {
  constructor(private readonly ctx: LedgerContext) {}

  /** Takes or renews `name` for `holder` for `ttlMs`; undefined while another holder's lease runs. */
  async acquire(name: string, holder: string, ttlMs: number): Promise<HeldLease | undefined> {
    const now = this.ctx.now();
    const expiresAtMs = now + ttlMs;
    return this.ctx.db.transaction().execute(async (trx) => {
      // Concurrent first takers: the unique name lets one insert; the other finds its row below.
      await trx.insertInto('leases').values({ name, holder, token: 1, expires_at_ms: expiresAtMs }).onConflict((oc) => oc.column('name').doNothing()).execute();
      let query = trx.selectFrom('leases').selectAll().where('name', '=', name);
      if (this.ctx.backend === 'postgres') query = query.forUpdate();
      const row = LeaseRow.parse(await query.executeTakeFirstOrThrow());
      if (row.holder !== holder && row.expires_at_ms > now) return undefined;
      const token = row.holder === holder ? row.token : row.token + 1;
      await trx.updateTable('leases').set({ holder, token, expires_at_ms: expiresAtMs }).where('name', '=', name).execute();
      return { token, expiresAtMs };
    });
  }

  /** Gives the lease up at once (a clean stop), if `holder` has it. */
  async release(name: string, holder: string): Promise<void> {
    await this.ctx.db.updateTable('leases').set({ expires_at_ms: 0 }).where('name', '=', name).where('holder', '=', holder).execute();
  }

  async current(name: string): Promise<{ holder: string; token: number; expiresAtMs: number } | undefined> {
    const row = await this.ctx.db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return undefined;
    const lease = LeaseRow.parse(row);
    return { holder: lease.holder, token: lease.token, expiresAtMs: lease.expires_at_ms };
  }
}
