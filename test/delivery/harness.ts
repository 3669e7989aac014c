import { Writable } from 'node:stream';
import { pino } from 'pino';
import { caseIdOf } from '../../src/cases/case-id.js';
import { DELIVERY_DEFAULTS } from '../../src/config/delivery.js';
import { Deliverer } from '../../src/delivery/deliverer.js';
import { parseDuration } from '../../src/state/index.js';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { Escalator } from '../../src/escalation/escalator.js';
import type { CaseChange } from '../../src/ledger/case-store.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Receiver } from '../../src/receivers/receiver.js';
import type { FreshLedger } from '../ledger/backends.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { loadTestEscalation } from '../escalation/fixtures.js';
import { PagerReceiver, TicketReceiver } from './vendor-receivers.mjs';
import { VendorServer } from './vendor-server.js';

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
export const SECRETS = {
  routingKeys: ['R0UTING-KEY-primary-5f2c9d', 'R0UTING-KEY-secondary-88ab1e', 'R0UTING-KEY-fallback-0c3d7a'],
  token: 'jira-api-token-SECRET-7e1f4b2a',
};

/** Critical and high cases page the primary and open a ticket at once, the secondary after 15 minutes. */
export const DELIVERY_ESCALATION = `timezone: UTC
policies:
  - name: page
    match: { severity: [critical, high] }
    levels:
      - notify: [pager, tickets]
      - after: 15m
        notify: [pager-secondary]
  - name: ticket-only
    levels:
      - notify: [tickets]
`;

export interface RigOptions {
  readonly maxAttempts?: number;
  readonly rate?: { perSecond: number; burst: number };
  readonly fallback?: string;
  readonly escalationYaml?: string;
  /** Receivers instead of (or besides) the test vendor's, by name. */
  readonly receivers?: (vendor: VendorServer) => Receiver[];
  readonly holder?: string;
  /** A receiver call's timeout (real time: it bounds a real network call). */
  readonly timeoutMs?: number;
}

/** A seeded [0, 1) generator: the retries' jitter is random, and reproducible. */
export function seeded(seed = 42): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Logs as parsed JSON lines (the secret test reads them). */
export function capturedLogger() {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).trim().split('\n')); done(); } }));
  return { log, lines };
}

/**
 * The delivery stage against the test vendor on loopback, on a ledger, with a clock the test moves:
 * the real Escalator, Deliverer and Dispatcher; only time is simulated.
 */
export async function deliveryRig(fresh: FreshLedger, options: RigOptions = {}) {
  let clock = T0;
  const now = () => clock;
  const ledger = await fresh({ now });
  const vendor = await new VendorServer(SECRETS).start();
  const own: Receiver[] = [
    new PagerReceiver('pager', vendor.url, SECRETS.routingKeys[0]!),
    new PagerReceiver('pager-secondary', vendor.url, SECRETS.routingKeys[1]!),
    new PagerReceiver('fallback-pager', vendor.url, SECRETS.routingKeys[2]!),
    new TicketReceiver('tickets', vendor.url, SECRETS.token),
  ];
  const extra = options.receivers?.(vendor) ?? [];
  const receivers = new Map<string, Receiver>([...own, ...extra].map((r) => [r.name, r]));
  const changes: CaseChange[] = [];
  const { log, lines } = capturedLogger();
  const escalation = await loadTestEscalation(options.escalationYaml ?? DELIVERY_ESCALATION);
  const escalator = new Escalator({ cases: ledger.cases, escalation, now, onChanges: (c) => changes.push(...c) });
  const deliverer = new Deliverer({
    outbox: ledger.outbox,
    receivers,
    // The configuration's defaults (delivery.maxAttempts, delivery.backoff).
    maxAttempts: options.maxAttempts ?? DELIVERY_DEFAULTS.maxAttempts,
    backoff: { initialMs: parseDuration(DELIVERY_DEFAULTS.backoff.initial), maxMs: parseDuration(DELIVERY_DEFAULTS.backoff.max) },
    timeoutMs: options.timeoutMs ?? 10_000,
    rateOf: () => options.rate ?? { perSecond: 1000, burst: 1000 },
    fallback: options.fallback,
    concurrency: 4,
    now,
    random: seeded(),
    log,
    onChanges: (c) => changes.push(...c),
  });
  const dispatcher = new Dispatcher({ leases: ledger.leases, outbox: ledger.outbox, holder: options.holder ?? 'rig', escalator, deliverer, leaseTtlMs: 24 * 3_600_000, pollMs: 1000, now, log });
  let n = 0;

  return {
    ledger,
    vendor,
    dispatcher,
    escalator,
    deliverer,
    changes,
    logLines: lines,
    now,
    advance(ms: number) {
      clock += ms;
    },
    /** Opens `count` cases (a critical incident each, its own case), due for escalation now. */
    async openCases(count: number, severity: 'critical' | 'high' | 'medium' | 'low' = 'critical'): Promise<string[]> {
      const records = Array.from({ length: count }, () => incidentRecord({ n: ++n, severity, status: 'open' }));
      await ledger.writeBatch({ incidents: records, openings: [], counts: [], source: 'test' }, { escalate: true });
      return records.map((r) => caseIdOf(r.id));
    },
    /** Dispatcher rounds for `ms` of simulated time: after each, the clock jumps to the next retry (at most `stepMs` on). */
    async runFor(ms: number, stepMs = 5_000) {
      const end = clock + ms;
      while (clock < end) {
        await dispatcher.round();
        const next = await ledger.outbox.nextDueMs();
        clock = Math.min(end, Math.max(clock + 1, Math.min(next ?? Infinity, clock + stepMs)));
      }
      await dispatcher.round();
    },
    /** Rounds until nothing is pending (or `maxMs` of simulated time passed). */
    async settle(maxMs = 3_600_000) {
      const end = clock + maxMs;
      for (;;) {
        await dispatcher.round();
        const next = await ledger.outbox.nextDueMs();
        if (next === undefined || clock >= end) return;
        clock = Math.max(clock + 1, next);
      }
    },
    async close() {
      await vendor.close();
    },
  };
}

/** The figures the issue asks for, from the ledger and the vendor. */
export async function figures(ledger: Ledger, vendor: VendorServer) {
  const tally = await ledger.outbox.tally();
  const sum = (k: 'delivered' | 'dead' | 'pending') => tally.reduce((n, t) => n + t[k], 0);
  const notifications = sum('delivered') + sum('dead') + sum('pending');
  return {
    notifications,
    delivered: sum('delivered'),
    deadLettered: sum('dead'),
    // What people would see twice: a second page for a case, a second ticket.
    duplicates: vendor.duplicatePages() + vendor.duplicateTickets(),
    lost: notifications - sum('delivered') - sum('dead'),
    pages: vendor.pages,
    // Sent again after a crash and absorbed by the receiver's idempotency (dedup_key, ticket lookup).
    retransmissions: vendor.repeatedNotifications(),
  };
}
