import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { startWorld, AWS_TEST_CREDENTIALS } from '../sim/world.js';
import { e2eConfig } from '../helpers/e2e.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;

t.test('leakguard check lists each problem by credential and exits 1', async (t) => {
  const world = await startWorld({ replicas: 1 });
  t.teardown(() => world.close());
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-check-'));
  const file = join(dir, 'leakguard.yaml');
  // The end-to-end config, as a file: only the key checks matter here.
  writeFileSync(file, stringify(e2eConfig(world)));
  // This process calls from 127.0.0.1, which neither key is bound to: the exchange refuses both.
  const res = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'check', '--config', file], {
    cwd: root,
    env: { ...process.env, AWS_ACCESS_KEY_ID: AWS_TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: AWS_TEST_CREDENTIALS.secretAccessKey },
  }).then(
    () => ({ code: 0, stdout: '', stderr: '' }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  t.equal(res.code, 1);
  t.match(res.stderr, /bybit-prod-trading: its key could not be checked: .*ip_not_allowed/);
  t.match(res.stderr, /bybit-prod-trading: LeakGuard's master key could not be checked: .*ip_not_allowed/);
  t.match(res.stdout, '2 problem(s)');
  t.notMatch(res.stderr + res.stdout, world.accounts.botKey.secret);
  t.notMatch(res.stderr + res.stdout, world.accounts.master.apiKey);
});
