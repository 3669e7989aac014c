import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARS, KAFKA_BROKERS_FALLBACK, loadConfig } from '../../src/config/load.js';

/**
 * There is no Docker engine here, so docker-compose.yml, the Dockerfile and deploy/ are kept correct by
 * checking their wiring against the config schema: every variable the compose file sets is one the
 * worker reads, the mounted config is valid with those variables, and broker, metrics and health
 * addresses agree across services.
 */
const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown> | string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const { kafka, alertgate, prometheus } = compose.services;

/** The worker's config inside the compose deployment: the mounted file plus the compose environment. */
function composeConfig() {
  const mount = alertgate!.volumes!.find((v) => v.endsWith(':/etc/alertgate/config.yaml:ro'))!;
  return loadConfig(join(ROOT, mount.split(':')[0]!), alertgate!.environment);
}

describe('docker-compose.yml', () => {
  it('runs Kafka, alertgate and Prometheus', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertgate', 'kafka', 'prometheus']);
    expect(kafka!.image).toMatch(/^apache\/kafka:/);
    expect(alertgate!.build).toBe('.');
  });

  it('sets only environment variables the worker reads', () => {
    const known = new Set([...Object.keys(ENV_VARS), KAFKA_BROKERS_FALLBACK]);
    for (const name of Object.keys(alertgate!.environment ?? {})) expect(known, name).toContain(name);
  });

  it('mounts a config that is valid with the compose environment, and the rules where the image expects them', async () => {
    expect(alertgate!.command).toEqual(['--config', '/etc/alertgate/config.yaml']);
    const config = await composeConfig();
    expect(config.rules).toBe('/etc/alertgate/rules');
    expect(alertgate!.volumes).toContain('./rules:/etc/alertgate/rules:ro');
    expect(read('Dockerfile')).toMatch(/ALERTGATE_RULES=\/etc\/alertgate\/rules/);
    expect(config.kafka?.topics.input.length).toBeGreaterThan(0);
    expect(config.http.host).toBe('0.0.0.0');
  });

  it('points alertgate at a listener the broker advertises inside the compose network', async () => {
    const env = kafka!.environment!;
    const config = await composeConfig();
    const advertised = env.KAFKA_ADVERTISED_LISTENERS!.split(',').map((l) => l.replace(/^\w+:\/\//, ''));
    for (const broker of config.kafka!.brokers) expect(advertised).toContain(broker);
    const listenerPorts = env.KAFKA_LISTENERS!.split(',').map((l) => l.split(':').pop());
    for (const broker of config.kafka!.brokers) expect(listenerPorts).toContain(broker.split(':')[1]);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('has Prometheus scrape the port alertgate serves /metrics on', async () => {
    const config = await composeConfig();
    const scrape = parse(read('deploy/prometheus.yml')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    const targets = scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toContain(`alertgate:${config.http.port}`);
    expect(alertgate!.ports).toContain(`${config.http.port}:${config.http.port}`);
    expect(prometheus!.volumes).toContain('./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it("has Prometheus load alertgate's rules from where the compose file mounts them, for the job the alerts select", () => {
    const config = parse(read('deploy/prometheus.yml')) as { rule_files: string[]; scrape_configs: { job_name: string }[] };
    for (const ruleFile of config.rule_files) expect(prometheus!.volumes).toContain(`./prometheus/alertgate.rules.yml:${ruleFile}:ro`);
    expect(config.scrape_configs.map((c) => c.job_name)).toContain('alertgate');
    expect(read('prometheus/alertgate.rules.yml')).toMatch(/up\{job="alertgate"\}/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in one stage and runs as a non-root user on a slim LTS image in another', () => {
    const stages = dockerfile.match(/^FROM .*/gm) ?? [];
    expect(stages).toHaveLength(2);
    for (const from of stages) expect(from).toMatch(/node:(20|22|24)[\w.-]*-slim/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('checks health on /healthz at the configured port and starts `alertgate run`', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*ALERTGATE_HTTP_PORT[\s\S]*\/healthz/);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/alertgate\.js", "run"\]/);
    expect(Object.keys(ENV_VARS)).toEqual(expect.arrayContaining(['ALERTGATE_RULES', 'ALERTGATE_HTTP_HOST', 'ALERTGATE_HTTP_PORT']));
  });
});
