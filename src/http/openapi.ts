import { z } from 'zod';
import { ErrorBody } from './api-error.js';
import type { Route } from './route.js';

type Json = Record<string, unknown>;

/** The API's version: bump it when a route or schema changes incompatibly. */
const API_VERSION = '1.0.0';

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return json;
}

const json = (schema: Json) => ({ 'application/json': { schema } });

/** Routes that need no token, described by hand (they are not API routes). */
const OPEN_PATHS: Json = {
  '/healthz': { get: { summary: 'Liveness: 200 while the process runs.', tags: ['health'], responses: { 200: { description: 'alive', content: json({ type: 'object', properties: { status: { const: 'ok' } } }) } } } },
  '/readyz': {
    get: {
      summary: 'Readiness: 200 while the worker takes input, 503 otherwise.',
      tags: ['health'],
      responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics (text format). Needs a token when metrics.requireToken is true.',
      tags: ['health'],
      responses: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, 401: { description: 'metrics.requireToken and no valid token' } },
    },
  },
  '/openapi.json': { get: { summary: 'This document.', tags: ['health'], responses: { 200: { description: 'the OpenAPI document' } } } },
};

/**
 * The OpenAPI 3.1 document of the API, generated from the routes' zod schemas (JSON Schema 2020-12,
 * which OpenAPI 3.1 uses as it is). docs/openapi.json is a copy that a test keeps current.
 */
export function openApiDocument(routes: readonly Route[]): Json {
  const errors = schemaOf(ErrorBody, 'output');
  const paths = { ...OPEN_PATHS } as Record<string, Json>;
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters = [
      ...Object.entries(route.params.shape).map(([name, s]) => ({ name, in: 'path', required: true, schema: schemaOf(s as z.ZodType, 'input') })),
      ...Object.entries(route.query.shape).map(([name, s]) => {
        const schema = schemaOf(s as z.ZodType, 'input');
        return { name, in: 'query', required: !(s as z.ZodType).safeParse(undefined).success, schema, ...(schema.description ? { description: schema.description } : {}) };
      }),
    ];
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const content = { ...(r.schema ? json(schemaOf(r.schema, 'output')) : {}), ...Object.fromEntries((r.text ?? []).map((type) => [type, { schema: { type: 'string' } }])) };
      const headers = r.headers && Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'integer' } }]));
      responses[status] = { description: r.description, ...(headers ? { headers } : {}), ...(Object.keys(content).length > 0 ? { content } : {}) };
    }
    responses['401'] ??= { description: 'no token, or not a valid one', content: json(errors) };
    responses['403'] ??= { description: route.role === 'ingest' ? 'the token is not an ingest token' : `the token's role is below ${route.role}`, content: json(errors) };
    const rawBody = route.rawBody && Object.fromEntries(Object.entries(route.rawBody.types).map(([type, schema]) => [type, { schema: schemaOf(schema, 'input') }]));
    paths[path] ??= {};
    paths[path]![route.method.toLowerCase()] = {
      summary: route.summary,
      tags: [route.path.split('/')[1]!],
      security: [{ bearer: [] }],
      'x-alertgate-role': route.role,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: json(schemaOf(route.body, 'input')) } } : {}),
      ...(rawBody ? { requestBody: { required: true, content: rawBody } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'alertgate worker API',
      version: API_VERSION,
      description:
        'Incidents, analyst feedback, rules and tuning of a running alertgate worker, and its HTTP input. Roles: viewer (read), analyst (+ feedback), engineer (+ rule reload, tuning apply and revert); ingest (POST /ingest only, a machine\'s role). docs/api.md.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (api.tokens, ALERTGATE_API_TOKENS)' } } },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}
