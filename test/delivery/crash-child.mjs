// The kill -9 test's sender: a Deliverer (the built one, dist/) over the ledger named on the command
// line, with the test vendor's receivers, delivering what is due until it is killed. Prints "ready".
//   node crash-child.mjs <sqlite path | postgres url> <schema|-> <vendor url> <routing key> <ticket token>
import { pino } from 'pino';
import { Deliverer } from '../../dist/delivery/deliverer.js';
import { parseLedgerLocation } from '../../dist/ledger/connect.js';
import { Ledger } from '../../dist/ledger/ledger.js';
import { PagerReceiver, TicketReceiver } from './vendor-receivers.mjs';

const [db, schema, url, routingKey, token] = process.argv.slice(2);
const ledger = await Ledger.open(parseLedgerLocation(db, schema === '-' ? undefined : schema));
const receivers = new Map([
  ['pager', new PagerReceiver('pager', url, routingKey)],
  ['tickets', new TicketReceiver('tickets', url, token)],
]);
const deliverer = new Deliverer({
  outbox: ledger.outbox,
  receivers,
  maxAttempts: 20,
  backoff: { initialMs: 1000, maxMs: 300_000 },
  timeoutMs: 10_000,
  rateOf: () => ({ perSecond: 1000, burst: 1000 }),
  concurrency: 1,
  now: Date.now,
  random: Math.random,
  log: pino({ level: 'silent' }),
});
process.stdout.write('ready\n');
for (;;) {
  const pass = await deliverer.runOnce();
  if (pass.delivered + pass.retried + pass.dead === 0) await new Promise((resolve) => setTimeout(resolve, 20));
}
