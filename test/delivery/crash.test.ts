import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeLedger } from '../ledger/backends.js';
import { deliveryRig, figures, SECRETS } from './harness.js';

const ROOT = join(import.meta.dirname, '../..');
const CHILD = join(import.meta.dirname, 'crash-child.mjs');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Starts the sender in a child process and waits until it delivers. */
async function startSender(args: string[]): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    void exited.then(() => reject(new Error(`sender exited early: ${stderr}`)));
  });
  return { child, exited };
}

describeLedger('delivery killed with -9', (fresh, backend) => {
  it.skipIf(!existsSync(join(ROOT, 'dist/delivery/deliverer.js')))(
    'kill -9 between send and record: the sender dies after the vendor took the page (then a ticket), before the outbox recorded it; sent again, no duplicate page or ticket',
    async () => {
      const r = await deliveryRig(fresh);
      cleanups.push(() => r.close());
      const cases = await r.openCases(5);
      await r.escalator.tick();
      const location = r.ledger.location;
      const args = [location.backend === 'sqlite' ? location.path : location.url, location.backend === 'sqlite' ? '-' : location.schema, r.vendor.url, SECRETS.routingKeys[0]!, SECRETS.token];

      // First sender: killed the moment its first page reaches the vendor (the vendor then records it).
      for (const target of ['pager', 'tickets'] as const) {
        const sender = await startSender(args);
        let killed = false;
        r.vendor.onRequest = (api, body) => {
          const creates = api === 'pager' ? body.event_action === 'trigger' : body.label !== undefined;
          if (api === target && creates && !killed) {
            killed = true;
            sender.child.kill('SIGKILL');
          }
        };
        expect(await sender.exited).toBe('SIGKILL');
        r.vendor.onRequest = undefined;
      }
      // Whatever the dead senders did not record is sent again, here.
      await r.settle();
      const result = await figures(r.ledger, r.vendor);
      console.log(`[${backend}] kill -9 between send and record (twice): ${JSON.stringify(result)}`);
      expect(result).toMatchObject({ notifications: 10, delivered: 10, deadLettered: 0, duplicates: 0, lost: 0, pages: 5 });
      // The notifications in flight at the kills were sent again: the page's trigger reached the vendor twice
      // (its dedup_key made it one page), the ticket's lookup found the ticket the dead sender created.
      expect(result.retransmissions).toBe(1);
      expect(r.vendor.deduplicated).toBe(1);
      expect(r.vendor.lookupsFound).toBeGreaterThanOrEqual(1);
      for (const id of cases) expect(r.vendor.tickets.get(id), id).toHaveLength(1);
    },
  );
});
