/**
 * Cost of the scrubber on every log line and stored text: lines per second for a typical
 * log line, with 10 and 200 registered secrets. Prints a table; not a test.
 */
import { randomBytes } from 'node:crypto';
import { Scrubber } from '../src/core/scrubber.js';
import { writeResults } from './results.js';

const LINES = 200_000;
const line = JSON.stringify({ level: 30, time: Date.now(), msg: 'step finished', incidentId: 'a0b1c2d3-e4f5', step: 'cancel', data: { cancelled: 12, categories: ['spot', 'linear'], note: 'x'.repeat(300) } });

const rows = [];
for (const secrets of [10, 200]) {
  const s = new Scrubber();
  for (let i = 0; i < secrets; i++) s.register(randomBytes(18).toString('base64url'));
  s.scrub(line); // builds the pattern once, as the first real line would
  const t0 = performance.now();
  for (let i = 0; i < LINES; i++) s.scrub(line);
  const ms = performance.now() - t0;
  rows.push({ 'registered secrets': secrets, 'line bytes': line.length, 'lines/s': Math.round((LINES / ms) * 1000), 'µs/line': ((ms * 1000) / LINES).toFixed(2) });
}
console.log(`scrubber benchmark, ${LINES} lines each (node ${process.version})`);
console.table(rows);
writeResults('scrubber', rows);
