import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

export interface RunProcess {
  readonly child: ChildProcess;
  /** The first match of `ready` in the worker's log (stderr): its first group, the URL. */
  readonly url: string;
  stdout(): string;
  /** Sends SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `alertgate run <args>` at log level info; resolves once its log matches `ready` (whose first group is a URL). */
export async function startRun(args: readonly string[], ready = /"url":"(http:\/\/[^"]+)"/): Promise<RunProcess> {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { env: { ...process.env, ALERTGATE_LOG_LEVEL: 'info' } });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = ready.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`worker exited early: ${stderr}`)));
  });
  return {
    child,
    url,
    stdout: () => stdout,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * `alertgate run <args> --serve` until its input is decided (it prints where it serves /metrics), then
 * one scrape of /metrics; the worker is stopped before this resolves.
 */
export async function scrapeAfterInput(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'run', ...args, '--serve'], { cwd: options.cwd, env: { ...process.env, ...options.env } });
  try {
    let stdout = '';
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /serving (http:\/\/\S+)\/metrics until Ctrl-C/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`worker exited early: ${stderr}`)));
    });
    return await (await fetch(`${url}/metrics`)).text();
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
