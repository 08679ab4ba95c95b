import type { App, TokenRequest } from './app.js';
import { issueInstallationToken } from './app.js';
import { type Access, authorize, canSee, type Credential, type Need } from './auth.js';
import { errors, GitHubError } from './errors.js';
import { deliveryItem } from './hooks.js';
import { commitJson, locationJson, orgAlertJson, restAlertJson } from './json.js';
import { isoTime, type Repo } from './model.js';
import { paginate } from './paging.js';
import type { GitHubSim } from './server.js';

export interface RouteContext {
  sim: GitHubSim;
  cred: Credential | null;
  app: App | null;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  selfUrl: string;
}

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** The documented path, which is also the fault op name after the method. */
  path: string;
  docs: string;
  /** Authenticated with the App's JWT instead of a token. */
  jwt?: boolean;
  run(ctx: RouteContext): Answer | Promise<Answer>;
}

const REST = 'https://docs.github.com/rest';
const SS = `${REST}/secret-scanning/secret-scanning`;

function repoOf(ctx: RouteContext, docs: string): Repo {
  const repo = ctx.sim.repo(`${ctx.params.owner}/${ctx.params.repo}`);
  if (!repo) throw errors.notFound(docs);
  return repo;
}

/** Classic scopes for the secret scanning alert routes: `repo` or `security_events`; `public_repo` for public repositories. */
function alertNeed(repo: Repo, docs: string): Need {
  return {
    docs,
    repo,
    owner: repo.owner.login,
    scopes: repo.visibility === 'public' ? ['repo', 'security_events', 'public_repo'] : ['repo', 'security_events'],
    permission: ['secret_scanning_alerts', 'read'],
  };
}

function alertOf(ctx: RouteContext, docs: string) {
  const repo = repoOf(ctx, docs);
  authorize(ctx.cred, alertNeed(repo, docs));
  const n = Number(ctx.params.alert_number);
  const alert = repo.secretScanning ? ctx.sim.alerts.find((a) => a.repoId === repo.id && a.number === n) : undefined;
  // "Repository is public, or secret scanning is disabled for the repository, or the resource is not found": 404.
  if (!alert) throw errors.notFound(docs);
  return { repo, alert };
}

function hookOf(ctx: RouteContext, docs: string, access: Access) {
  authorize(ctx.cred, { docs, owner: ctx.params.org!, scopes: ['admin:org_hook'], permission: ['organization_hooks', access] });
  const hook = ctx.sim.hooks.hooks.find((h) => h.id === Number(ctx.params.hook_id) && h.org.login.toLowerCase() === ctx.params.org!.toLowerCase());
  if (!hook) throw errors.notFound(docs);
  return hook;
}

function enumParam<T extends string>(q: URLSearchParams, name: string, values: readonly T[], byDefault: T | null, docs: string): T | null {
  const v = q.get(name);
  if (v === null) return byDefault;
  if (!(values as readonly string[]).includes(v)) throw errors.invalidRequest(`"${v}" is not a member of ${JSON.stringify(values)} for "${name}".`, docs);
  return v as T;
}

const withLink = (link: string | null): Record<string, string> => (link ? { link } : {});

export const ROUTES: Route[] = [
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}',
    docs: `${REST}/repos/repos#get-a-repository`,
    run(ctx) {
      const repo = repoOf(ctx, this.docs);
      authorize(ctx.cred, { docs: this.docs, repo, owner: repo.owner.login, anonymous: true, scopes: repo.visibility === 'public' ? [] : ['repo'], permission: ['metadata', 'read'] });
      return { status: 200, body: ctx.sim.repoJson(repo) };
    },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/git/commits/{commit_sha}',
    docs: `${REST}/git/commits#get-a-commit-object`,
    run(ctx) {
      const repo = repoOf(ctx, this.docs);
      const priv = repo.visibility !== 'public';
      authorize(ctx.cred, { docs: this.docs, repo, owner: repo.owner.login, anonymous: true, scopes: priv ? ['repo'] : [], permission: priv ? ['contents', 'read'] : null });
      const commit = ctx.sim.commits.find((c) => c.repoId === repo.id && c.sha === ctx.params.commit_sha);
      if (!commit) throw errors.notFound(this.docs);
      return { status: 200, body: commitJson(commit, repo, ctx.sim.urls) };
    },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}',
    docs: `${SS}#get-a-secret-scanning-alert`,
    run(ctx) {
      const { repo, alert } = alertOf(ctx, this.docs);
      return { status: 200, body: restAlertJson(alert, repo, ctx.sim.urls, ctx.query.get('hide_secret') === 'true') };
    },
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}/locations',
    docs: `${SS}#list-locations-for-a-secret-scanning-alert`,
    run(ctx) {
      const { repo, alert } = alertOf(ctx, this.docs);
      const { page, link } = paginate(alert.locations, ctx.query, ctx.selfUrl, this.docs);
      return { status: 200, body: page.map((l) => locationJson(l, repo, ctx.sim.urls)), headers: withLink(link) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/{org}/secret-scanning/alerts',
    docs: `${SS}#list-secret-scanning-alerts-for-an-organization`,
    run(ctx) {
      const org = ctx.sim.org(ctx.params.org!);
      if (!org) throw errors.notFound(this.docs);
      authorize(ctx.cred, { docs: this.docs, owner: org.login, scopes: ['repo', 'security_events', 'public_repo'], permission: ['secret_scanning_alerts', 'read'] });
      const q = ctx.query;
      const state = enumParam(q, 'state', ['open', 'resolved'] as const, null, this.docs);
      const sort = enumParam(q, 'sort', ['created', 'updated'] as const, 'created', this.docs)!;
      const direction = enumParam(q, 'direction', ['asc', 'desc'] as const, 'desc', this.docs)!;
      const hide = q.get('hide_secret') === 'true';
      // A classic token with only public_repo sees the public repositories' alerts.
      const visible = (r: Repo) =>
        r.secretScanning && (ctx.cred?.kind === 'classic' && !ctx.cred.scopes.some((s) => s === 'repo' || s === 'security_events') ? r.visibility === 'public' : canSee(ctx.cred, r));
      const key = (a: { createdAt: number; updatedAt: number }) => (sort === 'updated' ? a.updatedAt : a.createdAt);
      const rows = ctx.sim.alerts
        .map((a) => ({ a, r: ctx.sim.repoById(a.repoId)! }))
        .filter(({ a, r }) => r.owner.id === org.id && visible(r) && (!state || a.state === state))
        .sort((x, y) => (direction === 'asc' ? 1 : -1) * (key(x.a) - key(y.a) || x.a.repoId - y.a.repoId || x.a.number - y.a.number));
      const { page, link } = paginate(rows, q, ctx.selfUrl, this.docs);
      return { status: 200, body: page.map(({ a, r }) => orgAlertJson(a, r, ctx.sim.urls, hide)), headers: withLink(link) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/{org}/hooks/{hook_id}/deliveries',
    docs: `${REST}/orgs/webhooks#list-deliveries-for-an-organization-webhook`,
    run(ctx) {
      const hook = hookOf(ctx, this.docs, 'read');
      const { items, link } = ctx.sim.hooks.list(hook, ctx.query, ctx.selfUrl);
      return { status: 200, body: items, headers: withLink(link) };
    },
  },
  {
    method: 'GET',
    path: '/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}',
    docs: `${REST}/orgs/webhooks#get-a-webhook-delivery-for-an-organization-webhook`,
    run(ctx) {
      const hook = hookOf(ctx, this.docs, 'read');
      const d = ctx.sim.hooks.deliveries.find((x) => x.hookId === hook.id && x.id === Number(ctx.params.delivery_id));
      if (!d) throw errors.notFound(this.docs);
      const body = {
        ...deliveryItem(d),
        url: hook.url,
        request: { headers: d.result.request.headers, payload: d.payload },
        response: { headers: d.result.response.headers, payload: d.result.response.body },
      };
      return { status: 200, body };
    },
  },
  {
    method: 'POST',
    path: '/orgs/{org}/hooks/{hook_id}/deliveries/{delivery_id}/attempts',
    docs: `${REST}/orgs/webhooks#redeliver-a-delivery-for-an-organization-webhook`,
    run(ctx) {
      const hook = hookOf(ctx, this.docs, 'write');
      ctx.sim.hooks.redeliver(hook, Number(ctx.params.delivery_id));
      return { status: 202, body: {} };
    },
  },
  {
    method: 'GET',
    path: '/app',
    docs: `${REST}/apps/apps#get-the-authenticated-app`,
    jwt: true,
    run(ctx) {
      const app = ctx.app!;
      return { status: 200, body: { id: app.id, client_id: app.clientId, slug: app.slug, name: app.slug, owner: ctx.sim.userJson(app.owner), permissions: app.permissions, events: ['secret_scanning_alert', 'secret_scanning_alert_location'] } };
    },
  },
  {
    method: 'POST',
    path: '/app/installations/{installation_id}/access_tokens',
    docs: `${REST}/apps/apps#create-an-installation-access-token-for-an-app`,
    jwt: true,
    run(ctx) {
      const inst = ctx.sim.installations.find((i) => i.id === Number(ctx.params.installation_id) && i.appId === ctx.app!.id);
      if (!inst) throw errors.notFound(this.docs);
      if (ctx.body !== undefined && (typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body))) throw new GitHubError(400, 'Body should be a JSON object', this.docs);
      const names = (list: string[]) => {
        const ids = list.map((n) => ctx.sim.repo(`${inst.account.login}/${n}`)?.id);
        return ids.every((id) => id !== undefined) ? (ids as number[]) : null;
      };
      const token = issueInstallationToken(inst, (ctx.body ?? {}) as TokenRequest, names, ctx.sim.clock.now());
      ctx.sim.credentials.set(token.token, token);
      const body = {
        token: token.token,
        expires_at: isoTime(token.expiresAt),
        permissions: token.permissions,
        repository_selection: token.repositories === 'all' ? 'all' : 'selected',
      };
      return { status: 201, body };
    },
  },
];

/** Matches a request path against the documented paths; the values of `{…}` segments. */
export function match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
  let parts: string[];
  try {
    parts = path.split('/').map(decodeURIComponent);
  } catch {
    return null; // a malformed %-escape names no resource
  }
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const want = route.path.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (want.every((w, i) => (w.startsWith('{') ? ((params[w.slice(1, -1)] = parts[i]!), parts[i] !== '') : w === parts[i]))) {
      return { route, params };
    }
  }
  return null;
}
