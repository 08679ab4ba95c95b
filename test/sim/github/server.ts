import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../../src/core/clock.js';
import { FaultInjector } from '../faults.js';
import { listen, type SimServer } from '../http.js';
import { type App, generateAppKeys, verifyAppJwt } from './app.js';
import { bearer, type Credential, type Installation, newToken, type Permissions, scopeHeaders } from './auth.js';
import { errors, GitHubError, sendGitHub } from './errors.js';
import { type DeliveryRecord, type Hook, Hooks } from './hooks.js';
import { repoJson, type Urls, userJson } from './json.js';
import { type Account, type Alert, type Commit, fullName, type GitPerson, isoTime, type LocationSeed, randomSha, type Repo, type Resolution, type Validity, type Visibility } from './model.js';
import { type AlertAction, alertPayload, locationPayload, pingPayload } from './payloads.js';
import { RateLimits } from './rate-limit.js';
import { match, type RouteContext } from './routes.js';

export interface GitHubSimOptions {
  clock?: Clock;
  /** Base of the web URLs (html_url). Default https://github.com. */
  htmlUrl?: string;
}

/** Where a secret was committed: the simulator creates the commit with these dates. */
export interface CommitSeed {
  sha?: string;
  author?: Partial<GitPerson>;
  committer?: Partial<GitPerson>;
  message?: string;
  parents?: string[];
}

export interface AlertSeed {
  secret: string;
  /** Custom patterns get a type of GitHub's choosing; the display name is the pattern's name. */
  secretType?: string;
  secretTypeDisplayName?: string;
  provider?: string | null;
  validity?: Validity;
  publiclyLeaked?: boolean;
  /** A commit location: the file path and the commit (created here) that added the secret. */
  commit?: CommitSeed & { path: string; startLine?: number };
  /** Further locations of any type. */
  locations?: LocationSeed[];
}

export interface GitHubSeed {
  orgs?: { login: string; id?: number }[];
  repos?: { org: string; name: string; visibility?: Visibility; secretScanning?: boolean }[];
  tokens?: ({ kind: 'classic'; scopes: string[]; token?: string } | { kind: 'fine-grained'; owner: string; permissions: Permissions; token?: string })[];
  hooks?: { org: string; url: string; secret?: string; contentType?: 'json' | 'form'; events?: string[] }[];
}

const API_VERSIONS = ['2022-11-28', '2026-03-10'];

/**
 * GitHub REST simulator for secret scanning: alerts (with the secret), their locations, the commits
 * behind them, repositories, the organization's alert list, organization webhooks with their
 * deliveries and redelivery, classic and fine-grained tokens with GitHub's scope and permission
 * answers, and GitHub App installation tokens from an RS256 JWT. Alert changes send signed
 * webhook deliveries to the organization's hooks. Fault op names: "METHOD /documented/{path}".
 */
export class GitHubSim {
  readonly clock: Clock;
  readonly faults: FaultInjector;
  readonly hooks: Hooks;
  readonly limits = new RateLimits();
  readonly accounts: Account[] = [];
  readonly repos: Repo[] = [];
  readonly commits: Commit[] = [];
  readonly alerts: Alert[] = [];
  readonly apps: App[] = [];
  readonly installations: Installation[] = [];
  readonly credentials = new Map<string, Credential>();
  /** Every request, in order: "METHOD /documented/path" and the answer's status. */
  readonly requests: { op: string; status: number; tokenKind: Credential['kind'] | 'jwt' | null }[] = [];
  /** The person alert changes are attributed to, and who owns seeded tokens. */
  readonly actor: Account;
  readonly #htmlUrl: string;
  #nextId = 1000;
  url = '';
  #server: SimServer | undefined;

  constructor(opts: GitHubSimOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.#htmlUrl = opts.htmlUrl ?? 'https://github.com';
    this.hooks = new Hooks(() => this.clock.now());
    this.faults = new FaultInjector(this.clock, () => {
      const e = errors.secondaryRateLimit();
      return { status: e.status, body: e.body(), headers: e.headers };
    });
    this.actor = this.addUser('security-admin');
  }

  get urls(): Urls {
    return { api: this.url, html: this.#htmlUrl };
  }

  async start(): Promise<{ url: string; close(): Promise<void> }> {
    this.#server = await listen((req, res, body) => this.#handle(req, res, body), {
      faults: this.faults,
      state: () => this.state(),
      seed: (body) => this.seed(body as GitHubSeed),
    });
    this.url = this.#server.url;
    return { url: this.url, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.hooks.idle();
    await this.#server?.close();
  }

  // ---- look-ups ----

  org(login: string): Account | undefined {
    return this.accounts.find((a) => a.type === 'Organization' && a.login.toLowerCase() === login.toLowerCase());
  }

  /** By "owner/name", case-insensitively as GitHub does. */
  repo(name: string): Repo | undefined {
    return this.repos.find((r) => fullName(r).toLowerCase() === name.toLowerCase());
  }

  repoById(id: number): Repo | undefined {
    return this.repos.find((r) => r.id === id);
  }

  repoJson(r: Repo) {
    return repoJson(r, this.urls);
  }

  userJson(a: Account) {
    return userJson(a, this.urls);
  }

  // ---- seeding (typed helpers for tests in this process) ----

  addOrg(login: string, id = this.#id()): Account {
    const org: Account = { login, id, type: 'Organization' };
    this.accounts.push(org);
    return org;
  }

  addUser(login: string, id = this.#id()): Account {
    const user: Account = { login, id, type: 'User' };
    this.accounts.push(user);
    return user;
  }

  addRepo(o: { org: string; name: string; visibility?: Visibility; secretScanning?: boolean }): Repo {
    const owner = this.org(o.org) ?? this.addOrg(o.org);
    const repo: Repo = { id: this.#id(), name: o.name, owner, visibility: o.visibility ?? 'private', secretScanning: o.secretScanning ?? true, createdAt: this.clock.now(), defaultBranch: 'main' };
    this.repos.push(repo);
    return repo;
  }

  /** A commit in the repository's git database; dates default to the clock. */
  addCommit(repo: Repo, c: CommitSeed = {}): Commit {
    const at = isoTime(this.clock.now());
    const person = (p: Partial<GitPerson> | undefined, fallback: GitPerson): GitPerson => ({ ...fallback, ...p });
    const author = person(c.author, { name: 'Dev Eloper', email: 'dev@example.com', date: at });
    const commit: Commit = {
      sha: c.sha ?? randomSha(),
      repoId: repo.id,
      author,
      committer: person(c.committer, author),
      message: c.message ?? 'Add configuration',
      treeSha: randomSha(),
      parents: c.parents ?? [],
    };
    this.commits.push(commit);
    return commit;
  }

  /** A classic personal access token (ghp_…) with these scopes. */
  addClassicToken(scopes: string[], o: { token?: string; user?: Account; expiresAt?: number | null } = {}): string {
    const token = o.token ?? newToken('ghp');
    this.credentials.set(token, { kind: 'classic', token, user: o.user ?? this.actor, scopes, expiresAt: o.expiresAt ?? null });
    return token;
  }

  /** A fine-grained personal access token (github_pat_…) for one resource owner. */
  addFineGrainedToken(o: { owner: string; permissions: Permissions; repositories?: 'all' | Repo[]; token?: string; expiresAt?: number | null }): string {
    const token = o.token ?? newToken('github_pat');
    const repositories = !o.repositories || o.repositories === 'all' ? 'all' : o.repositories.map((r) => r.id);
    this.credentials.set(token, { kind: 'fine-grained', token, user: this.actor, owner: o.owner, permissions: o.permissions, repositories, expiresAt: o.expiresAt ?? null });
    return token;
  }

  /** A GitHub App with a fresh RSA key; `privateKey` is what @octokit/auth-app takes. */
  addApp(o: { permissions: Permissions; slug?: string }): App {
    const id = this.#id();
    const app: App = { id, clientId: `Iv23li${id.toString(16).padStart(14, '0')}`, slug: o.slug ?? `leakguard-${id}`, owner: this.actor, permissions: o.permissions, ...generateAppKeys() };
    this.apps.push(app);
    return app;
  }

  installApp(app: App, o: { org: string; permissions?: Permissions; repositories?: 'all' | Repo[] }): Installation {
    const account = this.org(o.org) ?? this.addOrg(o.org);
    const repositories = !o.repositories || o.repositories === 'all' ? 'all' : o.repositories.map((r) => r.id);
    const inst: Installation = { id: this.#id(), appId: app.id, account, permissions: o.permissions ?? app.permissions, repositories };
    this.installations.push(inst);
    return inst;
  }

  /** An organization webhook. GitHub pings a new hook; call `ping(hook)` for that. */
  addHook(o: { org: string; url: string; secret?: string; contentType?: 'json' | 'form'; events?: string[] }): Hook {
    const org = this.org(o.org) ?? this.addOrg(o.org);
    const hook: Hook = {
      id: this.#id() * 1000,
      org,
      url: o.url,
      ...(o.secret ? { secret: o.secret } : {}),
      contentType: o.contentType ?? 'json',
      events: o.events ?? ['secret_scanning_alert', 'secret_scanning_alert_location'],
      active: true,
      createdAt: this.clock.now(),
    };
    this.hooks.hooks.push(hook);
    return hook;
  }

  ping(hook: Hook): Promise<DeliveryRecord[]> {
    return this.hooks.sendTo([hook], 'ping', (h) => pingPayload(h, this.urls, this.actor), { action: null, repositoryId: null });
  }

  // ---- alert life cycle: each change sends its webhook and resolves once delivered ----

  /** A new open alert (number = the repository's next); sends `secret_scanning_alert.created`. */
  async createAlert(repo: Repo, seed: AlertSeed): Promise<{ alert: Alert; commit: Commit | null; deliveries: DeliveryRecord[] }> {
    const now = this.clock.now();
    const commit = seed.commit ? this.addCommit(repo, seed.commit) : null;
    const locations: LocationSeed[] = [
      ...(commit && seed.commit ? [{ type: 'commit' as const, commitSha: commit.sha, path: seed.commit.path, startLine: seed.commit.startLine ?? 1 }] : []),
      ...(seed.locations ?? []),
    ];
    const alert: Alert = {
      repoId: repo.id,
      number: 1 + Math.max(0, ...this.alerts.filter((a) => a.repoId === repo.id).map((a) => a.number)),
      secret: seed.secret,
      secretType: seed.secretType ?? 'bybit_api_key',
      secretTypeDisplayName: seed.secretTypeDisplayName ?? 'Bybit API key',
      provider: seed.provider ?? null,
      providerSlug: seed.provider ? seed.provider.toLowerCase().replace(/\W+/g, '_') : null,
      state: 'open',
      resolution: null,
      resolvedAt: null,
      resolvedBy: null,
      resolutionComment: null,
      validity: seed.validity ?? 'unknown',
      publiclyLeaked: seed.publiclyLeaked ?? false,
      multiRepo: false,
      assignedTo: null,
      createdAt: now,
      updatedAt: now,
      locations,
    };
    this.alerts.push(alert);
    return { alert, commit, deliveries: await this.#notify('created', alert) };
  }

  /** Another location of the alert; sends `secret_scanning_alert_location.created`. */
  addLocation(alert: Alert, location: LocationSeed): Promise<DeliveryRecord[]> {
    alert.locations.push(location);
    const repo = this.repoById(alert.repoId)!;
    return this.hooks.send(repo.owner, 'secret_scanning_alert_location', () => locationPayload(alert, location, { urls: this.urls, repo, sender: this.actor }), {
      action: 'created',
      repositoryId: repo.id,
    });
  }

  resolve(alert: Alert, resolution: Resolution, o: { by?: Account; comment?: string } = {}): Promise<DeliveryRecord[]> {
    const by = o.by ?? this.actor;
    Object.assign(alert, { state: 'resolved', resolution, resolvedAt: this.clock.now(), resolvedBy: by, resolutionComment: o.comment ?? null });
    return this.#notify('resolved', alert, by);
  }

  reopen(alert: Alert, by: Account = this.actor): Promise<DeliveryRecord[]> {
    Object.assign(alert, { state: 'open', resolution: null, resolvedAt: null, resolvedBy: null, resolutionComment: null });
    return this.#notify('reopened', alert, by);
  }

  /** GitHub's validity check changed its verdict (partner patterns only on GitHub). */
  validate(alert: Alert, validity: Validity): Promise<DeliveryRecord[]> {
    alert.validity = validity;
    return this.#notify('validated', alert);
  }

  publiclyLeak(alert: Alert): Promise<DeliveryRecord[]> {
    alert.publiclyLeaked = true;
    return this.#notify('publicly_leaked', alert);
  }

  assign(alert: Alert, user: Account): Promise<DeliveryRecord[]> {
    alert.assignedTo = user;
    return this.#notify('assigned', alert, this.actor, user);
  }

  unassign(alert: Alert): Promise<DeliveryRecord[]> {
    const was = alert.assignedTo ?? this.actor;
    alert.assignedTo = null;
    return this.#notify('unassigned', alert, this.actor, was);
  }

  #notify(action: AlertAction, alert: Alert, sender: Account = this.actor, assignee?: Account): Promise<DeliveryRecord[]> {
    if (action !== 'created') alert.updatedAt = this.clock.now();
    const repo = this.repoById(alert.repoId)!;
    return this.hooks.send(repo.owner, 'secret_scanning_alert', () => alertPayload(action, alert, { urls: this.urls, repo, sender }, assignee), { action, repositoryId: repo.id });
  }

  seed(doc: GitHubSeed) {
    for (const o of doc.orgs ?? []) this.addOrg(o.login, o.id);
    const repos = (doc.repos ?? []).map((r) => this.addRepo(r));
    const tokens = (doc.tokens ?? []).map((t) =>
      t.kind === 'classic' ? this.addClassicToken(t.scopes, t.token ? { token: t.token } : {}) : this.addFineGrainedToken({ owner: t.owner, permissions: t.permissions, ...(t.token ? { token: t.token } : {}) }),
    );
    const hooks = (doc.hooks ?? []).map((h) => this.addHook(h).id);
    return { repos: repos.map(fullName), tokens, hooks };
  }

  state() {
    return {
      now: this.clock.now(),
      repos: this.repos.map((r) => ({ id: r.id, fullName: fullName(r), visibility: r.visibility })),
      alerts: this.alerts.map((a) => ({ repo: fullName(this.repoById(a.repoId)!), number: a.number, state: a.state, secretType: a.secretType, locations: a.locations.length })),
      hooks: this.hooks.hooks.map((h) => ({ id: h.id, org: h.org.login, url: h.url, contentType: h.contentType, events: h.events })),
      deliveries: this.hooks.deliveries.map((d) => ({ id: d.id, hookId: d.hookId, guid: d.guid, event: d.event, action: d.action, status: d.status, statusCode: d.statusCode, redelivery: d.redelivery })),
      requests: this.requests,
    };
  }

  #id(): number {
    return (this.#nextId += 1);
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', this.url);
    const found = match(method, url.pathname);
    const op = found ? `${method} ${found.route.path}` : `${method} ${url.pathname}`;
    if (await this.faults.apply(op, res, req)) return;
    const now = this.clock.now();
    const common: Record<string, string> = {
      date: new Date(now).toUTCString(),
      'x-github-request-id': randomUUID().toUpperCase().slice(0, 23),
      'x-github-api-version-selected': '2022-11-28',
    };
    const record = { op, status: 0, tokenKind: null as Credential['kind'] | 'jwt' | null };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendGitHub(res, status, body, { ...common, ...headers });
    };
    try {
      if (!req.headers['user-agent']) throw errors.userAgent();
      const version = req.headers['x-github-api-version'];
      if (typeof version === 'string' && !API_VERSIONS.includes(version)) throw errors.apiVersion(version);
      if (!found) throw errors.notFound();
      const { route, params } = found;
      const token = bearer(req);
      if (token === '') throw errors.badCredentials();
      let cred: Credential | null = null;
      let app: App | null = null;
      if (route.jwt) {
        if (token === null) throw errors.requiresAuth();
        app = await verifyAppJwt(token, this.apps, now);
        record.tokenKind = 'jwt';
      } else if (token !== null) {
        cred = this.credentials.get(token) ?? null;
        // An App's JWT is no token for these routes; GitHub's answer to one is not documented.
        if (!cred || (cred.expiresAt !== null && now >= cred.expiresAt)) throw errors.badCredentials();
        record.tokenKind = cred.kind;
      }
      Object.assign(common, scopeHeaders(cred));
      const caller = app ? `app:${app.id}` : cred ? (cred.kind === 'installation' ? `installation:${cred.installation.id}` : `user:${cred.user.id}`) : null;
      Object.assign(common, this.limits.consume(caller, app?.id ?? (cred?.kind === 'installation' ? cred.installation.id : (cred?.user.id ?? 0)), now));
      let body: unknown;
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw errors.problemsParsingJson(route.docs);
        }
      }
      const ctx: RouteContext = { sim: this, cred, app, params, query: url.searchParams, body, selfUrl: url.href };
      const answer = await route.run(ctx);
      send(answer.status, answer.body, answer.headers);
    } catch (err) {
      if (!(err instanceof GitHubError)) throw err;
      send(err.status, err.body(), err.headers);
    }
  }
}
