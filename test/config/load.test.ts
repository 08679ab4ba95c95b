import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const example = join(root, 'infra/examples/leakguard.yaml');

t.test('the shipped example is valid and defaults are applied', async (t) => {
  const config = loadConfig(example, {});
  t.equal(config.credentials.length, 2);
  t.equal(config.credentials[0]!.rotationDays, 90);
  t.equal(config.credentials[1]!.rotationDays, 90, 'default applied');
  t.same(config.credentials[1]!.trades.settleCoins, [], 'nested default applied');
  t.equal(config.server.port, 8080);
  t.same(config.detectors.github, { enabled: true, webhookSecret: { env: 'LEAKGUARD_GITHUB_WEBHOOK_SECRET' }, previousWebhookSecrets: [], api: { token: { env: 'LEAKGUARD_GITHUB_TOKEN' } }, organizations: [{ login: 'example-trading' }], deliveriesPerMinute: 6000, reconcileMinutes: 5, lookbackHours: 72, silentAfterMinutes: 1440 }, 'the detector section from its own schema, defaults applied');
});

t.test('an empty document gets every default', async (t) => {
  const c = parseConfig({});
  t.equal(c.store.url, './data/leakguard.db');
  t.equal(c.server.host, '127.0.0.1');
  t.same(c.credentials, []);
  t.same(c.api.tokens, []);
});

t.test('environment overrides set deployment-specific values', async (t) => {
  const c = loadConfig(example, { LEAKGUARD_PORT: '9999', LEAKGUARD_STORE_URL: 'postgres://db/x', LEAKGUARD_EGRESS_IPS: '["198.51.100.1"]', LEAKGUARD_HOST: '10.0.0.1' });
  t.equal(c.server.port, 9999);
  t.equal(c.store.url, 'postgres://db/x');
  t.same(c.server.egressIps, ['198.51.100.1']);
  t.equal(c.server.host, '10.0.0.1');
});

t.test("each exchange's config properties get an override: LEAKGUARD_<EXCHANGE>_<PROPERTY>", async (t) => {
  const c = loadConfig(example, { LEAKGUARD_BYBIT_BASE_URL: 'https://api-testnet.bybit.com', LEAKGUARD_BYBIT_RECV_WINDOW_MS: '10000', LEAKGUARD_BINANCE_BASE_URL: 'https://testnet.binance.vision' });
  t.same(c.exchanges.bybit, { baseUrl: 'https://api-testnet.bybit.com', recvWindowMs: 10000 });
  t.equal(c.exchanges.binance?.baseUrl, 'https://testnet.binance.vision');
});

t.test('every problem is listed by path', async (t) => {
  const bad = {
    server: { port: 'eighty', extra: 1 },
    credentials: [
      { id: 'ok-one', exchange: 'bybit', account: { masterKey: { env: 'M' } }, secretId: 's', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['spot'] }, orderLinkPrefix: 'x' },
      { id: 'Bad Id', exchange: 'kraken', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['spot'] }, orderLinkPrefix: 'x' },
    ],
    api: { tokens: [{ name: 't', sha256: 'plain-token', roles: ['god'] }] },
  };
  const err = t.throws(() => parseConfig(bad, 'bad.yaml')) as ConfigError;
  t.type(err, ConfigError);
  const problems = err.problems.join('\n');
  t.match(problems, 'server.port: must be integer');
  t.match(problems, 'server.extra: unknown field');
  t.match(problems, 'credentials[1].secretId: required');
  t.match(problems, 'credentials[1].id: must match pattern');
  t.match(problems, 'credentials[1].exchange: must be one of the allowed forms ("bybit", "binance")');
  t.match(problems, 'api.tokens[0].sha256: must match pattern');
  t.match(problems, 'api.tokens[0].roles[0]');
  t.notMatch(problems, 'credentials[0]', 'the valid credential is not blamed');
});

t.test('rules a schema cannot express are checked too', async (t) => {
  const cred = { id: 'dup', exchange: 'bybit', account: {}, secretId: 's', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['linear'] }, orderLinkPrefix: 'x' };
  const err = t.throws(() => parseConfig({ credentials: [cred, cred] })) as ConfigError;
  t.match(err.problems.join('\n'), 'credentials[1].id: "dup" is already used by credentials[0]');
  t.match(err.problems.join('\n'), 'credentials[0].account.masterKey: required for bybit');
  t.match(err.problems.join('\n'), 'credentials[0].trades.settleCoins');
});

t.test('leakguard config check: exit 0 when valid, 2 with every problem when not', async (t) => {
  const ok = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'config', 'check', example], { cwd: root });
  t.match(ok.stdout, 'valid');
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-config-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, stringify({ credentials: [{ id: 'x', exchange: 'bybit' }] }));
  const res = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'config', 'check', file], { cwd: root }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  t.equal(res.code, 2);
  t.match(res.stderr, 'credentials[0].secretId: required');
  t.match(res.stderr, 'credentials[0].workload: required');
  writeFileSync(file, 'a: [unclosed');
  const yamlErr = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'config', 'check', file], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  t.equal((yamlErr as { code: number }).code, 2);
  t.match((yamlErr as { stderr: string }).stderr, 'not valid YAML');
  const missing = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'config', 'check', join(dir, 'nope.yaml')], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  t.match((missing as { stderr: string }).stderr, 'cannot read the file (ENOENT)');
});

t.test('leakguard --help and bad usage', async (t) => {
  const help = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', '--help'], { cwd: root });
  t.match(help.stdout, 'leakguard serve');
  const bad = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'frobnicate'], { cwd: root }).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 2);
  t.match((bad as { stderr: string }).stderr, 'unknown command');
});
