import Fastify, { type FastifyInstance } from 'fastify';
import type { WorkerMetrics } from '../metrics/metrics.js';

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: WorkerMetrics;
  /** True while the worker can take input (readiness, not liveness). */
  readonly ready: () => boolean;
}

/** The worker's HTTP surface: liveness, readiness and Prometheus metrics. */
export async function startHttpServer(options: HttpOptions): Promise<{ server: FastifyInstance; url: string }> {
  const server = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  server.get('/metrics', async (_req, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });
  const url = await server.listen({ host: options.host, port: options.port });
  return { server, url };
}
