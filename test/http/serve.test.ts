import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_PG_URL } from '../helpers/stores.js';

const root = new URL('../../', import.meta.url).pathname;
const example = join(root, 'infra/examples/leakguard.yaml');

/** Starts `leakguard serve` on the example config as a real process and waits for its URL. */
async function start(storeUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', example], {
    cwd: root,
    env: { ...process.env, LEAKGUARD_PORT: '0', LEAKGUARD_STORE_URL: storeUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)","msg":"LeakGuard listening"/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`leakguard exited with ${code}: ${out}`));
    });
  });
  return { child, url, output: () => out };
}

async function checkAndStop(t: Test, storeUrl: string) {
  const { child, url, output } = await start(storeUrl);
  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200);
  const ready = await fetch(`${url}/readyz`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' });
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 0, 'graceful shutdown exits 0');
  t.match(output(), '"msg":"stopped"');
}

t.test('serve on SQLite answers healthz and readyz, and stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-serve-'));
  await checkAndStop(t, join(dir, 'lg.db'));
});

t.test('serve on PostgreSQL answers healthz and readyz, and stops on SIGTERM', async (t) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  });
  await checkAndStop(t, `${TEST_PG_URL}?schema=${schema}`);
});

t.test('serve without a config or with an unreachable store fails clearly', async (t) => {
  const noConfig = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { cwd: root, env: { ...process.env, LEAKGUARD_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  noConfig.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const [code] = (await once(noConfig, 'exit')) as [number];
  t.equal(code, 2);
  t.match(err, 'pass --config FILE or set LEAKGUARD_CONFIG');

  const dir = mkdtempSync(join(tmpdir(), 'leakguard-serve-'));
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, 'store:\n  url: postgres://nobody:hunter2secret@127.0.0.1:1/x\n');
  const bad = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', cfg], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  bad.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [badCode] = (await once(bad, 'exit')) as [number];
  t.equal(badCode, 1);
  t.match(out, 'cannot reach PostgreSQL at postgres://nobody:***@127.0.0.1:1/x');
  t.notMatch(out, 'hunter2secret');
});
