/**
 * Auth-error lines per second through the detector's streaming core and through POST /ingest/logs,
 * beside a plain scan of the same bytes for 401|403|10003 (the limit: what reading the data and
 * looking for the numbers costs at least), as ratios, with each one's peak RSS. The input (1 GB
 * by default, BENCH_AUTH_MB) is written to a temporary file once, chunk by chunk, and every mode
 * reads it from there in its own process: none holds it in memory. Prints a table; not a test.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { writeResults } from './results.js';

const MB = 2 ** 20;
const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 200;
const CHUNK = MB;
/** The size of one /ingest/logs batch (under the route's maxBytes). */
const BATCH = MB;
const SPIKE = { windowSeconds: 60, floor: 20, multiple: 5, banFloor: 3 };

type Mode = 'limit' | 'core' | 'ingest';
interface Figures {
  seconds: number;
  peakRssMb: number;
  hits: number;
}

/** Reads the file in chunks, handing each piece of complete lines on (a line cut by a chunk goes with the next). */
function readLines(file: string, size: number, each: (text: string) => void | Promise<void>): Promise<void> | void {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(size);
  const decoder = new StringDecoder('utf8');
  let carry = '';
  const next = (): string | null => {
    const n = readSync(fd, buf, 0, size, null);
    if (n === 0) {
      const rest = carry + decoder.end();
      carry = '';
      return rest || null;
    }
    const text = carry + decoder.write(buf.subarray(0, n));
    const cut = text.lastIndexOf('\n');
    carry = text.slice(cut + 1);
    return text.slice(0, cut);
  };
  const loop = async () => {
    for (let text = next(); text !== null; text = next()) await each(text);
    closeSync(fd);
  };
  return loop();
}

/** Each mode times only its pass over the data: building LeakGuard and loading modules are not part of it. */
async function timed(pass: () => Promise<number>): Promise<{ hits: number; seconds: number }> {
  const t0 = performance.now();
  const hits = await pass();
  return { hits, seconds: (performance.now() - t0) / 1000 };
}

async function runLimit(file: string) {
  return timed(async () => {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  const re = /401|403|10003/g;
  let hits = 0;
  for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
    const text = buf.toString('latin1', 0, n);
    re.lastIndex = 0;
    while (re.exec(text)) hits++;
  }
  closeSync(fd);
  return hits;
  });
}

async function runCore(file: string) {
  const { AuthErrorCore } = await import('../detectors/auth-errors/core.js');
  const { Recognizer } = await import('../detectors/auth-errors/recognise.js');
  const { bybitErrors } = await import('../src/integrations/exchanges/bybit/errors.js');
  const core = new AuthErrorCore({ spike: SPIKE, now: () => Date.now(), learned: () => {} });
  core.add('bybit-prod-trading', new Recognizer('bybit', bybitErrors.codes));
  return timed(async () => {
    let spikes = 0;
    await readLines(file, CHUNK, (text) => void (spikes += core.scan('bybit-prod-trading', text, 'ingest').length));
    return spikes;
  });
}

async function runIngest(file: string) {
  const { parseConfig } = await import('../src/config/load.js');
  const { createLeakGuard } = await import('../src/leakguard.js');
  const { createLogger } = await import('../src/http/logger.js');
  const { Scrubber } = await import('../src/core/scrubber.js');
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-bench-'));
  const token = `lg_${randomBytes(16).toString('hex')}`;
  const config = parseConfig({
    store: { url: join(dir, 'lg.db') },
    credentials: [
      {
        id: 'bybit-prod-trading',
        exchange: 'bybit',
        account: { uid: '53888000', masterKey: { env: 'LG_BENCH_UNUSED' } },
        secretId: 'prod/bybit/api',
        workload: { namespace: 'prod', deployment: 'live-trading-bot', selector: 'app=live-trading-bot' },
        trades: { categories: ['spot'] },
        orderLinkPrefix: 'ltb-',
      },
    ],
    detectors: {
      'auth-errors': {
        enabled: true,
        spike: SPIKE,
        podLogs: { enabled: false },
        ingest: { tokens: [{ name: 'bench', sha256: createHash('sha256').update(token).digest('hex'), credentialId: 'bybit-prod-trading' }], batchesPerMinute: 1_000_000 },
      },
    },
  });
  const scrubber = new Scrubber();
  const lg = await createLeakGuard(config, { scrubber, logger: createLogger(scrubber, { level: 'error' }) });
  await lg.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = lg.app.server.address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/ingest/logs', method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve((JSON.parse(text) as { signals: number }).signals) : reject(new Error(`HTTP ${res.statusCode}: ${text}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const result = await timed(async () => {
  let signals = 0;
  // Two batches in flight, as a shipper with two workers: one is parsed while the next is sent.
  const inFlight: Promise<void>[] = [];
  await readLines(file, BATCH, async (text) => {
    inFlight.push(post(text).then((n) => void (signals += n)));
    if (inFlight.length >= 2) {
      await inFlight.shift();
    }
  });
  await Promise.all(inFlight);
  return signals;
  });
  agent.destroy();
  await lg.close(0);
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** A child: runs one mode over the file and prints its figures. */
async function child(mode: Mode, file: string): Promise<void> {
  const { hits, seconds } = mode === 'limit' ? await runLimit(file) : mode === 'core' ? await runCore(file) : await runIngest(file);
  const figures: Figures = { seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), hits };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** The bot's log: mostly ordinary lines (some with 401/403 inside prices and ids), 1% auth errors (plain and JSON), 0.5% HTTP 403 bans. */
function writeInput(file: string, bytes: number): { lines: number; bytes: number } {
  const fd = openSync(file, 'w');
  let lines = 0;
  let written = 0;
  let n = 0;
  const make = () => {
    n++;
    const ts = new Date(Date.UTC(2026, 0, 1) + n).toISOString();
    if (n % 100 === 0) return `${ts} ERROR bybit auth error HTTP 401 retCode=10003 retMsg="API key is invalid." orderLinkId=ltb-${n}`;
    if (n % 100 === 50) return JSON.stringify({ time: ts, level: 'error', msg: 'order create refused', response: { retCode: 10004, retMsg: 'error sign!' }, orderLinkId: `ltb-${n}` });
    if (n % 200 === 25) return `${ts} ERROR GET /v5/position/list HTTP 403 Forbidden`;
    if (n % 10 === 3) return `${ts} INFO order placed orderLinkId=ltb-${n} symbol=BTCUSDT price=60401.${n % 10} qty=0.403`;
    return `${ts} INFO tick symbol=BTCUSDT bid=60000.${n % 100} ask=60001.${n % 100} position=0.5 pnl=${(n % 977) / 10}`;
  };
  while (written < bytes) {
    const batch: string[] = [];
    let size = 0;
    while (size < CHUNK) {
      const line = make();
      batch.push(line);
      size += line.length + 1;
    }
    const text = `${batch.join('\n')}\n`;
    writeSync(fd, text);
    written += Buffer.byteLength(text);
    lines += batch.length;
  }
  closeSync(fd);
  return { lines, bytes: written };
}

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if (mode) return child(mode as Mode, file as string);
  const mb = Number(process.env.BENCH_AUTH_MB ?? 1024);
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-bench-'));
  const input = join(dir, 'bot.log');
  try {
    const { lines, bytes } = writeInput(input, mb * MB);
    const self = fileURLToPath(import.meta.url);
    const run = (m: Mode): Figures => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, m, input], { encoding: 'utf8', maxBuffer: MB, env: { ...process.env, NODE_ENV: 'production' } }).trim().split('\n').at(-1)!);
    // The limit first and last: its mean is what the others are held against on a machine whose load changes.
    const limitA = run('limit');
    const core = run('core');
    const ingest = run('ingest');
    const limitB = run('limit');
    const limitSeconds = (limitA.seconds + limitB.seconds) / 2;
    const row = (name: string, f: Figures, target: string) => ({
      path: name,
      'lines/s': Math.round(lines / f.seconds),
      'MB/s': Math.round(bytes / MB / f.seconds),
      'share of limit': Math.round((limitSeconds / f.seconds) * 100) / 100,
      'peak RSS MB': f.peakRssMb,
      target,
    });
    const rows = [
      row('byte scan 401|403|10003 (limit)', { ...limitA, seconds: limitSeconds, peakRssMb: Math.max(limitA.peakRssMb, limitB.peakRssMb) }, '-'),
      row('detector core', core, `>= ${TARGET_RATIO} of limit, < ${TARGET_RSS_MB} MB`),
      row('POST /ingest/logs (text/plain, 1 MB batches)', ingest, `< ${TARGET_RSS_MB} MB`),
    ];
    console.log(`auth-error lines, ${Math.round(bytes / MB)} MB, ${lines} lines (node ${process.version}); spikes: core ${core.hits}, ingest ${ingest.hits}`);
    console.table(rows);
    writeResults('auth-errors', { inputMb: Math.round(bytes / MB), lines, limitRuns: [limitA.seconds, limitB.seconds].map((s) => Math.round(s * 100) / 100), rows });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
