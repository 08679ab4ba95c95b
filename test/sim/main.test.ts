import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const root = new URL('../../', import.meta.url).pathname;

t.test('npm run sim starts every simulator, writes how to reach and enter them, stops on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-sim-'));
  const portsFile = join(dir, 'ports.json');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--ports-file', portsFile], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // A failed assertion must not leave the simulators running.
  t.teardown(() => void (child.exitCode === null && child.kill('SIGTERM')));
  let out = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('simulators running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sim exited (${code}) before it started: ${out}`)));
  });
  await started;
  const ports = JSON.parse(readFileSync(portsFile, 'utf8')) as Record<string, string>;
  t.same(Object.keys(ports).sort(), [
    'awsAccessKeyId',
    'awsRegion',
    'awsSecretAccessKey',
    'binance',
    'bybit',
    'cloudtrail',
    'eventbridge',
    'github',
    'githubToken',
    'kubernetes',
    'kubernetesToken',
    'secretsmanager',
    'slack',
    'slackWebhook',
  ]);
  const time = (await fetch(`${ports.bybit}/v5/market/time`).then((r) => r.json())) as { retCode: number };
  t.equal(time.retCode, 0, 'bybit answers');
  const deployment = `${ports.kubernetes}/apis/apps/v1/namespaces/prod/deployments/live-trading-bot`;
  t.equal((await fetch(deployment)).status, 401, 'kubernetes wants its token');
  t.equal((await fetch(deployment, { headers: { authorization: `Bearer ${ports.kubernetesToken}` } })).status, 200, '...the one in the ports file');
  const sm = new SecretsManagerClient({ endpoint: ports.secretsmanager, region: ports.awsRegion, credentials: { accessKeyId: ports.awsAccessKeyId!, secretAccessKey: ports.awsSecretAccessKey! } });
  t.teardown(() => sm.destroy());
  t.match(JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: 'prod/bybit/api' }))).SecretString!), { api_key: String }, 'AWS accepts the credentials in the ports file');
  const posted = await fetch(ports.slackWebhook!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello' }) });
  t.same([posted.status, await posted.text()], [200, 'ok'], 'the Slack webhook takes a message');
  const repo = await fetch(`${ports.github}/repos/example-trading/live-trading-bot`, { headers: { authorization: `Bearer ${ports.githubToken}` } });
  t.equal(repo.status, 200, "github answers the ports file's token");
  for (const value of [ports.bybit, ports.slackWebhook, ports.kubernetesToken, ports.awsAccessKeyId, ports.awsSecretAccessKey, ports.githubToken]) t.ok(out.includes(value!), `printed: ${value}`);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  t.equal(code, 0);
});
