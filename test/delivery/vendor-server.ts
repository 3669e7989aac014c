import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the vendor accepted, in arrival order. */
export interface VendorEvent {
  readonly api: 'pager' | 'tickets';
  /** The pager service (its routing key's position in the vendor's keys); 0 for tickets. */
  readonly service: number;
  /** The case it is about (dedup_key, or the ticket's label). */
  readonly caseId: string;
  readonly action: string;
  readonly notification: string;
}

/**
 * A stand-in for PagerDuty and Jira on loopback: a real HTTP server with the behaviour delivery must
 * cope with. Pager: one incident per dedup_key, a trigger of an open incident is deduplicated (no second
 * page). Tickets: created, found by label, commented, transitioned. It can be taken down (the port
 * refuses connections), answer 503, or throttle (429 with Retry-After), and it counts what people would
 * have seen: pages, tickets, and duplicates of either.
 */
export class VendorServer {
  /** Accepted requests, in order. */
  readonly events: VendorEvent[] = [];
  /** Pages raised (a trigger of a dedup_key with no open incident). */
  pages = 0;
  /** Triggers the vendor deduplicated (an open incident had the dedup_key). */
  deduplicated = 0;
  /** Lookups by label that found a ticket (a sender finding what it made before it crashed). */
  lookupsFound = 0;
  /** Tickets by label. */
  readonly tickets = new Map<string, string[]>();
  /** Requests answered, by status. */
  readonly statuses = new Map<number, number>();
  /** 503 to everything while true. */
  failing = false;
  /** The next n requests get 429 with this Retry-After (seconds). */
  private throttle = { remaining: 0, retryAfterS: 0 };
  /** Called with each request before it is handled (the kill -9 test kills the sender here). */
  onRequest: ((api: string, body: Record<string, unknown>) => void | Promise<void>) | undefined;
  /** The routing keys of its pager services and the token the ticket API wants. */
  readonly secrets: { routingKeys: readonly string[]; token: string };
  private readonly open = new Set<string>();
  private server: Server;
  private port = 0;

  constructor(secrets: { routingKeys: readonly string[]; token: string }) {
    this.secrets = secrets;
    this.server = this.create();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Down: the port refuses connections (as a vendor outage looks from here). */
  async down(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.server = this.create();
  }

  /** Back on the same port. */
  async up(): Promise<void> {
    await this.start();
  }

  throttleNext(requests: number, retryAfterS: number): void {
    this.throttle = { remaining: requests, retryAfterS };
  }

  /** Pages beyond one per (service, case): a person paged twice for one case. */
  duplicatePages(): number {
    const paged = new Set(this.events.filter((e) => e.api === 'pager' && e.action === 'trigger').map((e) => `${e.service}:${e.caseId}`));
    return this.pages - paged.size;
  }

  /** Cases with more than one ticket: tickets people would see twice. */
  duplicateTickets(): number {
    return [...this.tickets.values()].reduce((n, keys) => n + Math.max(0, keys.length - 1), 0);
  }

  /** Actions per case, in the order the vendor took them (of one pager service, or the tickets). */
  actionsByCase(api: VendorEvent['api'], service = 0): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const e of this.events) if (e.api === api && e.service === service) out.set(e.caseId, [...(out.get(e.caseId) ?? []), e.action]);
    return out;
  }

  /** Notifications the vendor took more than once (a message or call people would see twice). */
  repeatedNotifications(): number {
    const seen = new Map<string, number>();
    for (const e of this.events) seen.set(e.notification, (seen.get(e.notification) ?? 0) + 1);
    return [...seen.values()].reduce((n, c) => n + c - 1, 0);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private create(): Server {
    return createServer((req, res) => {
      void this.handle(req, res).catch((err: Error) => this.answer(res, 500, { error: err.message }));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://vendor');
    const api = url.pathname.startsWith('/pager') ? 'pager' : 'tickets';
    await this.onRequest?.(api, body);
    if (this.failing) return this.answer(res, 503, { error: 'service unavailable' });
    if (this.throttle.remaining > 0) {
      this.throttle.remaining--;
      res.setHeader('retry-after', String(this.throttle.retryAfterS));
      return this.answer(res, 429, { error: 'rate limited' });
    }
    if (api === 'pager') return this.pager(body, res);
    if (req.headers.authorization !== `Bearer ${this.secrets.token}`) return this.answer(res, 401, { error: 'bad token' });
    return this.ticketsApi(req.method ?? 'GET', url, body, res);
  }

  private pager(body: Record<string, unknown>, res: ServerResponse): void {
    const dedup = String(body.dedup_key);
    const action = String(body.event_action);
    const service = this.secrets.routingKeys.indexOf(String(body.routing_key));
    // Like the real Events API, a wrong key is a 400 whose message repeats what was sent.
    if (service < 0) return this.answer(res, 400, { status: 'invalid event', message: `unknown routing_key ${String(body.routing_key)}` });
    // Each service (routing key) has its own incidents.
    const incident = `${service}\u0000${dedup}`;
    if (action === 'trigger') {
      if (this.open.has(incident)) this.deduplicated++;
      else {
        this.open.add(incident);
        this.pages++;
      }
    } else if (action === 'resolve') this.open.delete(incident);
    this.events.push({ api: 'pager', service, caseId: dedup, action, notification: String(body.notification) });
    this.answer(res, 202, { status: 'success', dedup_key: dedup });
  }

  private ticketsApi(method: string, url: URL, body: Record<string, unknown>, res: ServerResponse): void {
    if (method === 'GET') {
      const label = url.searchParams.get('label') ?? '';
      if ((this.tickets.get(label) ?? []).length > 0) this.lookupsFound++;
      return this.answer(res, 200, { tickets: (this.tickets.get(label) ?? []).map((key) => ({ key })) });
    }
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts.length === 1) {
      const label = String(body.label);
      const keys = this.tickets.get(label) ?? [];
      const key = `SEC-${[...this.tickets.values()].reduce((n, k) => n + k.length, 0) + 1}`;
      this.tickets.set(label, [...keys, key]);
      this.events.push({ api: 'tickets', service: 0, caseId: label, action: 'create', notification: String(body.notification) });
      return this.answer(res, 201, { key });
    }
    const key = parts[1]!;
    const label = [...this.tickets].find(([, keys]) => keys.includes(key))?.[0];
    if (label === undefined) return this.answer(res, 404, { error: `no ticket ${key}` });
    this.events.push({ api: 'tickets', service: 0, caseId: label, action: parts[2] === 'comments' ? 'comment' : 'transition', notification: String(body.notification) });
    this.answer(res, parts[2] === 'comments' ? 201 : 204, {});
  }

  private answer(res: ServerResponse, status: number, body: unknown): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 204 ? undefined : JSON.stringify(body));
  }
}
