// `node --import ./trace-modules.mjs …`: writes the URL of every module the program loads to stderr,
// one `module <url>` line each (test/cli/startup.test.ts reads them): imports through a resolve hook,
// require() (createRequire's, which the hooks do not see in Node 20) through Module._resolveFilename.
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!resolved.url.startsWith('node:')) process.stderr.write('module ' + resolved.url + '\\n');
  return resolved;
}`));

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const filename = resolveFilename.apply(this, args);
  if (filename.startsWith('/')) process.stderr.write('module ' + pathToFileURL(filename).href + '\n');
  return filename;
};
