import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

t.test('npm run sim starts every simulator, writes the ports file, stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-sim-'));
  const portsFile = join(dir, 'ports.json');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--ports-file', portsFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('simulators running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`sim did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(existsSync(portsFile));
  const urls = JSON.parse(readFileSync(portsFile, 'utf8')) as Record<string, string>;
  t.same(Object.keys(urls).sort(), ['binance', 'bybit', 'cloudtrail', 'eventbridge', 'github', 'githubToken', 'kubernetes', 'secretsmanager', 'slack']);
  const time = (await fetch(`${urls.bybit}/v5/market/time`).then((r) => r.json())) as { retCode: number };
  t.equal(time.retCode, 0, 'bybit answers');
  const k8s = await fetch(`${urls.kubernetes}/apis/apps/v1/namespaces/prod/deployments/live-trading-bot`);
  t.equal(k8s.status, 401, 'kubernetes answers, and wants its token');
  const repo = await fetch(`${urls.github}/repos/example-trading/live-trading-bot`, { headers: { authorization: `Bearer ${urls.githubToken}` } });
  t.equal(repo.status, 200, 'github answers the ports file\'s token');
  const state = (await fetch(`${urls.kubernetes}/_sim/state`).then((r) => r.json())) as Record<string, unknown>;
  t.ok(JSON.stringify(state).includes('live-trading-bot'));
  t.match(out, /bybit\s+http:\/\/127\.0\.0\.1:\d+/);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 0);
});
