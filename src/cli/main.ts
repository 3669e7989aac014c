import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeOf, exitOnStdoutError } from './exit-codes.js';

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
  incidents: async () => (await import('./incidents.js')).registerIncidents,
  escalation: async () => (await import('./escalation.js')).registerEscalation,
  eval: async () => (await import('./eval.js')).registerEval,
  obligations: async () => (await import('./obligations.js')).registerObligations,
  drill: async () => (await import('./drill.js')).registerDrill,
  postmortem: async () => (await import('./postmortem.js')).registerPostmortem,
};

/** The command's exit code (src/cli/exit-codes.ts). */
export async function main(argv: readonly string[]): Promise<number> {
  exitOnStdoutError();
  const program = new Command()
    .name('alertgate')
    .description('Promote security alerts to incidents, or suppress them, with json-rules-engine threshold rules.')
    .version(await packageVersion())
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode: number = EXIT.ok;
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
    // Commander has printed its own message (usage, --help, --version); anything else is said here.
    if (!(err instanceof CommanderError)) process.stderr.write(`alertgate: ${err instanceof Error ? err.message : String(err)}\n`);
    return exitCodeOf(err);
  }
  return exitCode;
}

async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
