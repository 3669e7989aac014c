/**
 * A fake of a vendor's API for the receiver tests: a real HTTP server on loopback that keeps state
 * (the messages, events, issues it was sent) and records every request. failNext() makes the next
 * requests fail with a given answer (a 429 with Retry-After, a 503, a 400) before the fake serves again.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON, a string as it is, undefined as no body. */
  readonly body?: unknown;
}

export interface FakeServer {
  readonly url: string;
  /** Every request that reached the fake, in order. */
  readonly requests: Recorded[];
  /** The next `times` requests (to `path`, if given) get `reply` instead of being served. */
  failNext(reply: Reply, options?: { times?: number; path?: string }): void;
  close(): Promise<void>;
}

export async function startFake(handle: (request: Recorded) => Reply): Promise<FakeServer> {
  const requests: Recorded[] = [];
  const failures: { reply: Reply; path: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const recorded: Recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      let reply: Reply;
      try {
        const failure = failures.findIndex((f) => f.path === undefined || f.path === recorded.path);
        reply = failure >= 0 ? failures.splice(failure, 1)[0]!.reply : handle(recorded);
      } catch (err) {
        reply = { status: 500, body: { error: String(err) } };
      }
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
      res.writeHead(reply.status, { ...(body === '' ? {} : { 'content-type': type }), ...reply.headers });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(reply, { times = 1, path }: { times?: number; path?: string } = {}) {
      for (let i = 0; i < times; i++) failures.push({ reply, path });
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A form-encoded body (Slack's Web API) as an object. */
export function formOf(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** A loopback URL where nothing listens (a port just released): connecting is refused. */
export async function refusedUrl(path = '/'): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}${path}`;
}
