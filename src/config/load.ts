import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import { resolveReceiverSecrets } from '../receivers/config.js';
import { ConfigError } from './error.js';
import { Config } from './schema.js';
import { yamlValue } from './yaml-value.js';

type EnvType = 'string' | 'number' | 'boolean' | 'list' | 'tokens';

/**
 * Environment variables and the config field each sets; they override the file. A `list` is
 * comma-separated; `tokens` is a comma-separated list of `name:role:token`. Any ALERTGATE_KAFKA_*
 * variable turns the `kafka` section on.
 */
export const ENV_VARS: Readonly<Record<string, { path: readonly string[]; type: EnvType }>> = {
  ALERTGATE_RULES: { path: ['rules'], type: 'string' },
  ALERTGATE_WATCH_RULES: { path: ['watchRules'], type: 'boolean' },
  ALERTGATE_INPUT: { path: ['input', 'path'], type: 'string' },
  ALERTGATE_INPUT_FORMAT: { path: ['input', 'format'], type: 'string' },
  ALERTGATE_INPUT_MAPPING: { path: ['input', 'mapping'], type: 'string' },
  ALERTGATE_INPUT_ON_END: { path: ['input', 'onEnd'], type: 'string' },
  ALERTGATE_DECISIONS: { path: ['outputs', 'decisions'], type: 'string' },
  ALERTGATE_INCIDENTS: { path: ['outputs', 'incidents'], type: 'string' },
  ALERTGATE_DEAD_LETTERS: { path: ['outputs', 'deadLetters'], type: 'string' },
  ALERTGATE_EXPLANATIONS: { path: ['outputs', 'explanations'], type: 'string' },
  ALERTGATE_EXPLANATION_SAMPLE: { path: ['outputs', 'explanationSample'], type: 'number' },
  ALERTGATE_EXPLAIN_RULES: { path: ['outputs', 'explainRules'], type: 'list' },
  ALERTGATE_MAX_FUTURE_SKEW: { path: ['eventTime', 'maxFutureSkew'], type: 'string' },
  ALERTGATE_ON_FUTURE_DATED: { path: ['eventTime', 'onFutureDated'], type: 'string' },
  ALERTGATE_DEDUP_HORIZON: { path: ['dedup', 'horizon'], type: 'string' },
  ALERTGATE_DEDUP_MAX_IDS: { path: ['dedup', 'maxIds'], type: 'number' },
  ALERTGATE_INGEST_HTTP: { path: ['ingest', 'http', 'enabled'], type: 'boolean' },
  ALERTGATE_HTTP_ENABLED: { path: ['http', 'enabled'], type: 'boolean' },
  ALERTGATE_HTTP_HOST: { path: ['http', 'host'], type: 'string' },
  ALERTGATE_HTTP_PORT: { path: ['http', 'port'], type: 'number' },
  ALERTGATE_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  ALERTGATE_RECEIVERS_LINK: { path: ['receivers', 'link'], type: 'string' },
  ALERTGATE_RECEIVERS_CAPTURE: { path: ['receivers', 'capture'], type: 'string' },
  ALERTGATE_LOG_REDACT: { path: ['log', 'redact'], type: 'list' },
  ALERTGATE_LOG_AUDIT_DECISIONS: { path: ['log', 'audit', 'decisions'], type: 'string' },
  ALERTGATE_METRICS_PRECISION_HORIZON: { path: ['metrics', 'precisionHorizon'], type: 'string' },
  ALERTGATE_METRICS_SOURCES: { path: ['metrics', 'sources'], type: 'list' },
  ALERTGATE_METRICS_MAX_FIRST_SEEN_SOURCES: { path: ['metrics', 'maxFirstSeenSources'], type: 'number' },
  ALERTGATE_METRICS_REQUIRE_TOKEN: { path: ['metrics', 'requireToken'], type: 'boolean' },
  ALERTGATE_LEDGER: { path: ['ledger', 'url'], type: 'string' },
  ALERTGATE_LEDGER_SCHEMA: { path: ['ledger', 'schema'], type: 'string' },
  ALERTGATE_API_TOKENS: { path: ['api', 'tokens'], type: 'tokens' },
  ALERTGATE_API_BODY_LIMIT: { path: ['api', 'bodyLimitBytes'], type: 'number' },
  ALERTGATE_TUNING_MIN_VERDICTS: { path: ['tuning', 'minVerdicts'], type: 'number' },
  ALERTGATE_TUNING_DISABLE_BELOW_PRECISION: { path: ['tuning', 'disableBelowPrecision'], type: 'number' },
  ALERTGATE_TUNING_AUTO: { path: ['tuning', 'auto', 'enabled'], type: 'boolean' },
  ALERTGATE_TUNING_AUTO_MODE: { path: ['tuning', 'auto', 'mode'], type: 'string' },
  ALERTGATE_FEEDBACK_TOPIC: { path: ['feedback', 'kafka', 'topic'], type: 'string' },
  ALERTGATE_KAFKA_BROKERS: { path: ['kafka', 'brokers'], type: 'list' },
  ALERTGATE_KAFKA_CLIENT_ID: { path: ['kafka', 'clientId'], type: 'string' },
  ALERTGATE_KAFKA_GROUP_ID: { path: ['kafka', 'groupId'], type: 'string' },
  ALERTGATE_KAFKA_INPUT_TOPICS: { path: ['kafka', 'topics', 'input'], type: 'list' },
  ALERTGATE_KAFKA_DECISIONS_TOPIC: { path: ['kafka', 'topics', 'decisions'], type: 'string' },
  ALERTGATE_KAFKA_INCIDENTS_TOPIC: { path: ['kafka', 'topics', 'incidents'], type: 'string' },
  ALERTGATE_KAFKA_DEAD_LETTERS_TOPIC: { path: ['kafka', 'topics', 'deadLetters'], type: 'string' },
  ALERTGATE_KAFKA_STATE_TOPIC: { path: ['kafka', 'topics', 'state'], type: 'string' },
  ALERTGATE_KAFKA_DELIVERY: { path: ['kafka', 'delivery'], type: 'string' },
  ALERTGATE_KAFKA_SSL: { path: ['kafka', 'ssl'], type: 'boolean' },
  ALERTGATE_KAFKA_SASL_MECHANISM: { path: ['kafka', 'sasl', 'mechanism'], type: 'string' },
  ALERTGATE_KAFKA_SASL_USERNAME: { path: ['kafka', 'sasl', 'username'], type: 'string' },
  ALERTGATE_KAFKA_SASL_PASSWORD: { path: ['kafka', 'sasl', 'password'], type: 'string' },
};

/**
 * The conventional variable (scripts/kafka.sh prints it): fills in `kafka.brokers` only when Kafka is
 * configured and neither the file nor ALERTGATE_KAFKA_BROKERS names brokers, so exporting it for other
 * tools never switches a file-input worker to Kafka.
 */
export const KAFKA_BROKERS_FALLBACK = 'KAFKA_BROKERS';

export { ConfigError };

/** A command-line flag that sets a config field; it wins over the file and the environment. */
export interface ConfigOverride {
  readonly flag: string;
  readonly path: readonly string[];
  readonly value: unknown;
  /** A default the flag brings: it sets the field only when neither the file nor the environment does. */
  readonly ifUnset?: boolean;
}

/**
 * Reads the optional YAML/JSON file, applies ALERTGATE_* variables and then flag overrides, validates
 * once; errors name the file, variable or flag, and the field. `receiverSecrets: false` for the commands
 * that send nothing (replay, tune, report, …): they read a worker's config where its tokens are not.
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  overrides: readonly ConfigOverride[] = [],
  options: { readonly receiverSecrets?: boolean } = {},
): Promise<Config> {
  const raw = file ? await readConfigFile(file) : {};
  const origin = new Map<string, string>();
  for (const [name, { path, type }] of Object.entries(ENV_VARS)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    setIn(raw, path, coerce(name, text, type));
    origin.set(path.join('.'), name);
  }
  const kafka = raw.kafka;
  const fallback = env[KAFKA_BROKERS_FALLBACK];
  if (kafka !== null && typeof kafka === 'object' && !Array.isArray(kafka) && fallback) {
    const section = kafka as Record<string, unknown>;
    if (section.brokers === undefined) {
      section.brokers = coerce(KAFKA_BROKERS_FALLBACK, fallback, 'list');
      origin.set('kafka.brokers', KAFKA_BROKERS_FALLBACK);
    }
  }
  for (const { flag, path, value, ifUnset } of overrides) {
    if (ifUnset && getIn(raw, path) !== undefined) continue;
    setIn(raw, path, value);
    origin.set(path.join('.'), flag);
  }
  const parsed = Config.safeParse(raw);
  const where = (path: readonly PropertyKey[]): string =>
    variableFor(origin, path) ?? (file ? `${file}: /${path.map(String).join('/')}` : `/${path.map(String).join('/')}`);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${parsed.error.issues.map((issue) => `${where(issue.path)}: ${issue.message}`).join('\n')}`);
  }
  if (options.receiverSecrets === false) return parsed.data;
  // Receivers' secrets are read once, here, so a missing one stops the worker at start.
  const secretProblems = resolveReceiverSecrets(parsed.data.receivers, env);
  if (secretProblems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${secretProblems.map((p) => `${where(['receivers', ...p.path])}: ${p.message}`).join('\n')}`);
  }
  return parsed.data;
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    throw new ConfigError(`${file}: ${err.message.split('\n')[0]} (line ${err.linePos?.[0].line ?? '?'})`);
  }
  const built = yamlValue(doc, lineCounter);
  if (!built.ok) throw new ConfigError(`${file}: ${built.message}${built.line ? ` (line ${built.line})` : ''}`);
  const value: unknown = built.value ?? {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${file}: expected a mapping at the top level`);
  return value as Record<string, unknown>;
}

/** The variable that set the field at `path` or one of its parents (`kafka.brokers.0` → ALERTGATE_KAFKA_BROKERS). */
function variableFor(origin: ReadonlyMap<string, string>, path: readonly PropertyKey[]): string | undefined {
  for (let n = path.length; n > 0; n--) {
    const name = origin.get(path.slice(0, n).map(String).join('.'));
    if (name !== undefined) return n === path.length ? name : `${name} (/${path.map(String).join('/')})`;
  }
  return undefined;
}

function coerce(name: string, text: string, type: EnvType): unknown {
  if (type === 'string') return text;
  if (type === 'tokens') return tokensOf(name, text);
  if (type === 'list') {
    return text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  if (type === 'number') {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new ConfigError(`${name}: expected a number, got "${text}"`);
    return n;
  }
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(`${name}: expected true or false, got "${text}"`);
}

/** `name:role:token,...`; a bad entry is named by position, never by its text (it holds a secret). */
function tokensOf(name: string, text: string): { name: string; role: string; token: string }[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry, i) => {
      const first = entry.indexOf(':');
      const second = entry.indexOf(':', first + 1);
      if (first <= 0 || second <= first + 1 || second === entry.length - 1) {
        throw new ConfigError(`${name}: entry ${i + 1} is not name:role:token`);
      }
      return { name: entry.slice(0, first), role: entry.slice(first + 1, second), token: entry.slice(second + 1) };
    });
}

function getIn(target: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = target;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
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
