import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config/api.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import { ApiError, badRequest } from './api-error.js';
import { allows, TokenAuthority, type Principal } from './auth.js';
import { API_ROUTES } from './api-routes.js';
import { openApiDocument } from './openapi.js';
import type { ApiContext, Route } from './route.js';

export { API_ROUTES };

export interface HttpOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: WorkerMetrics;
  /** True while the worker can take input (readiness, not liveness). */
  readonly ready: () => boolean;
  /**
   * The API routes (incidents, feedback, rules, tuning); without it only health and metrics are served.
   * `requireMetricsToken` (config metrics.requireToken): /metrics too needs a token (any role).
   */
  readonly api?:
    | {
        readonly config: ApiConfig;
        readonly context: ApiContext;
        readonly requireMetricsToken?: boolean;
        /** The body limit of the routes that read raw input (POST /ingest: ingest.http.bodyLimitBytes). */
        readonly ingestBodyLimitBytes?: number;
      }
    | undefined;
  /** Where API requests are logged (method, path, status, token name: never the token). */
  readonly log?: Logger | undefined;
}

const DEFAULT_BODY_LIMIT = 64 * 1024;
const DEFAULT_INGEST_BODY_LIMIT = 8 * 1024 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Fastify's own errors (bad JSON, too large, wrong content type) in the API's error shape; `accepted`: the route's media types. */
function fastifyErrorAsApi(error: FastifyError, accepted: readonly string[]): ApiError {
  const status = error.statusCode ?? 500;
  if (status === 413) return new ApiError(413, 'payload_too_large', `request body too large: ${error.message}`);
  if (status === 415) return new ApiError(415, 'unsupported_media_type', `${error.message}; send ${accepted.join(' or ')}`);
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return new ApiError(400, 'invalid_json', `body: invalid JSON: ${error.message}`);
  if (status >= 400 && status < 500) return new ApiError(status, 'bad_request', error.message);
  return new ApiError(500, 'internal', 'internal error (logged)');
}

/**
 * The worker's HTTP surface: /healthz and /readyz (open), /metrics (open unless metrics.requireToken),
 * /openapi.json, and with `api` the routes of docs/api.md behind bearer tokens with roles.
 */
export async function buildHttpServer(options: HttpOptions): Promise<FastifyInstance> {
  const api = options.api;
  const authority = new TokenAuthority(api?.config.tokens ?? []);
  const log = options.log;
  const server = Fastify({ logger: false, bodyLimit: api?.config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT });

  /** Media types of the raw-body routes, by path, for their 415s. */
  const rawTypes = new Map(API_ROUTES.filter((r) => r.rawBody).map((r) => [r.path, Object.keys(r.rawBody!.types)]));
  server.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = error instanceof ApiError ? error : fastifyErrorAsApi(error, rawTypes.get(request.routeOptions.url ?? '') ?? ['application/json']);
    if (answer.status >= 500) log?.error({ err: { message: error.message, stack: error.stack }, method: request.method, url: request.url }, 'API request failed');
    return reply.code(answer.status).send(answer.body());
  });
  server.setNotFoundHandler((request, reply) => {
    const answer = new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(answer.body());
  });

  const authorize = (role: Route['role']) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!authority.configured) {
      throw new ApiError(401, 'unauthorized', 'this worker has no API tokens: configure api.tokens or ALERTGATE_API_TOKENS');
    }
    const result = authority.authenticate(request.headers.authorization);
    if (!result.ok) {
      reply.header('www-authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', result.reason === 'missing' ? 'send an API token: Authorization: Bearer <token>' : 'the token is not valid');
    }
    if (!allows(result.principal.role, role)) {
      throw new ApiError(403, 'forbidden', `this needs the ${role} role; token ${result.principal.name} is ${result.principal.role}`);
    }
    request.principal = result.principal;
  };

  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  server.get('/metrics', { ...(api?.requireMetricsToken ? { onRequest: authorize('viewer') } : {}) }, async (_req, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  if (api) {
    const document = openApiDocument(API_ROUTES);
    server.get('/openapi.json', async () => document);
    // Before the routes: a scope registered later (the raw-body routes) inherits only the hooks added before it.
    server.addHook('onResponse', async (request, reply) => {
      if (!request.routeOptions.url || ['/healthz', '/readyz', '/metrics'].includes(request.routeOptions.url)) return;
      // The path and the token's name only: never headers, bodies or the token.
      log?.info({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, tokenName: request.principal?.name ?? null, ms: Math.round(reply.elapsedTime) }, 'API request');
    });

    const handler = (route: Route) => async (request: FastifyRequest, reply: FastifyReply) => {
      const params = route.params.safeParse(request.params);
      if (!params.success) throw badRequest('params', params.error);
      const query = route.query.safeParse(request.query ?? {});
      if (!query.success) throw badRequest('query', query.error);
      let body: unknown;
      if (route.rawBody) {
        body = { bytes: request.body as Buffer, mediaType: (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() };
      } else if (route.body) {
        const parsed = route.body.safeParse(request.body);
        if (!parsed.success) throw badRequest('body', parsed.error);
        body = parsed.data;
      }
      const answer = await route.handle({ params: params.data, query: query.data, body, principal: request.principal! }, api.context);
      if (answer.type !== undefined) reply.type(answer.type);
      if (answer.headers !== undefined) reply.headers(answer.headers);
      return reply.code(answer.status).send(answer.body);
    };
    for (const route of API_ROUTES) {
      const options = { method: route.method, url: route.path, onRequest: authorize(route.role), handler: handler(route) };
      if (!route.rawBody) {
        server.route(options);
        continue;
      }
      // Raw bodies have parsers of their own, in a scope of their own: the other routes keep parsing JSON.
      const types = Object.keys(route.rawBody.types);
      void server.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser(types, { parseAs: 'buffer' }, (_request, bytes, done) => done(null, bytes));
        scope.route({ ...options, bodyLimit: api.ingestBodyLimitBytes ?? DEFAULT_INGEST_BODY_LIMIT });
      });
    }
    await server.after();
  }
  return server;
}

export async function startHttpServer(options: HttpOptions): Promise<{ server: FastifyInstance; url: string }> {
  const server = await buildHttpServer(options);
  const url = await server.listen({ host: options.host, port: options.port });
  return { server, url };
}
