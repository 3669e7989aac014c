// Runs `alertgate <args>` in this process and reports its wall time and peak RSS as one JSON line.
import { main } from '../dist/cli/main.js';

let captured = '';
const realWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk) => {
  captured += chunk;
  return true;
};
const started = performance.now();
const code = await main(['node', 'alertgate', ...process.argv.slice(2)]);
const ms = performance.now() - started;
process.stdout.write = realWrite;
if (code !== 0) {
  process.stderr.write(captured);
  process.exit(code);
}
realWrite(`${JSON.stringify({ ms, maxRssKB: process.resourceUsage().maxRSS, summary: JSON.parse(captured.trim()) })}\n`);
