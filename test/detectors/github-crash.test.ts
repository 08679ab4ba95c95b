import t from 'tap';
import { Scrubber } from '../../src/core/scrubber.js';
import { openStore } from '../../src/store/open.js';
import { eventually, spawnRunner } from '../helpers/runner-child.js';
import { startE2E } from '../helpers/e2e.js';
import { githubSetup, TOKEN_SECRET_ID, WEBHOOK_SECRET_ID } from '../helpers/github.js';
import { sqliteStore } from '../helpers/stores.js';
import { WORLD } from '../sim/world.js';
import type { ChildWorld } from '../responders/fixtures/child-runner.js';

const script = new URL('./fixtures/github-child.ts', import.meta.url).pathname;
const ALERT_OP = 'GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}';

t.test('SIGKILL after the 202 and before the alert is fetched: after the restart the alert is fetched and the signal stored, once', async (t) => {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const { world } = e2e;
  const ts = await sqliteStore(new Scrubber());
  t.teardown(() => ts.cleanup());
  const secret = 'whsec_kill_test_0123456789';
  world.secretsManager.seedSecret({ name: WEBHOOK_SECRET_ID, secretString: secret });
  world.secretsManager.seedSecret({ name: TOKEN_SECRET_ID, secretString: world.githubToken });
  const section = { enabled: true, webhookSecret: { secretsManager: WEBHOOK_SECRET_ID }, api: { baseUrl: world.urls.github, token: { secretsManager: TOKEN_SECRET_ID } }, organizations: [{ login: WORLD.githubOrg }] };
  const childWorld: ChildWorld = { urls: world.urls, accounts: world.accounts, slackWebhook: world.slackWebhook, k8sToken: world.kubernetes.token };
  const common = { url: ts.url, dir: '', script, leaseTtlMs: 1_000, env: { LG_WORLD: JSON.stringify(childWorld), LG_GITHUB: JSON.stringify(section) } };

  // The first process's fetch of the alert is held at GitHub until it is dead.
  let release!: () => void;
  world.github.faults.inject(ALERT_OP, { kind: 'hold', until: new Promise<void>((r) => (release = r)), times: 1 });
  const first = spawnRunner({ ...common, holder: 'first' });
  t.teardown(() => void first.child.kill('SIGKILL'));
  const listening = (await first.waitFor((e) => (e.type as string) === 'listening')) as unknown as { port: number };
  const hook = world.github.addHook({ org: WORLD.githubOrg, url: `http://127.0.0.1:${listening.port}/webhooks/github`, secret });
  const { deliveries } = await world.github.createAlert(world.github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: world.accounts.botKey.apiKey, commit: { path: 'k.env' } });
  t.equal(deliveries[0]!.statusCode, 202, 'answered 202: queued durably');
  await eventually(async () => (world.github.faults.delayed.includes(ALERT_OP) ? true : undefined), 'the first process asked GitHub for the alert');
  first.child.kill('SIGKILL');
  t.equal((await first.exited).signal, 'SIGKILL');
  release();

  const second = spawnRunner({ ...common, holder: 'second' });
  t.teardown(() => void second.child.kill('SIGKILL'));
  await second.waitFor((e) => (e.type as string) === 'work.ended' && (e as unknown as { kind: string; outcome: string }).kind === 'github.alert' && (e as unknown as { outcome: string }).outcome === 'done', 60_000);
  second.child.kill('SIGTERM');
  await second.exited;

  const store = await openStore({ url: ts.url, scrubber: new Scrubber() });
  t.teardown(() => store.close());
  const signals = await store.listSignals({});
  t.same(
    signals.map((s) => [s.kind, s.confidence, s.credentialId]).sort(),
    [
      ['github.secret.private_leak', 'confirmed', 'bybit-prod-trading'],
      ['github.secret.private_leak', 'suspected', 'bybit-prod-trading'],
    ],
    'the alert was fetched after the restart and its signals stored once',
  );
  const work = await store.getWork(`github.alert:${hook.id}:${deliveries[0]!.guid}`);
  t.equal(work?.status, 'done', "the delivery queued before the kill was run by the second process");
});

t.test('an alert created while LeakGuard was stopped is found after it starts: the failed delivery redelivered, the open alert listed', async (t) => {
  const s = await githubSetup(t);
  const { github, accounts } = s.e2e.world;
  // A ping teaches LeakGuard the hook id, which it needs to list the hook's deliveries.
  const [ping] = await github.ping(s.hook);
  t.equal(ping!.statusCode, 200);
  await s.lg.close(0);
  const { deliveries } = await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: accounts.botKey.apiKey, commit: { path: 'while-down.env' } });
  t.ok(deliveries[0]!.statusCode >= 500, 'GitHub could not deliver: LeakGuard was down');
  await s.restart();
  const signal = await s.w.signal((x) => x.kind === 'github.secret.private_leak' && x.confidence === 'suspected');
  t.equal(signal.credentialId, 'bybit-prod-trading');
  await github.hooks.idle();
  const redelivered = github.hooks.deliveries.filter((d) => d.redelivery && d.guid === deliveries[0]!.guid);
  t.same(redelivered.map((d) => d.statusCode), [202], 'the failed delivery was redelivered once, and taken');
  const listed = await s.ts.store.listWork({ kind: 'github.alert' });
  t.ok(listed.some((w) => w.id.includes(':listed:')), 'the open alert was found by listing the organisation too');
  await s.w.ended('github.alert', 'done', 2);
  t.equal((await s.ts.store.listSignals({})).filter((x) => x.kind === 'github.secret.private_leak' && x.confidence === 'suspected').length, 1, 'found twice, stored once');
});
