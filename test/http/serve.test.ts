import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { stringify } from 'yaml';
import { systemClock } from '../../src/core/clock.js';
import { openIncident } from '../../src/incidents/open-incident.js';
import { buildPlan } from '../../src/runner/playbook.js';
import { openStore } from '../../src/store/open.js';
import { startE2E } from '../helpers/e2e.js';
import { takenPort } from '../helpers/ports.js';
import { eventually } from '../helpers/runner-child.js';
import { TEST_PG_URL } from '../helpers/stores.js';
import { kubeConfigFor } from '../sim/kubernetes/kubeconfig.js';
import { AWS_TEST_CREDENTIALS, WORLD } from '../sim/world.js';

// Six child processes of `leakguard serve`, one after another: more than tap's default on a loaded machine.
t.setTimeout(360_000);

const root = new URL('../../', import.meta.url).pathname;
const example = join(root, 'infra/examples/leakguard.yaml');

/** Starts `leakguard serve` (on the example config unless told) as a real process and waits for its URL. */
async function start(storeUrl: string, config = example, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', config], {
    cwd: root,
    env: { ...process.env, LEAKGUARD_PORT: '0', LEAKGUARD_STORE_URL: storeUrl, ...env },
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
  t.match(await ready.json(), { status: 'ready', startupCheck: { failing: [] } });
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

/** `leakguard serve` as a real process that must fail to start: its exit code and everything it printed. */
async function failedStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', example], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

t.test('serve on a port that is taken exits 1 and names the cause and the port', async (t) => {
  const port = await takenPort(t);
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-serve-'));
  // The store is opened and migrated first; the runner never starts, and the process exits instead of hanging.
  const { code, out } = await failedStart({ LEAKGUARD_PORT: String(port), LEAKGUARD_STORE_URL: join(dir, 'lg.db') });
  t.equal(code, 1);
  t.match(out, `cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE)`);
  t.notMatch(out, '"msg":"LeakGuard listening"');
});

t.test('serve with a kubeconfig it cannot read exits 1 and says which file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-serve-'));
  const { code, out } = await failedStart({ LEAKGUARD_PORT: '0', LEAKGUARD_STORE_URL: join(dir, 'lg.db'), LEAKGUARD_KUBECONFIG: join(dir, 'missing-kubeconfig') });
  t.equal(code, 1);
  t.match(out, `LeakGuard could not start: cannot load the kubeconfig ${join(dir, 'missing-kubeconfig')} (ENOENT)`);
  t.notOk(existsSync(join(dir, 'lg.db')), 'nothing was opened: the store file was never created');
});

t.test('a running `leakguard serve` resolves an incident opened in its store', async (t) => {
  const e2e = await startE2E({ replicas: 2, podStartMs: 100 });
  t.teardown(() => e2e.close());
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-serve-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeConfigFor(e2e.world.urls.kubernetes, e2e.world.kubernetes.token, WORLD.namespace).exportConfig());
  const config = join(dir, 'leakguard.yaml');
  writeFileSync(config, stringify({ ...e2e.config, kubernetes: { kubeconfig } }));
  const storeUrl = join(dir, 'lg.db');
  const { child, output } = await start(storeUrl, config, {
    AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey,
    LG_TEST_SLACK_URL: e2e.world.slackWebhook,
  });
  t.teardown(() => void child.kill('SIGKILL'));

  // The test writes the incident into serve's store, as an operator's request would; serve's runner takes it from there.
  const store = await openStore({ url: storeUrl, scrubber: e2e.scrubber });
  t.teardown(() => store.close());
  const plan = buildPlan('emergency', [
    { step: 'freeze', params: { pollMs: 20, snapshotPositions: false } },
    { step: 'restore', params: { key: 'target', pollMs: 20 } },
  ]);
  const { incident } = await openIncident({ store, clock: systemClock, clients: e2e.clients }, { credential: e2e.credential, plan, reason: 'serve test', actor: 'system:test' });
  const done = await eventually(async () => {
    const i = await store.getIncident(incident.id);
    return i && ['resolved', 'failed', 'aborted'].includes(i.state) ? i : undefined;
  }, 'the incident to end', 60_000);
  t.equal(done.state, 'resolved', done.state === 'resolved' ? 'resolved by serve' : output());
  const runs = await store.listStepRuns(incident.id);
  t.same(runs.filter((r) => r.status === 'succeeded').map((r) => r.step).sort(), ['freeze', 'restore']);
  t.ok(runs.every((r) => r.writer?.holder.includes(`:${child.pid}:`)), 'run by the serve process');
  t.equal(runs.find((r) => r.step === 'freeze')?.outputs.frozenReplicas, 2, 'freeze saw the bot at 2 pods and scaled it to none');
  t.equal(e2e.world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.spec?.replicas, 2, 'the bot is back at its replica count');
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 0);
});
