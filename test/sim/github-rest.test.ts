import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import type { LocationSeed } from './github/model.js';
import { gh, startGitHub } from './github/testkit.js';

const SECRET = 'XK3jLmN0pQ8rS2tUv4';

async function world(teardown: (fn: () => unknown) => void, clock = new ManualClock(Date.UTC(2026, 4, 1, 12))) {
  const sim = await startGitHub(teardown, clock);
  const repo = sim.addRepo({ org: 'acme', name: 'trading-bot', visibility: 'private' });
  const token = sim.addClassicToken(['repo', 'admin:org_hook']);
  return { sim, repo, token, clock };
}

t.test('an alert: the secret, its commit location, and the commit behind commit_url with author and committer dates', async (t) => {
  const { sim, repo, token } = await world(t.teardown);
  const { alert, commit } = await sim.createAlert(repo, {
    secret: SECRET,
    commit: { path: 'config/prod.env', startLine: 7, author: { name: 'Mallory', email: 'm@example.com', date: '2026-04-30T23:59:00+02:00' }, committer: { name: 'GitHub', email: 'noreply@github.com', date: '2026-05-01T08:00:00Z' } },
  });
  const got = await gh(sim, `/repos/acme/trading-bot/secret-scanning/alerts/${alert.number}`, token);
  t.equal(got.status, 200);
  t.match(got.body, {
    number: 1,
    state: 'open',
    secret: SECRET,
    secret_type: 'bybit_api_key',
    secret_type_display_name: 'Bybit API key',
    validity: 'unknown',
    publicly_leaked: false,
    resolution: null,
    provider: null,
    created_at: '2026-05-01T12:00:00Z',
    updated_at: '2026-05-01T12:00:00Z',
    html_url: 'https://github.com/acme/trading-bot/security/secret-scanning/1',
    url: `${sim.url}/repos/acme/trading-bot/secret-scanning/alerts/1`,
    locations_url: `${sim.url}/repos/acme/trading-bot/secret-scanning/alerts/1/locations`,
  });
  t.notOk('secret' in (await gh(sim, `/repos/acme/trading-bot/secret-scanning/alerts/1?hide_secret=true`, token)).body, 'hide_secret=true leaves it out');

  const locations = await gh(sim, got.body.locations_url.slice(sim.url.length), token);
  t.equal(locations.status, 200);
  t.equal(locations.body.length, 1);
  const { type, details } = locations.body[0];
  t.equal(type, 'commit');
  t.match(details, { path: 'config/prod.env', start_line: 7, commit_sha: commit!.sha, commit_url: `${sim.url}/repos/acme/trading-bot/git/commits/${commit!.sha}` });
  t.same(Object.keys(details).sort(), ['blob_sha', 'blob_url', 'commit_sha', 'commit_url', 'end_column', 'end_line', 'path', 'start_column', 'start_line']);

  const c = await gh(sim, details.commit_url.slice(sim.url.length), token);
  t.equal(c.status, 200);
  t.match(c.body, { sha: commit!.sha, author: { name: 'Mallory', date: '2026-04-30T23:59:00+02:00' }, committer: { date: '2026-05-01T08:00:00Z' }, message: 'Add configuration' });

  const r = await gh(sim, '/repos/acme/trading-bot', token);
  t.match(r.body, { full_name: 'acme/trading-bot', private: true, visibility: 'private', owner: { login: 'acme', type: 'Organization' } });
});

t.test('every location type has its URL fields', async (t) => {
  const { sim, repo, token } = await world(t.teardown);
  const seeds: LocationSeed[] = [
    { type: 'wiki_commit', commitSha: 'a'.repeat(40), path: '/Home.md' },
    { type: 'issue_title', issue: 3 },
    { type: 'issue_body', issue: 3 },
    { type: 'issue_comment', issue: 3, comment: 11 },
    { type: 'pull_request_title', pull: 4 },
    { type: 'pull_request_body', pull: 4 },
    { type: 'pull_request_comment', pull: 4, comment: 12 },
    { type: 'pull_request_review', pull: 4, review: 13 },
    { type: 'pull_request_review_comment', pull: 4, comment: 14 },
    { type: 'discussion_title', discussion: 5 },
    { type: 'discussion_body', discussion: 5 },
    { type: 'discussion_comment', discussion: 5, comment: 15 },
  ];
  const { alert } = await sim.createAlert(repo, { secret: SECRET, locations: seeds });
  const got = await gh(sim, `/repos/acme/trading-bot/secret-scanning/alerts/${alert.number}/locations?per_page=100`, token);
  const keys = Object.fromEntries(got.body.map((l: { type: string; details: object }) => [l.type, Object.keys(l.details).sort().join(',')]));
  t.same(keys, {
    wiki_commit: 'blob_sha,commit_sha,commit_url,end_column,end_line,page_url,path,start_column,start_line',
    issue_title: 'issue_title_url',
    issue_body: 'issue_body_url',
    issue_comment: 'issue_comment_url',
    pull_request_title: 'pull_request_title_url',
    pull_request_body: 'pull_request_body_url',
    pull_request_comment: 'pull_request_comment_url',
    pull_request_review: 'pull_request_review_url',
    pull_request_review_comment: 'pull_request_review_comment_url',
    discussion_title: 'discussion_title_url',
    discussion_body: 'discussion_body_url',
    discussion_comment: 'discussion_comment_url',
  });
  t.equal(got.body[3].details.issue_comment_url, `${sim.url}/repos/acme/trading-bot/issues/comments/11`);
  const page = await gh(sim, `/repos/acme/trading-bot/secret-scanning/alerts/${alert.number}/locations?per_page=5&page=2`, token);
  t.equal(page.body.length, 5);
  t.match(page.headers.get('link'), /page=3>; rel="next"/);
});

t.test('unknown alerts, repositories and disabled secret scanning answer 404 Not Found', async (t) => {
  const { sim, repo, token } = await world(t.teardown);
  await sim.createAlert(repo, { secret: SECRET });
  sim.addRepo({ org: 'acme', name: 'no-scanning', secretScanning: false });
  for (const path of ['/repos/acme/trading-bot/secret-scanning/alerts/2', '/repos/acme/nope/secret-scanning/alerts/1', '/repos/acme/no-scanning/secret-scanning/alerts/1', '/repos/acme/trading-bot/secret-scanning/alerts/x', '/repos/acme/trading-bot/git/commits/abc', '/repos/acme/%zz/secret-scanning/alerts/1', '/nope']) {
    const res = await gh(sim, path, token);
    t.equal(res.status, 404, path);
    t.equal(res.body.message, 'Not Found');
    t.match(res.body.documentation_url, /^https:\/\/docs\.github\.com\/rest/);
  }
});

t.test('the organization list: state, sort=updated, direction, per_page and page with Link headers', async (t) => {
  const { sim, repo, token, clock } = await world(t.teardown);
  const other = sim.addRepo({ org: 'acme', name: 'infra', visibility: 'public' });
  const a1 = (await sim.createAlert(repo, { secret: 's1' })).alert;
  await clock.advance(60_000);
  const a2 = (await sim.createAlert(other, { secret: 's2' })).alert;
  await clock.advance(60_000);
  const a3 = (await sim.createAlert(repo, { secret: 's3' })).alert;
  await clock.advance(60_000);
  await sim.resolve(a2, 'revoked');
  await clock.advance(60_000);
  await sim.validate(a1, 'active');
  sim.addRepo({ org: 'elsewhere', name: 'x' });

  const list = async (q: string) => (await gh(sim, `/orgs/acme/secret-scanning/alerts${q}`, token)).body.map((a: { secret: string }) => a.secret);
  t.same(await list(''), ['s3', 's2', 's1'], 'newest created first by default');
  t.same(await list('?sort=updated&direction=asc'), ['s3', 's2', 's1']);
  t.same(await list('?sort=updated'), ['s1', 's2', 's3']);
  t.same(await list('?state=open&sort=updated'), ['s1', 's3']);
  t.same(await list('?state=resolved'), ['s2']);

  const first = await gh(sim, '/orgs/acme/secret-scanning/alerts?per_page=2&sort=updated', token);
  t.equal(first.body.length, 2);
  t.match(first.body[0], { number: a1.number, repository: { full_name: 'acme/trading-bot' }, secret: 's1' });
  const link = first.headers.get('link')!;
  t.match(link, /<[^>]+[?&]page=2[^>]*>; rel="next"/);
  t.match(link, /rel="last"/);
  const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
  t.match(next, /sort=updated/, 'the next link keeps the query');
  const second = await gh(sim, next.slice(sim.url.length), token);
  t.same(second.body.map((a: { number: number }) => a.number), [a3.number]);
  t.match(second.headers.get('link'), /rel="prev".*rel="first"/);

  const bad = await gh(sim, '/orgs/acme/secret-scanning/alerts?state=closed', token);
  t.equal(bad.status, 422);
  t.match(bad.body.message, /^Invalid request/);
  t.equal((await gh(sim, '/orgs/acme/secret-scanning/alerts?per_page=0', token)).status, 422);
  t.equal((await gh(sim, '/orgs/nobody/secret-scanning/alerts', token)).status, 404);
});

t.test('rate limit headers, the primary limit, secondary limits and other faults', async (t) => {
  const { sim, repo, token, clock } = await world(t.teardown);
  await sim.createAlert(repo, { secret: SECRET });
  const path = '/repos/acme/trading-bot/secret-scanning/alerts/1';
  const ok = await gh(sim, path, token);
  t.equal(ok.headers.get('x-ratelimit-limit'), '5000');
  t.equal(ok.headers.get('x-ratelimit-remaining'), '4999');
  t.equal(ok.headers.get('x-ratelimit-resource'), 'core');
  t.equal(ok.headers.get('x-ratelimit-reset'), String(Math.ceil((clock.now() + 3_600_000) / 1000)));
  t.equal(ok.headers.get('date'), new Date(clock.now()).toUTCString(), 'Date follows the simulator clock (auth-app corrects JWT times by it)');
  t.equal(ok.headers.get('x-oauth-scopes'), 'repo, admin:org_hook');

  sim.limits.limits.authenticated = 2;
  t.equal((await gh(sim, path, token)).status, 200);
  const limited = await gh(sim, path, token);
  t.equal(limited.status, 403);
  t.match(limited.body.message, /^API rate limit exceeded/);
  t.equal(limited.headers.get('x-ratelimit-remaining'), '0');
  await clock.advance(3_600_000);
  t.equal((await gh(sim, path, token)).status, 200, 'a new hour, a new window');
  sim.limits.limits.authenticated = 5000;

  const op = 'GET /repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}';
  sim.faults.inject(op, { kind: 'throttle', perSecond: 1 });
  t.equal((await gh(sim, path, token)).status, 200);
  const secondary = await gh(sim, path, token);
  t.equal(secondary.status, 403);
  t.match(secondary.body.message, /secondary rate limit/);
  t.equal(secondary.headers.get('retry-after'), '60');
  sim.faults.clear();

  sim.faults.inject(op, { kind: 'error', status: 503, body: { message: 'Service Unavailable' } });
  t.equal((await gh(sim, path, token)).status, 503);
  sim.faults.inject(op, { kind: 'drop' });
  await t.rejects(gh(sim, path, token), 'a dropped connection');
  t.equal((await gh(sim, path, token)).status, 200);
  t.ok(sim.faults.calls.filter((c) => c === op).length >= 6, 'faults are named by the documented path');
});

t.test('a request without User-Agent is refused, and so is an unknown API version', async (t) => {
  const { sim, token } = await world(t.teardown);
  const raw = await new Promise<number>((resolve, reject) => {
    const u = new URL(`${sim.url}/repos/acme/trading-bot`);
    import('node:http').then(({ request }) => {
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, headers: { authorization: `token ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    }, reject);
  });
  t.equal(raw, 403);
  const v = await gh(sim, '/repos/acme/trading-bot', token, { headers: { 'x-github-api-version': '2001-01-01' } });
  t.equal(v.status, 400);
  t.match(v.body.message, /not supported/);
});
