// The naive CLI: read NDJSON alerts, JSON.parse each, run one json-rules-engine Engine holding the
// pack, write one decision line per alert. `node cli-json-rules-engine.mjs <pack.json> <input> <output>`;
// prints {promoted, cpuMs} (cpuMs: the whole process's CPU time) as one JSON line.
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { naiveEngine } from './rule-pack.mjs';

const [packFile, input, output] = process.argv.slice(2);
const engine = naiveEngine(JSON.parse(readFileSync(packFile, 'utf8')));
const out = createWriteStream(output);
let promoted = 0;
let rest = '';
for await (const chunk of createReadStream(input, { highWaterMark: 1 << 16 })) {
  const lines = (rest + chunk.toString('utf8')).split('\n');
  rest = lines.pop();
  let buffer = '';
  for (const line of lines) {
    if (!line) continue;
    const alert = JSON.parse(line);
    const { events, results } = await engine.run({ ...alert, aggregates: {}, params: {} });
    const fired = events.length > 0;
    if (fired) promoted++;
    // The highest-priority rule that fired decides (json-rules-engine runs rules by priority, results in that order).
    const ruleId = fired ? results.find((r) => r.result).name : null;
    buffer += JSON.stringify({ alertId: alert.id, time: alert.time, decision: fired ? 'promote' : 'pass', ruleId }) + '\n';
  }
  if (!out.write(buffer)) await once(out, 'drain');
}
out.end();
await once(out, 'close');
const cpu = process.cpuUsage();
console.log(JSON.stringify({ promoted, cpuMs: (cpu.user + cpu.system) / 1000 }));
