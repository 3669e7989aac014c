import { createHash, timingSafeEqual } from 'node:crypto';
import { ROLES, type ApiToken, type Role } from '../config/api.js';

/** Who a request is: a token's name and role. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

export type Authentication = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly reason: 'missing' | 'invalid' };

/** Each person's role includes the ones before it (an engineer may do what an analyst may); `ingest` allows only itself. */
export function allows(role: Role, required: Role): boolean {
  if (role === 'ingest' || required === 'ingest') return role === required;
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens. Only SHA-256 digests are
 * held, and the presented token's digest is compared with every one of them in constant time
 * (timingSafeEqual, no early exit), so neither the response time nor a memory dump gives a token away.
 */
export class TokenAuthority {
  private readonly tokens: readonly { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly ApiToken[]) {
    this.tokens = tokens.map((t) => ({
      digest: t.sha256 !== undefined ? Buffer.from(t.sha256, 'hex') : sha256(t.token!),
      principal: { name: t.name, role: t.role },
    }));
  }

  get configured(): boolean {
    return this.tokens.length > 0;
  }

  authenticate(header: string | undefined): Authentication {
    const token = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (token === undefined) return { ok: false, reason: 'missing' };
    const presented = sha256(token);
    let match: Principal | undefined;
    for (const t of this.tokens) {
      if (timingSafeEqual(presented, t.digest) && match === undefined) match = t.principal;
    }
    return match ? { ok: true, principal: match } : { ok: false, reason: 'invalid' };
  }
}
