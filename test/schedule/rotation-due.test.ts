import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { dueReason, keyAge, rotationCheckJob, EXPIRY_MARGIN_MS } from '../../src/schedule/rotation-due.js';
import { playbookPlan } from '../../responders/playbooks.js';
import { responderWorld } from '../responders/harness.js';

t.setTimeout(120_000);
const DAY = 86_400_000;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

t.test('the due rule: age against rotationDays, and an expiry the exchange announced', async (t) => {
  const credential = { rotationDays: 90 } as Parameters<typeof dueReason>[0];
  const now = Date.UTC(2026, 5, 1);
  t.equal(dueReason(credential, { createdAt: now - 89 * DAY, expiresAt: null, source: 'exchange' }, now), undefined);
  t.match(dueReason(credential, { createdAt: now - 90 * DAY, expiresAt: null, source: 'exchange' }, now), /90 days old \(exchange\), rotationDays is 90/);
  t.match(dueReason(credential, { createdAt: now - DAY, expiresAt: now + EXPIRY_MARGIN_MS, source: 'exchange' }, now), /expires the key at 2026-06-04/);
  t.equal(dueReason(credential, { createdAt: now - DAY, expiresAt: now + EXPIRY_MARGIN_MS + 1, source: 'exchange' }, now), undefined);
  t.equal(dueReason(credential, { createdAt: null, expiresAt: null, source: 'secret version' }, now), undefined, 'no date: nothing is guessed');
});

t.test("a key older than rotationDays by Bybit's createdAt gets one scheduled incident, however often the check runs", async (t) => {
  const env = await responderWorld(t);
  const { world, clients, store, incidents, credential } = env;
  const bot = world.bybit.keys().find((k) => k.apiKey === world.accounts.botKey.apiKey)!;
  const clock = new ManualClock(bot.createdAt + 10 * DAY);
  const job = (credentials = [credential]) =>
    rotationCheckJob({ credentials, clients, incidents, store, clock, logger: quiet, plan: () => playbookPlan('scheduled'), everyMinutes: 60 });
  const signal = new AbortController().signal;

  const age = await keyAge(credential, clients);
  t.equal(age.source, 'exchange');
  t.equal(age.createdAt, Math.floor(bot.createdAt / 1000) * 1000, "query-api's createdAt, to the second");
  t.equal(age.expiresAt, null, 'a bound key does not expire');

  await job([{ ...credential, rotationDays: 11 }]).run(0, signal);
  t.equal(await store.getActiveIncident(credential.id), undefined, 'a 10-day-old key with rotationDays 11 stays');

  const old = { ...credential, rotationDays: 10 };
  await Promise.all([job([old]).run(0, signal), job([old]).run(0, signal)]);
  const opened = await store.listIncidents({ credentialId: credential.id });
  t.equal(opened.length, 1, 'two replicas checking at once open one incident');
  t.equal(opened[0]!.playbook, 'scheduled');
  t.match(opened[0]!.reason, /^scheduled rotation: the key is 10 days old \(exchange\), rotationDays is 10/);
  t.match((await store.listTimeline(opened[0]!.id))[0], { actor: 'system:schedule', type: 'incident.opened' });
  await job([old]).run(0, signal);
  t.equal((await store.listIncidents({ credentialId: credential.id })).length, 1, 'a later check while it runs opens nothing');
});

t.test('a credential that cannot be read fails the pass after the others were checked', async (t) => {
  const env = await responderWorld(t);
  const { clients, store, incidents, credential, world } = env;
  const bot = world.bybit.keys().find((k) => k.apiKey === world.accounts.botKey.apiKey)!;
  const clock = new ManualClock(bot.createdAt + 100 * DAY);
  const missing = { ...credential, id: 'gone', secretId: 'prod/no-such-secret' };
  const job = rotationCheckJob({ credentials: [missing, credential], clients, incidents, store, clock, logger: quiet, plan: () => playbookPlan('scheduled'), everyMinutes: 60 });
  await t.rejects(job.run(0, new AbortController().signal), /could not read 1 credential\(s\): gone: .*can't find the specified secret/);
  t.match(await store.getActiveIncident(credential.id), { playbook: 'scheduled' }, 'the readable one was still checked');
});
