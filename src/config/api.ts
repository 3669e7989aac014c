import { z } from 'zod';

/** What a person's token may do; each role includes the ones before it. */
export const ROLES = ['viewer', 'analyst', 'engineer'] as const;
/**
 * `ingest` is a machine's role, outside that order: it may send alerts (POST /ingest) and nothing else,
 * and only it may (a forwarder's token reads no incidents; a person's token feeds no input).
 */
export const Role = z.enum([...ROLES, 'ingest']);
export type Role = z.infer<typeof Role>;

/**
 * One API token. Give the secret itself (`token`, at least 16 characters) or, so that the config file
 * holds no secret, its SHA-256 in hex (`sha256`).
 */
export const ApiToken = z
  .object({
    /** Who holds it: named in logs and in the feedback's source, never the token itself. */
    name: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'use letters, digits, ".", "_", "@" or "-"'),
    role: Role,
    token: z.string().min(16, 'a token needs at least 16 characters').max(512).optional(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits').optional(),
  })
  .strict()
  .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), { message: 'give either token or sha256' });
export type ApiToken = z.infer<typeof ApiToken>;

/** The `api` section: the worker's incident, feedback, rules and tuning routes (docs/api.md). */
export const ApiConfig = z
  .object({
    tokens: z.array(ApiToken).default([]),
    /** Largest request body accepted (413 beyond it). */
    bodyLimitBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  })
  .strict()
  .superRefine((api, ctx) => {
    const seen = new Set<string>();
    api.tokens.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', message: `duplicate token name "${t.name}"`, path: ['tokens', i, 'name'] });
      seen.add(t.name);
    });
  });
export type ApiConfig = z.infer<typeof ApiConfig>;
