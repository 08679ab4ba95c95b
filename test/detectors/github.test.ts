import t from 'tap';
import type { Test } from 'tap';
import type { Signal } from '../../src/core/signal.js';
import { SIGNAL_WORK } from '../../src/intake/intake.js';
import { secretJson, WORLD } from '../sim/world.js';
import { githubSetup, type GitHubSetup } from '../helpers/github.js';

const ALERT_WORK = 'github.alert';
const ALERT_OP = 'GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}';

/** Everything LeakGuard keeps about GitHub, as one text: no secret may appear in it, in any form the scrubber knows. */
async function everythingStored(s: GitHubSetup): Promise<string> {
  const { store } = s.ts;
  return JSON.stringify([
    await store.listSignals({}),
    await store.listWork({ limit: 1000 }),
    await store.getBaseline('github', 'hooks'),
    await store.listIncidents({}),
    s.e2e.log.text(),
  ]);
}

function assertNoSecret(t: Test, text: string, ...secrets: string[]) {
  for (const secret of secrets) {
    t.notOk(text.includes(secret), 'the secret appears nowhere');
    t.notOk(text.includes(Buffer.from(secret).toString('base64')), 'nor in base64');
    t.notOk(text.includes(Buffer.from(secret).toString('hex')), 'nor in hex');
  }
}

t.test('a leak in a public repository: the AWSCURRENT key matched, confirmed, evidence from the commit, no secret kept', async (t) => {
  // No organisation to reconcile yet: the first pass, run as LeakGuard starts, would list the new alert too and race the delivery to the signal.
  const s = await githubSetup(t, { github: { organizations: [] } });
  const { github, accounts, secretsManager } = s.e2e.world;
  const repo = github.addRepo({ org: WORLD.githubOrg, name: 'public-notes', visibility: 'public' });
  const authored = '2026-11-30T08:15:00Z';
  const { alert, commit } = await github.createAlert(repo, { secret: accounts.botKey.apiKey, commit: { path: 'deploy/.env', author: { date: authored }, committer: { date: '2026-11-30T09:00:00Z' } } });
  const signal = await s.w.signal((x) => x.kind === 'github.secret.public_leak');
  t.equal(signal.source, 'github');
  t.equal(signal.credentialId, 'bybit-prod-trading');
  t.equal(signal.confidence, 'confirmed');
  const current = secretsManager.secret(WORLD.secretId)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
  t.same(signal.match, { key: 'credential', field: 'api_key', revoked: false, stage: 'AWSCURRENT', versionId: current.versionId });
  t.equal(signal.observedAt, Date.parse(authored), "observedAt is the commit's author date (evidence only)");
  t.ok(signal.receivedAt >= signal.observedAt);
  t.match(signal.evidence, {
    repository: `${WORLD.githubOrg}/public-notes`,
    visibility: 'public',
    alertNumber: alert.number,
    alertUrl: `https://github.com/${WORLD.githubOrg}/public-notes/security/secret-scanning/${alert.number}`,
    location: { type: 'commit', commitSha: commit!.sha, path: 'deploy/.env' },
    authorDate: authored,
    committerDate: '2026-11-30T09:00:00Z',
    via: 'webhook',
    event: 'secret_scanning_alert',
    action: 'created',
    hookId: s.hook.id,
  });
  await s.w.ended(ALERT_WORK, 'done');
  const queued = await s.ts.store.listWork({ kind: SIGNAL_WORK });
  t.same(queued.map((w) => w.payload), [{ signalId: signal.id }], 'the signal waits for the engine on the work queue');
  assertNoSecret(t, await everythingStored(s), accounts.botKey.apiKey, accounts.botKey.secret);
  t.same(await s.ts.store.getBaseline('github', 'hooks'), { [WORLD.githubOrg]: s.hook.id }, 'the hook id is learned for reconciliation');
});

t.test('a leak in a private repository is suspected, then confirmed by an authenticated read with the key', async (t) => {
  const s = await githubSetup(t);
  const { github, accounts } = s.e2e.world;
  const repo = github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!;
  // GitHub runs no validity check for custom patterns: validity stays unknown.
  await github.createAlert(repo, { secret: accounts.botKey.secret, commit: { path: 'src/config.ts' } });
  const suspected = await s.w.signal((x) => x.kind === 'github.secret.private_leak' && x.confidence === 'suspected');
  t.equal(suspected.match?.field, 'api_secret', 'the secret half of the key pair matched');
  t.equal(suspected.evidence.validity, 'unknown');
  const confirmed = await s.w.signal((x) => x.kind === 'github.secret.private_leak' && x.confidence === 'confirmed');
  t.equal(confirmed.credentialId, 'bybit-prod-trading');
  t.match(confirmed.evidence.keyCheck, 'the key works at bybit');
  t.not(confirmed.dedupKey, suspected.dedupKey);
  assertNoSecret(t, await everythingStored(s), accounts.botKey.apiKey, accounts.botKey.secret);
});

t.test('a secret that is not ours gives one unmatched signal, kept for the audit and queued for nothing', async (t) => {
  const s = await githubSetup(t);
  const { github } = s.e2e.world;
  const foreign = 'FoReIgNkEy0123456789';
  await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: foreign, commit: { path: 'a.txt' } });
  await s.w.ended(ALERT_WORK, 'done');
  t.same(
    s.w.signals.map((x) => [x.kind, x.credentialId, x.match]),
    [['github.secret.private_leak.unmatched', null, null]],
  );
  t.same(await s.ts.store.listWork({ kind: SIGNAL_WORK }), [], 'nothing for the engine');
  t.same(await s.ts.store.listIncidents({}), []);
  assertNoSecret(t, await everythingStored(s), foreign);
});

t.test('after a rotation: the new key is found by re-reading the versions, and a leak of the AWSPREVIOUS key names that version', async (t) => {
  const s = await githubSetup(t);
  const { github, accounts, secretsManager } = s.e2e.world;
  const repo = github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!;
  const old = secretsManager.secret(WORLD.secretId)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
  // Rotated behind the matcher's back (it read the versions at start): the new key is AWSCURRENT, the leaked one AWSPREVIOUS.
  const fresh = { apiKey: 'NEWkey000111222333', secret: 'NEWsecret444555666777888' };
  const newVersion = await s.e2e.clients.secrets.writeKey(WORLD.secretId, '00000000-0000-4000-8000-000000000001', JSON.parse(secretJson(fresh, 'test rotation')), 'AWSCURRENT');
  await github.createAlert(repo, { secret: fresh.apiKey, commit: { path: 'new.env' } });
  const newLeak = await s.w.signal((x) => x.kind === 'github.secret.private_leak' && x.match?.versionId === newVersion);
  t.equal(newLeak.match?.stage, 'AWSCURRENT', 'matched once the versions were read again');
  await github.createAlert(repo, { secret: accounts.botKey.apiKey, commit: { path: 'old.env' } });
  const oldLeak = await s.w.signal((x) => x.kind === 'github.secret.private_leak' && x.match?.versionId === old.versionId);
  t.equal(oldLeak.match?.stage, 'AWSPREVIOUS');
  t.equal(oldLeak.credentialId, 'bybit-prod-trading');
});

t.test("a leak of LeakGuard's own master key is a signal for the credential it manages", async (t) => {
  const s = await githubSetup(t);
  const { github, accounts } = s.e2e.world;
  await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: accounts.master.apiKey, commit: { path: 'ops/master.txt' } });
  const signal = await s.w.signal((x) => x.kind === 'github.secret.private_leak');
  t.equal(signal.credentialId, 'bybit-prod-trading');
  t.same(signal.match, { key: 'master', field: 'api_key', revoked: false });
});

t.test('GitHub down: one unverified signal and no incident, then the real signal once the alert can be fetched', async (t) => {
  const s = await githubSetup(t);
  const { github, accounts } = s.e2e.world;
  github.faults.inject(ALERT_OP, { kind: 'error', status: 503, body: { message: 'Service Unavailable' }, times: 2 });
  await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: accounts.botKey.apiKey, commit: { path: 'x.env' } });
  const unverified = await s.w.signal((x) => x.kind === 'github.secret.unverified');
  t.equal(unverified.credentialId, null);
  t.match(unverified.evidence.why, 'GitHub has trouble; LeakGuard retries');
  const real = await s.w.signal((x) => x.kind === 'github.secret.private_leak');
  t.equal(real.credentialId, 'bybit-prod-trading');
  t.equal(s.w.signals.filter((x) => x.kind === 'github.secret.unverified').length, 1, 'one unverified signal for the alert, not one per try');
  t.same(await s.ts.store.listIncidents({}), [], 'no incident: the detector only reports');
  const unverifiedWork = (await s.ts.store.listWork({ kind: SIGNAL_WORK })).filter((w) => w.payload.signalId === unverified.id);
  t.equal(unverifiedWork.length, 1, 'the unverified signal goes to the engine too (it alerts, never rotates)');
});

t.test('resolved and assignment deliveries: the state is the one fetched; a resolved alert gives a resolved signal, assignment nothing new', async (t) => {
  const s = await githubSetup(t);
  const { github, accounts } = s.e2e.world;
  const { alert } = await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: accounts.botKey.apiKey, commit: { path: 'x.env' } });
  await s.w.signal((x) => x.kind === 'github.secret.private_leak');
  await github.assign(alert, github.actor);
  await s.w.ended(ALERT_WORK, 'done', 2);
  t.equal(s.w.signals.filter((x) => x.kind === 'github.secret.private_leak').length, 2, 'the assignment brought no new signal (suspected and confirmed only)');
  await github.resolve(alert, 'revoked');
  const resolved = await s.w.signal((x) => x.kind === 'github.secret.resolved');
  t.equal(resolved.credentialId, 'bybit-prod-trading');
  t.equal(resolved.evidence.resolution, 'revoked');
});

t.test('without REST access: deliveries are taken, the detector says so, and each alert gives an unverified signal', async (t) => {
  const s = await githubSetup(t, { api: false });
  const { github, accounts } = s.e2e.world;
  const [health] = s.lg.intake.health();
  t.match(health!.limits[0], 'no REST access');
  await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: accounts.botKey.apiKey, commit: { path: 'x.env' } });
  const signal = await s.w.signal((x: Signal) => x.kind === 'github.secret.unverified');
  t.match(signal.evidence.why, 'no REST access');
  t.ok(s.lg.intake.health()[0]!.lastHeardAt, 'the delivery counts as hearing from GitHub');
  t.equal(github.requests.length, 0, 'nothing was asked of the REST API');
});
