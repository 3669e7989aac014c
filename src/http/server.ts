import Fastify, { type FastifyInstance } from 'fastify';
import type { WorkerMetrics } from '../metrics/metrics.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: WorkerMetrics;
  /** True while the worker can take input (readiness, not liveness). */
  readonly ready: () => boolean;
  /**
   * With it, /metrics answers only requests it accepts (401 otherwise), given their Authorization
   * header: config `metrics.requireToken`, checked against the API's tokens.
   */
  readonly authorizeMetrics?: (authorization: string | undefined) => boolean | Promise<boolean>;
}

/** The worker's HTTP surface: liveness, readiness and Prometheus metrics. */
export async function startHttpServer(options: HttpOptions): Promise<{ server: FastifyInstance; url: string }> {
  const server = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  server.get('/metrics', async (req, reply) => {
    if (options.authorizeMetrics && !(await options.authorizeMetrics(req.headers.authorization))) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="alertgate"').send({ error: 'a valid API token is required (metrics.requireToken)' });
    }
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  const url = await server.listen({ host: options.host, port: options.port });
  return { server, url };
}
