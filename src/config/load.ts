import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { Config } from './schema.js';

/** Environment variables and the config field each sets; they override the file. */
export const ENV_VARS: Readonly<Record<string, { path: readonly string[]; type: 'string' | 'number' | 'boolean' }>> = {
  ALERTGATE_RULES: { path: ['rules'], type: 'string' },
  ALERTGATE_INPUT: { path: ['input', 'path'], type: 'string' },
  ALERTGATE_INPUT_FORMAT: { path: ['input', 'format'], type: 'string' },
  ALERTGATE_INPUT_MAPPING: { path: ['input', 'mapping'], type: 'string' },
  ALERTGATE_INPUT_ON_END: { path: ['input', 'onEnd'], type: 'string' },
  ALERTGATE_DECISIONS: { path: ['outputs', 'decisions'], type: 'string' },
  ALERTGATE_INCIDENTS: { path: ['outputs', 'incidents'], type: 'string' },
  ALERTGATE_DEAD_LETTERS: { path: ['outputs', 'deadLetters'], type: 'string' },
  ALERTGATE_HTTP_ENABLED: { path: ['http', 'enabled'], type: 'boolean' },
  ALERTGATE_HTTP_HOST: { path: ['http', 'host'], type: 'string' },
  ALERTGATE_HTTP_PORT: { path: ['http', 'port'], type: 'number' },
  ALERTGATE_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the optional YAML/JSON file, applies ALERTGATE_* variables, validates; errors name file or variable and field. */
export async function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const raw = file ? await readConfigFile(file) : {};
  const origin = new Map<string, string>();
  for (const [name, { path, type }] of Object.entries(ENV_VARS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    setIn(raw, path, coerce(name, text, type));
    origin.set(path.join('.'), name);
  }
  const parsed = Config.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.join('.');
    const where = origin.get(field) ?? (file ? `${file}: /${issue.path.join('/')}` : `/${issue.path.join('/')}`);
    return `${where}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new ConfigError(`${file}: line ${err.linePos?.[0].line ?? '?'}: ${err.message.split('\n')[0]}`);
  }
  const value: unknown = doc.toJS() ?? {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${file}: expected a mapping at the top level`);
  return value as Record<string, unknown>;
}

function coerce(name: string, text: string, type: 'string' | 'number' | 'boolean'): unknown {
  if (type === 'string') return text;
  if (type === 'number') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got "${text}"`);
    return n;
  }
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${name}: expected true or false, got "${text}"`);
}

function setIn(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
