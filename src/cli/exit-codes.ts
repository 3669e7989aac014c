import { CommanderError } from 'commander';
import { ConfigError } from '../config/error.js';

/**
 * The exit codes of every command, in one place (README.md, "Exit codes", is the same table; a test
 * keeps the two equal). Commands set them through `exitCodeOf` or by name, never as bare numbers.
 */
export const EXIT = {
  /** Done: also when there was nothing to do (nothing to tune), or when the reader of stdout closed it early (`| head`). */
  ok: 0,
  /**
   * The input is wrong and the message says where and how to fix it: invalid rules, config or mapping
   * file, an option's value, an input file that cannot be read, malformed feedback lines or unknown
   * incidents; or the check failed (rule scenario tests, a refused tuning change).
   */
  invalid: 1,
  /** The command line cannot be parsed (unknown command or option, a missing argument), or a runtime failure that is not the input's fault. */
  failure: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the user can fix from its message alone (exit 1); anything else is exit 2. */
export class UserError extends Error {
  override name = 'UserError';
}

/** The exit code of an error that ended a command. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.failure;
  // An invalid config is the user's to fix, like invalid rules.
  return err instanceof UserError || err instanceof ConfigError ? EXIT.invalid : EXIT.failure;
}

/**
 * stdout's failures end the command here, for every command: a reader that closed the pipe early
 * (`alertgate schema openapi | head`) has what it wanted, so the command stops quietly (exit 0);
 * any other failure to write (a full disk) is a runtime failure, said in one line.
 */
export function exitOnStdoutError(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    process.stderr.write(`alertgate: cannot write stdout: ${err.message}\n`);
    process.exit(EXIT.failure);
  });
}
