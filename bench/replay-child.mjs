// Runs `alertgate <args>` in this process and reports its wall time, peak RSS and the CPU time of the
// whole process (startup included) as one JSON line. It runs the bundle bin/alertgate.js runs.
import { main } from '../dist/bundle/main.js';

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
const cpu = process.cpuUsage();
realWrite(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKB: process.resourceUsage().maxRSS, summary: JSON.parse(captured.trim()) })}\n`);
