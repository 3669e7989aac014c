import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleRoutes } from '../../src/http/rule-routes.js';
import type { ApiContext } from '../../src/http/route.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'multi-tenant', 'rules');

describe('GET /rules with per-tenant rules', () => {
  it('names the tenant of each tenant rule and exception, null for shared ones, and the tenancy', async () => {
    const ruleset = await loadRulesOrThrow(EXAMPLE);
    const route = ruleRoutes.find((r) => r.method === 'GET' && r.path === '/rules')!;
    const reply = await route.handle({ params: {}, query: {}, body: undefined } as never, { rules: () => ruleset } as unknown as ApiContext);
    const body = reply.body as { rules: { id: string; tenant: string | null }[]; exceptions: { id: string; tenant: string | null }[]; tenancy: unknown };
    const tenantOf = Object.fromEntries([...body.rules, ...body.exceptions].map((r) => [r.id, r.tenant]));
    expect(tenantOf).toMatchObject({
      'acme-vpn-brute-force': 'acme',
      'acme-scanner': 'acme',
      'globex-crown-jewels': 'globex',
      'auth-brute-force': null,
      'high-severity-alert': null,
    });
    expect(body.tenancy).toEqual({ field: 'entities.tenant', tenants: ['acme', 'globex'] });
  });
});
