import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';

type Register = (program: Command, setExit: (code: number) => void) => void;

/**
 * Each command's module, loaded on demand: `alertgate replay` should not pay for loading the HTTP
 * server, Kafka client and metrics libraries that only `run` and `produce` use.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  validate: async () => (await import('./validate.js')).registerValidate,
  replay: async () => (await import('./replay.js')).registerReplay,
  normalize: async () => (await import('./normalize.js')).registerNormalize,
  run: async () => (await import('./run.js')).registerRun,
  test: async () => (await import('./test.js')).registerTest,
  schema: async () => (await import('./schema.js')).registerSchema,
  produce: async () => (await import('./produce.js')).registerProduce,
  feedback: async () => (await import('./feedback.js')).registerFeedback,
  tune: async () => (await import('./tune.js')).registerTune,
  report: async () => (await import('./report.js')).registerReport,
};

/** Exit codes: 0 success, 1 the input or rules are invalid / tests failed, 2 usage or runtime error. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('alertgate')
    .description('Promote security alerts to incidents, or suppress them, with json-rules-engine threshold rules.')
    .version(await packageVersion())
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = code;
  };
  // The named command alone, or all of them (for help, and so a misspelt command gets suggestions).
  const requested = argv[2];
  const names = requested !== undefined && Object.hasOwn(COMMANDS, requested) ? [requested] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program, setExit);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
