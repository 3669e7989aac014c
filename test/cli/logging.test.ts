import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { alert, at, ndjson, rule, tempDir, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const SECRETS = { password: 'sasl-pw-Zq81', passphrase: 'tls-pass-Xk27', key: 'PRIVATE-KEY-Mv55' };

/** A TCP port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('alertgate run: logs', () => {
  it('never logs the Kafka SASL password or TLS secrets, at trace level, while failing to reach the broker', async () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        rules: writeRules({ 'r.yaml': rule({ id: 'r1' }) }),
        http: { enabled: false },
        log: { level: 'trace' },
        kafka: {
          brokers: [`127.0.0.1:${await closedPort()}`],
          topics: { input: ['alerts'] },
          sasl: { mechanism: 'plain', username: 'alertgate', password: SECRETS.password },
          ssl: { key: SECRETS.key, passphrase: SECRETS.passphrase, rejectUnauthorized: false },
        },
      }),
    );
    const child = spawn(process.execPath, [BIN, 'run', '--config', config], { env: { ...process.env, ALERTGATE_KAFKA_SASL_PASSWORD: SECRETS.password } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    // It did log, verbosely: the rules, and kafkajs' connection attempts.
    expect(output).toMatch(/"msg":"rules loaded"/);
    expect(output).toMatch(/"kafkajs":"\w+"/);
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  }, 60_000);

  it('writes the audit trail of promoted decisions (log.audit.decisions: promoted) and its configuration, redacted, at debug', () => {
    const dir = tempDir();
    const input = join(dir, 'in.ndjson');
    writeFileSync(input, ndjson([alert({ id: 'x1', severity: 'high', time: at(0) }), alert({ id: 'x2', severity: 'low', time: at(1) })]));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        rules: writeRules({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) }),
        input: { path: input },
        http: { enabled: false },
        watchRules: false,
        log: { level: 'debug', redact: ['config.input.path'], audit: { decisions: 'promoted' } },
      }),
    );
    const r = spawnSync(process.execPath, [BIN, 'run', '--config', config], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = jsonLines(r.stderr);
    const audit = lines.filter((l) => l.audit === true);
    expect(audit.map((l) => [l.event, (l.decision as { alertId: string }).alertId, (l.decision as { decision: string }).decision])).toEqual([['decision', 'x1', 'promote']]);
    const configuration = lines.find((l) => l.msg === 'configuration') as { config: { input: { path: string }; log: unknown } } | undefined;
    expect(configuration?.config.input.path).toBe('[redacted]');
    expect(r.stderr).not.toContain(input);
  });
});
