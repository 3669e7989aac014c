// The I/O floor for replay: read NDJSON, JSON.parse each line, JSON.stringify a small record, write.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';

const [input, output] = process.argv.slice(2);
const out = createWriteStream(output);
const started = performance.now();
let lines = 0;
let rest = '';
for await (const chunk of createReadStream(input, { highWaterMark: 1 << 16 })) {
  const text = rest + chunk.toString('utf8');
  const parts = text.split('\n');
  rest = parts.pop();
  let buffer = '';
  for (const line of parts) {
    if (!line) continue;
    const alert = JSON.parse(line);
    buffer += JSON.stringify({ alertId: alert.id, time: alert.time, decision: 'pass' }) + '\n';
    lines++;
  }
  if (!out.write(buffer)) await once(out, 'drain');
}
out.end();
await once(out, 'close');
console.log(JSON.stringify({ ms: performance.now() - started, lines, maxRssKB: process.resourceUsage().maxRSS }));
