import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { generateAppKeys } from './github/app.js';
import { appJwt, gh, startGitHub } from './github/testkit.js';

async function world(teardown: (fn: () => unknown) => void) {
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const sim = await startGitHub(teardown, clock);
  const priv = sim.addRepo({ org: 'acme', name: 'trading-bot', visibility: 'private' });
  const pub = sim.addRepo({ org: 'acme', name: 'website', visibility: 'public' });
  const a = await sim.createAlert(priv, { secret: 'priv-secret', commit: { path: 'a.env' } });
  const b = await sim.createAlert(pub, { secret: 'pub-secret', commit: { path: 'b.env' } });
  const hook = sim.addHook({ org: 'acme', url: 'http://127.0.0.1:9/unused' });
  const paths = {
    privAlert: `/repos/acme/trading-bot/secret-scanning/alerts/${a.alert.number}`,
    pubAlert: `/repos/acme/website/secret-scanning/alerts/${b.alert.number}`,
    privCommit: `/repos/acme/trading-bot/git/commits/${a.commit!.sha}`,
    pubCommit: `/repos/acme/website/git/commits/${b.commit!.sha}`,
    privRepo: '/repos/acme/trading-bot',
    orgAlerts: '/orgs/acme/secret-scanning/alerts',
    deliveries: `/orgs/acme/hooks/${hook.id}/deliveries`,
  };
  return { sim, clock, priv, pub, paths };
}

t.test('no token: 401 "Requires authentication", or 404 for a private repository; a bad token: 401 "Bad credentials"', async (t) => {
  const { sim, paths } = await world(t.teardown);
  const anon = await gh(sim, paths.pubAlert, null);
  t.same([anon.status, anon.body.message, anon.body.documentation_url, anon.body.status], [401, 'Requires authentication', 'https://docs.github.com/rest', '401']);
  t.equal(anon.headers.get('x-ratelimit-limit'), '60', 'anonymous callers get 60 an hour');
  t.equal((await gh(sim, paths.privAlert, null)).status, 404, 'a private repository is not confirmed to exist');
  t.equal((await gh(sim, paths.privRepo, null)).status, 404);
  t.equal((await gh(sim, paths.pubCommit, null)).status, 200, 'public git data needs no token');
  t.equal((await gh(sim, paths.orgAlerts, null)).status, 401);
  const bad = await gh(sim, paths.pubAlert, 'ghp_000000000000000000000000000000000000');
  t.same([bad.status, bad.body.message], [401, 'Bad credentials']);
  const malformed = await gh(sim, paths.pubAlert, null, { headers: { authorization: 'Basic' } });
  t.equal(malformed.status, 401);
});

t.test('classic tokens: repo or security_events for alerts, public_repo for public ones, admin:org_hook for deliveries; both header schemes', async (t) => {
  const { sim, paths } = await world(t.teardown);
  const status = async (path: string, scopes: string[], scheme = 'Bearer') =>
    (await gh(sim, path, null, { headers: { authorization: `${scheme} ${sim.addClassicToken(scopes)}` } })).status;
  t.equal(await status(paths.privAlert, ['repo']), 200);
  t.equal(await status(paths.privAlert, ['repo'], 'token'), 200, 'Authorization: token <t>');
  t.equal(await status(paths.privAlert, ['security_events']), 200);
  t.equal(await status(paths.privCommit, ['security_events']), 404, 'security_events does not read git data');
  t.equal(await status(paths.privCommit, ['repo']), 200);
  t.equal(await status(paths.pubAlert, ['public_repo']), 200);
  t.equal(await status(paths.privAlert, ['public_repo']), 404);
  const none = await gh(sim, paths.pubAlert, sim.addClassicToken([]));
  t.equal(none.status, 404, 'a missing scope answers 404 (troubleshooting-the-rest-api)');
  t.equal(none.headers.get('x-accepted-oauth-scopes'), 'repo, security_events, public_repo');
  t.equal(none.headers.get('x-oauth-scopes'), '');
  t.equal(await status(paths.deliveries, ['repo']), 404);
  t.equal(await status(paths.deliveries, ['admin:org_hook']), 200);

  const publicOnly = await gh(sim, paths.orgAlerts, sim.addClassicToken(['public_repo']));
  t.same(publicOnly.body.map((a: { repository: { name: string } }) => a.repository.name), ['website'], 'public_repo lists the public repositories only');
  t.equal((await gh(sim, paths.orgAlerts, sim.addClassicToken(['repo']))).body.length, 2);

  const expired = sim.addClassicToken(['repo'], { expiresAt: sim.clock.now() });
  t.equal((await gh(sim, paths.privAlert, expired)).status, 401);
});

t.test('fine-grained tokens: 403 "Resource not accessible by personal access token" without the permission, 404 outside their repositories', async (t) => {
  const { sim, paths, priv } = await world(t.teardown);
  const reader = sim.addFineGrainedToken({ owner: 'acme', permissions: { secret_scanning_alerts: 'read', contents: 'read' } });
  t.equal((await gh(sim, paths.privAlert, reader)).status, 200);
  t.equal((await gh(sim, paths.privCommit, reader)).status, 200);
  const noPerm = await gh(sim, paths.privAlert, sim.addFineGrainedToken({ owner: 'acme', permissions: { contents: 'read' } }));
  t.same([noPerm.status, noPerm.body.message], [403, 'Resource not accessible by personal access token']);
  t.equal(noPerm.headers.get('x-accepted-github-permissions'), 'secret_scanning_alerts=read');
  const hooksRead = sim.addFineGrainedToken({ owner: 'acme', permissions: { organization_hooks: 'read' } });
  t.equal((await gh(sim, paths.deliveries, hooksRead)).status, 200);
  const redeliver = await gh(sim, `${paths.deliveries}/1/attempts`, hooksRead, { method: 'POST' });
  t.same([redeliver.status, redeliver.headers.get('x-accepted-github-permissions')], [403, 'organization_hooks=write'], 'redelivery needs write');
  const otherOwner = sim.addFineGrainedToken({ owner: 'someone-else', permissions: { secret_scanning_alerts: 'read' } });
  t.equal((await gh(sim, paths.privAlert, otherOwner)).status, 404);
  t.equal((await gh(sim, paths.deliveries, otherOwner)).status, 404);
  const onlyWebsite = sim.addFineGrainedToken({ owner: 'acme', permissions: { secret_scanning_alerts: 'read' }, repositories: [sim.repo('acme/website')!] });
  t.equal((await gh(sim, paths.privAlert, onlyWebsite)).status, 404, 'a repository outside the selection is not found');
  t.same((await gh(sim, paths.orgAlerts, onlyWebsite)).body.map((a: { repository: { id: number } }) => a.repository.id !== priv.id), [true]);
});

t.test('a GitHub App: RS256 JWT -> installation token (1 h, its permissions) -> REST within those permissions', async (t) => {
  const { sim, clock, paths } = await world(t.teardown);
  const app = sim.addApp({ permissions: { secret_scanning_alerts: 'read', contents: 'read', organization_hooks: 'write', metadata: 'read' } });
  t.match(app.privateKey, /^-----BEGIN RSA PRIVATE KEY-----/, 'a PKCS#1 key, as GitHub hands it out');
  const inst = sim.installApp(app, { org: 'acme', permissions: { secret_scanning_alerts: 'read', contents: 'read', metadata: 'read' } });
  const tokenPath = `/app/installations/${inst.id}/access_tokens`;
  const post = async (jwt: string, body?: unknown) => gh(sim, tokenPath, jwt, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });

  const me = await gh(sim, '/app', await appJwt(app, clock.now()));
  t.match(me.body, { id: app.id, client_id: app.clientId, slug: app.slug });
  const created = await post(await appJwt(app, clock.now()));
  t.equal(created.status, 201);
  t.match(created.body, { token: /^ghs_/, expires_at: '2026-05-01T13:00:00Z', repository_selection: 'all' });
  t.same(created.body.permissions, { secret_scanning_alerts: 'read', contents: 'read', metadata: 'read' });
  const byAppId = await post(await appJwt(app, clock.now(), { iss: app.id }));
  t.equal(byAppId.status, 201, 'iss may be the App ID as well as the client ID');

  const token = created.body.token as string;
  t.equal((await gh(sim, paths.privAlert, token)).status, 200);
  t.equal((await gh(sim, paths.privCommit, token)).status, 200);
  const hooks = await gh(sim, paths.deliveries, token);
  t.same([hooks.status, hooks.body.message, hooks.headers.get('x-accepted-github-permissions')], [403, 'Resource not accessible by integration', 'organization_hooks=read']);
  t.equal((await gh(sim, paths.privAlert, await appJwt(app, clock.now()))).status, 401, 'a JWT is no installation token');

  const narrowed = await post(await appJwt(app, clock.now()), { permissions: { secret_scanning_alerts: 'read' }, repositories: ['website'] });
  t.equal(narrowed.status, 201);
  t.equal(narrowed.body.repository_selection, 'selected');
  t.equal((await gh(sim, paths.privAlert, narrowed.body.token)).status, 404);
  t.equal((await gh(sim, paths.pubAlert, narrowed.body.token)).status, 200);
  t.equal((await post(await appJwt(app, clock.now()), { permissions: { organization_hooks: 'read' } })).status, 422, 'not more than the installation has');

  await clock.advance(3_600_000);
  const expired = await gh(sim, paths.privAlert, token);
  t.same([expired.status, expired.body.message], [401, 'Bad credentials'], 'installation tokens expire after an hour');
});

t.test('JWT refusals, with GitHub\'s messages', async (t) => {
  const { sim, clock } = await world(t.teardown);
  const app = sim.addApp({ permissions: { secret_scanning_alerts: 'read' } });
  const inst = sim.installApp(app, { org: 'acme' });
  const tokenPath = `/app/installations/${inst.id}/access_tokens`;
  const refusal = async (jwt: string) => {
    const res = await gh(sim, tokenPath, jwt, { method: 'POST' });
    return [res.status, res.body.message];
  };
  const s = Math.floor(clock.now() / 1000);
  t.same(await refusal(await appJwt(app, clock.now(), { exp: s + 601 })), [401, "'Expiration time' claim ('exp') is too far in the future"]);
  t.same(await refusal(await appJwt(app, clock.now(), { iat: s - 700, exp: s - 1 })), [401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"]);
  t.same(await refusal(await appJwt(app, clock.now(), { iat: s + 30 })), [401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"]);
  t.same(await refusal(await appJwt(app, clock.now(), {}, generateAppKeys().privateKey)), [401, 'A JSON web token could not be decoded'], 'signed with another key');
  t.same(await refusal(await appJwt(app, clock.now(), { iss: 'Iv23li-unknown' })), [401, 'A JSON web token could not be decoded']);
  t.same(await refusal('not.a.jwt'), [401, 'A JSON web token could not be decoded']);
  t.equal((await gh(sim, tokenPath, null, { method: 'POST' })).status, 401);
  t.equal((await gh(sim, `/app/installations/${inst.id + 999}/access_tokens`, await appJwt(app, clock.now()), { method: 'POST' })).status, 404);
  t.equal((await refusal(await appJwt(app, clock.now(), { exp: s + 600 })))[0], 201, 'exactly 10 minutes is allowed');
});
