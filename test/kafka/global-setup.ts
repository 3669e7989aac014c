/**
 * Vitest globalSetup for the Kafka suites: makes a real Apache Kafka broker available to tests.
 *
 * - KAFKA_BROKERS set (host:port[,host:port...]): that cluster is used as it is, nothing is started.
 * - else, Java (and Maven, unless the broker's jars are cached already) on PATH:
 *   `scripts/kafka.sh up` starts a single-node KRaft broker on loopback; teardown runs
 *   `scripts/kafka.sh down`, but only if this setup started it (a broker that was already up,
 *   e.g. from a developer's `scripts/kafka.sh up`, is reused and left running).
 * - else one line says why the Kafka suites are skipped; with CI=true that is an error instead.
 *
 * Tests read the result through test/kafka/broker.ts (`inject('kafkaBrokers')`, and
 * process.env.KAFKA_BROKERS for code that reads the environment).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap brokers; '' when no broker is available (Kafka suites skip). */
    kafkaBrokers: string;
    /** True when the broker is the one scripts/kafka.sh runs, so stop-broker/start-broker work. */
    kafkaManaged: boolean;
  }
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(REPO, 'scripts', 'kafka.sh');
const POM = join(REPO, 'scripts', 'kafka', 'pom.xml');
const KAFKA_HOME = process.env.ALERTGATE_KAFKA_HOME || join(REPO, '.cache', 'kafka');
/** A cold first run resolves ~45 MB of jars with Maven; the broker itself starts in seconds. */
const UP_TIMEOUT_MS = 10 * 60_000;

const isCI = /^(true|1)$/i.test(process.env.CI ?? '');

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { stdio: 'ignore' }).status === 0;
}

function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** The broker's jars are already in the cache (resolved from the current pom), so Maven isn't needed. */
function classpathCached(): boolean {
  try {
    const want = createHash('sha256').update(readFileSync(POM)).digest('hex');
    return (
      readFileSync(join(KAFKA_HOME, 'lib', '.pom.sha256'), 'utf8').trim() === want &&
      existsSync(join(KAFKA_HOME, 'lib', 'classpath.txt'))
    );
  } catch {
    return false;
  }
}

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function kafkaSh(args: string[], timeoutMs = 120_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT, ...args],
      { cwd: REPO, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGTERM' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: error && !stderr ? String(error.message) : stderr });
      },
    );
  });
}

function brokersFrom(stdout: string): string | undefined {
  return /^KAFKA_BROKERS=(\S+)$/m.exec(stdout)?.[1];
}

/** The brokers of the scripts/kafka.sh broker if it is running, else undefined. */
async function managedBrokers(): Promise<string | undefined> {
  if (!existsSync(SCRIPT)) return undefined;
  const env = await kafkaSh(['env']);
  return env.code === 0 ? brokersFrom(env.stdout) : undefined;
}

function skip(project: TestProject, why: string): void {
  if (isCI) {
    throw new Error(
      `[kafka] CI=true and no Kafka broker can be provided: ${why}. ` +
        'Install Java 17+ and Maven (scripts/kafka.sh resolves the broker from Maven Central) or set KAFKA_BROKERS.',
    );
  }
  console.warn(`[kafka] Kafka test suites skipped: ${why} (install Java 17+ and Maven, or set KAFKA_BROKERS=host:port).`);
  project.provide('kafkaBrokers', '');
  project.provide('kafkaManaged', false);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    // An external cluster, or the kafka.sh broker that .ci/run / a developer started beforehand.
    project.provide('kafkaBrokers', fromEnv);
    project.provide('kafkaManaged', (await managedBrokers()) === fromEnv);
    return undefined;
  }

  const missing: string[] = [];
  if (!onPath(javaCommand())) missing.push('java');
  if (!onPath('mvn') && !classpathCached()) missing.push('mvn');
  if (!onPath('node')) missing.push('node');
  if (missing.length > 0) {
    skip(project, `${missing.join(' and ')} not found on PATH`);
    return undefined;
  }

  const running = await managedBrokers();
  let brokers = running;
  if (!brokers) {
    const started = Date.now();
    const up = await kafkaSh(['up'], UP_TIMEOUT_MS);
    brokers = brokersFrom(up.stdout);
    if (up.code !== 0 || !brokers) {
      // Java and Maven are here, so a broker that does not start is a failure, not a skip.
      throw new Error(`[kafka] scripts/kafka.sh up failed (exit ${up.code}):\n${up.stderr.trim()}`);
    }
    console.log(`[kafka] broker ${brokers} started by scripts/kafka.sh in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }

  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaManaged', true);

  if (running) return undefined; // not ours to stop
  return async () => {
    delete process.env.KAFKA_BROKERS;
    const down = await kafkaSh(['down']);
    if (down.code !== 0) console.warn(`[kafka] scripts/kafka.sh down failed (exit ${down.code}): ${down.stderr.trim()}`);
  };
}
