import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * A receiver's secret (a token, a routing key, a webhook URL, a password), named in the config by where
 * it is (`env:NAME` or `file:/path`), never by its value. The config holds the Secret object: logging or
 * serializing it shows the reference, and only reveal() gives the value, once it has been resolved at
 * load (resolveSecrets).
 */
export class Secret {
  #value: string | undefined;

  constructor(readonly ref: string) {}

  get resolved(): boolean {
    return this.#value !== undefined;
  }

  /** The value; only the receivers' transports call it. */
  reveal(): string {
    if (this.#value === undefined) throw new Error(`secret ${this.ref} was not resolved (resolveSecrets at load)`);
    return this.#value;
  }

  /** Reads the variable or the file; returns why it cannot, never the value. */
  resolve(env: NodeJS.ProcessEnv, readFile: (path: string) => string): string | undefined {
    if (this.#value !== undefined) return undefined;
    let value: string;
    if (this.ref.startsWith('env:')) {
      const name = this.ref.slice(4);
      const text = env[name];
      if (text === undefined || text === '') return `${this.ref}: the environment variable ${name} is not set`;
      value = text;
    } else {
      const path = this.ref.slice(5);
      try {
        // A file written by an editor or `echo` ends with a newline that is not part of the secret.
        value = readFile(path).replace(/\r?\n$/, '');
      } catch (err) {
        return `${this.ref}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
      }
      if (value === '') return `${this.ref}: the file is empty`;
    }
    this.#value = value;
    return undefined;
  }

  toJSON(): string {
    return this.ref;
  }

  toString(): string {
    return this.ref;
  }

  [inspect.custom](): string {
    return `Secret(${this.ref})`;
  }
}

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/;

/** A field that is always a secret: `env:NAME` or `file:/absolute/path`, never the value itself. */
export const SecretRef = z
  .string()
  .regex(SECRET_REF, 'give the secret as env:NAME or file:/absolute/path, never its value in the config file')
  .transform((ref) => new Secret(ref));

/** A field that may hold a secret (a URL with a token in it, a header): a plain value, or env:/file: as for SecretRef. */
export const MaybeSecret = z
  .string()
  .min(1)
  .transform((text) => (SECRET_REF.test(text) ? new Secret(text) : text));
export type MaybeSecret = z.infer<typeof MaybeSecret>;

export function reveal(value: string | Secret): string {
  return typeof value === 'string' ? value : value.reveal();
}

export interface SecretProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Resolves every Secret inside `root` (env variables, files), once: a Secret already resolved is left
 * as it is. Returns a located problem per secret that cannot be had.
 */
export function resolveSecrets(
  root: unknown,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): SecretProblem[] {
  const problems: SecretProblem[] = [];
  for (const { secret, path } of secretsIn(root)) {
    const problem = secret.resolve(env, readFile);
    if (problem !== undefined) problems.push({ path, message: problem });
  }
  return problems;
}

/** Every Secret in a parsed config value, with its path. */
export function secretsIn(root: unknown, path: (string | number)[] = []): { secret: Secret; path: (string | number)[] }[] {
  if (root instanceof Secret) return [{ secret: root, path }];
  if (Array.isArray(root)) return root.flatMap((item, i) => secretsIn(item, [...path, i]));
  if (root !== null && typeof root === 'object') {
    return Object.entries(root).flatMap(([key, value]) => secretsIn(value, [...path, key]));
  }
  return [];
}

/** Shorter values are not searched for: replacing every "a" in a message would hide more than it protects. */
const MIN_SCRUB_LENGTH = 4;

/** URL parts shorter than this are not secrets of their own (api-version=1); path segments are words below the longer bound (/workflows/). */
const MIN_URL_PART_LENGTH = 8;
const MIN_PATH_SEGMENT_LENGTH = 16;

/**
 * The values of the resolved secrets, to scrub from error messages. A secret that is a URL (a Teams
 * workflow, a webhook with a token) also gives its parts that carry the token, since an error may quote
 * only those: the query values, the user and password, the path and each long path segment.
 */
export function secretValues(secrets: readonly Secret[]): string[] {
  const values: string[] = [];
  for (const secret of secrets) {
    if (!secret.resolved) continue;
    const value = secret.reveal();
    values.push(value);
    if (!/^https?:\/\//i.test(value)) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    const parts = [url.username, url.password, url.pathname + url.search, url.search.slice(1), ...url.searchParams.values()];
    const segments = url.pathname.split('/').filter((segment) => segment.length >= MIN_PATH_SEGMENT_LENGTH);
    values.push(...[...parts, ...segments].map(decodeURIComponentSafe).filter((part) => part.length >= MIN_URL_PART_LENGTH));
  }
  // Longest first, so a whole value is replaced before a part of it.
  return [...new Set(values)].sort((a, b) => b.length - a.length);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Replaces every secret value in `text`, its URL-encoded form (a token in a query string) and its
 * base64 form (HTTP basic auth), with `[redacted]`.
 */
export function scrubSecrets(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values) {
    if (value.length < MIN_SCRUB_LENGTH) continue;
    for (const form of new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])) out = out.split(form).join('[redacted]');
  }
  return out;
}
