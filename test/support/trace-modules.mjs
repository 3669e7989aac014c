// `node --import ./trace-modules.mjs …`: writes the URL of every module the program loads to stderr,
// one `module <url>` line each (test/cli/startup.test.ts reads them).
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!resolved.url.startsWith('node:')) process.stderr.write('module ' + resolved.url + '\\n');
  return resolved;
}`));
