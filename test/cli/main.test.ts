import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { createLogger } from '../../src/http/logger.js';
import { serve } from '../../src/http/serve.js';
import { main, type Io } from '../../src/main.js';
import { e2eConfig } from '../helpers/e2e.js';
import { captureLog } from '../helpers/logs.js';
import { takenPort } from '../helpers/ports.js';
import { eventually } from '../helpers/runner-child.js';
import { AWS_TEST_CREDENTIALS, startWorld } from '../sim/world.js';

// The CLI and serve in this process, so that their coverage is measured; test/http/serve.test.ts
// and test/checks/cli.test.ts run the same commands as real processes.

const example = new URL('../../infra/examples/leakguard.yaml', import.meta.url).pathname;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => void out.push(s), err: (s) => void err.push(s) };
  return { io, out: () => out.join('\n'), err: () => err.join('\n') };
}

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'leakguard-cli-')), name);
  writeFileSync(file, text);
  return file;
}

t.test('help, usage errors and unknown commands', async (t) => {
  const help = io();
  t.equal(await main(['--help'], help.io), 0);
  t.match(help.out(), 'leakguard serve [--config FILE]');
  const none = io();
  t.equal(await main([], none.io), 2, 'no command is a usage error');
  t.match(none.out(), 'Usage:');
  const unknown = io();
  t.equal(await main(['frobnicate'], unknown.io), 2);
  t.match(unknown.err(), 'unknown command: frobnicate');
  const flag = io();
  t.equal(await main(['serve', '--frobnicate'], flag.io), 2);
  t.match(flag.err(), /Unknown option '--frobnicate'[\s\S]*Usage:/);
});

t.test('config check: 0 for a valid file, 2 with every problem for an invalid one', async (t) => {
  const ok = io();
  const env = ['LEAKGUARD_GITHUB_WEBHOOK_SECRET', 'LEAKGUARD_GITHUB_TOKEN', 'LEAKGUARD_SLACK_WEBHOOK_URL'];
  for (const name of env) process.env[name] = 'set-for-this-test';
  t.teardown(() => env.forEach((name) => delete process.env[name]));
  t.equal(await main(['config', 'check', example], ok.io), 0);
  t.equal(ok.out(), `${example}: valid`, 'the example, with its environment set, has nothing to warn about');
  const bad = tempFile('bad.yaml', 'server:\n  port: http\nplaybooks:\n  emergency:\n    steps: [{ step: freeze, params: { pollMs: -1 } }]\n');
  const res = io();
  t.equal(await main(['config', 'check', bad], res.io), 2);
  t.match(res.err(), `${bad} is not a valid LeakGuard config`);
  t.match(res.err(), 'server.port: must be integer');
});

t.test('config check warns, still exit 0, on a config that protects nothing or turns on a detector it cannot run', async (t) => {
  const empty = io();
  t.equal(await main(['config', 'check', tempFile('empty.yaml', '')], empty.io), 0);
  t.match(empty.out(), /valid, with 1 warning\(s\):\n  - credentials: none configured, so LeakGuard protects no key/);
  const detectors = io();
  const file = tempFile('detectors.yaml', stringify({ detectors: { github: { enabled: true, previousWebhookSecrets: [{ env: 'LG_TEST_UNSET_OLD_SECRET' }] } } }));
  t.equal(await main(['config', 'check', file], detectors.io), 0);
  t.match(detectors.out(), 'detectors.github.webhookSecret: not set while the detector is enabled');
  t.match(detectors.out(), 'detectors.github.previousWebhookSecrets[0]: the environment variable LG_TEST_UNSET_OLD_SECRET is not set here');
  t.match(detectors.out(), 'detectors.github.api: not set; deliveries are taken but no alert can be fetched');
  const off = io();
  t.equal(await main(['config', 'check', tempFile('off.yaml', stringify({ credentials: [], detectors: { github: { enabled: false } } }))], off.io), 0);
  t.notMatch(off.out(), 'detectors.github', 'a detector that is off has nothing to warn about');
});

t.test('a bad value from the environment is reported against its variable; a secret written in place of a reference says the allowed forms', async (t) => {
  process.env.LEAKGUARD_PORT = 'eighty';
  t.teardown(() => delete process.env.LEAKGUARD_PORT);
  const port = io();
  t.equal(await main(['config', 'check', tempFile('port.yaml', 'server: {port: 8080}\n')], port.io), 2);
  t.match(port.err(), 'server.port (set by the environment variable LEAKGUARD_PORT): must be integer');
  t.notMatch(port.err(), 'eighty', 'the value itself is not repeated');
  delete process.env.LEAKGUARD_PORT;
  const plain = io();
  t.equal(await main(['config', 'check', tempFile('plain.yaml', stringify({ detectors: { github: { enabled: true, webhookSecret: 'my-plain-webhook-secret' } } }))], plain.io), 2);
  t.match(plain.err(), 'detectors.github.webhookSecret: must be one of the allowed forms: {env: …} or {secretsManager: …} (where a secret value lives; never the value itself)');
  t.notMatch(plain.err(), 'my-plain-webhook-secret');
});

t.test('serve and check need a config file', async (t) => {
  const saved = process.env.LEAKGUARD_CONFIG;
  delete process.env.LEAKGUARD_CONFIG;
  t.teardown(() => void (saved === undefined ? delete process.env.LEAKGUARD_CONFIG : (process.env.LEAKGUARD_CONFIG = saved)));
  for (const command of ['serve', 'check']) {
    const res = io();
    t.equal(await main([command], res.io), 2);
    t.match(res.err(), `leakguard ${command} needs a config file: pass --config FILE or set LEAKGUARD_CONFIG`);
  }
});

t.test('serve on a taken port returns 1 with the cause, and leaves nothing running', async (t) => {
  const port = await takenPort(t);
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-cli-'));
  const file = tempFile('leakguard.yaml', stringify({ server: { port }, store: { url: join(dir, 'lg.db') } }));
  const res = io();
  t.equal(await main(['serve', '--config', file], res.io, { handleSignals: false }), 1);
  t.equal(res.err(), `cannot listen on 127.0.0.1:${port}: the port is in use (EADDRINUSE); stop the process holding it or choose another port (server.port, LEAKGUARD_PORT)`);
});

t.test('a failed start names the store without its passwords, in the user info or the query', async (t) => {
  const file = tempFile('leakguard.yaml', stringify({ server: { port: 0 }, store: { url: 'postgres://leakguard:userinfo-pw-123@127.0.0.1:1/lg?password=query-pw-456&sslmode=disable' } }));
  const res = io();
  t.equal(await main(['serve', '--config', file], res.io, { handleSignals: false }), 1);
  t.match(res.err(), 'LeakGuard could not start: cannot reach PostgreSQL at postgres://leakguard:***@127.0.0.1:1/lg?password=***&sslmode=disable');
  t.notMatch(res.err(), /userinfo-pw-123|query-pw-456/);
});

t.test('what the CLI prints on a failure passes through the scrubber of the run', async (t) => {
  // A secret the run has loaded (registered), quoted by the cause of a failed start: here the
  // SQLite path, which cannot be made under a regular file.
  const secret = 'PLANTED-cli-secret-0123456789';
  const scrubber = new Scrubber();
  scrubber.register(secret);
  const blocker = tempFile('not-a-dir', '');
  const file = tempFile('leakguard.yaml', stringify({ server: { port: 0 }, store: { url: join(blocker, secret, 'lg.db') } }));
  const res = io();
  t.equal(await main(['serve', '--config', file], res.io, { handleSignals: false, scrubber }), 1);
  t.match(res.err(), /LeakGuard could not start: .*\[REDACTED\]/);
  t.notMatch(res.err(), secret);
});

t.test('serve in this process: listens, answers, runs the startup check, shuts down', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-cli-'));
  const scrubber = new Scrubber();
  const log = captureLog();
  // No credentials, no Slack, no EventBridge bus: it starts all the same.
  const running = await serve(parseConfig({ server: { port: 0 }, store: { url: join(dir, 'lg.db') } }), { handleSignals: false, scrubber, logger: createLogger(scrubber, { destination: log.stream }) });
  t.teardown(() => running.shutdown('test teardown'));
  t.match(await (await fetch(`${running.url}/readyz`)).json(), { status: 'ready', startupCheck: { failing: [] } });
  await eventually(async () => (log.text().includes('"msg":"startup check passed"') ? true : undefined), 'the startup check');
  await running.shutdown('test');
  await running.shutdown('again');
  t.equal(running.leakguard.app.server.listening, false, 'no longer listening');
  t.match(log.text(), '"msg":"stopped"');
  await t.rejects(running.leakguard.store.ping(), 'the store is closed');
});

t.test('check lists each credential problem and returns 1', async (t) => {
  const world = await startWorld({ replicas: 1 });
  t.teardown(() => world.close());
  const file = tempFile('leakguard.yaml', stringify(e2eConfig(world)));
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = AWS_TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = AWS_TEST_CREDENTIALS.secretAccessKey;
  t.teardown(() => {
    for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  const res = io();
  // This process calls from 127.0.0.1, which neither key is bound to.
  t.equal(await main(['check', '--config', file], res.io), 1);
  t.match(res.err(), /bybit-prod-trading: its key could not be checked: .*ip_not_allowed/);
  t.match(res.err(), /bybit-prod-trading: LeakGuard's master key could not be checked: .*ip_not_allowed/);
  t.match(res.out(), '2 problem(s)');
  t.notMatch(res.err() + res.out(), world.accounts.botKey.secret);
  t.notMatch(res.err() + res.out(), world.accounts.master.apiKey);
});
