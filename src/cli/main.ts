import { Command, CommanderError } from 'commander';
import { registerProduce } from './produce.js';
import { registerReplay } from './replay.js';
import { registerRun } from './run.js';
import { registerValidate } from './validate.js';
import { registerTest } from './test.js';
import { registerSchema } from './schema.js';

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
  registerValidate(program, setExit);
  registerReplay(program, setExit);
  registerRun(program, setExit);
  registerTest(program, setExit);
  registerSchema(program, setExit);
  registerProduce(program, setExit);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
