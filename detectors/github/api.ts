import { createAppAuth } from '@octokit/auth-app';
import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { GitHubConfig } from './config.js';

export type RestAlert = RestEndpointMethodTypes['secretScanning']['getAlert']['response']['data'];
export type RestLocation = RestEndpointMethodTypes['secretScanning']['listLocationsForAlert']['response']['data'][number];
export type OrgAlert = RestEndpointMethodTypes['secretScanning']['listAlertsForOrg']['response']['data'][number];
export type HookDelivery = RestEndpointMethodTypes['orgs']['listWebhookDeliveries']['response']['data'][number];
export type GitCommit = RestEndpointMethodTypes['git']['getCommit']['response']['data'];
export type Repository = RestEndpointMethodTypes['repos']['get']['response']['data'];

/** One call's budget: GitHub answers these in well under a second; a hung call must not hold a work item's claim. */
const CALL_TIMEOUT_MS = 10_000;
const API_VERSION = '2022-11-28';

/** A failed GitHub call in words an operator can act on; `retryable` when waiting may help (5xx, network, rate limit). */
export class GitHubApiError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** The REST calls the detector makes, each with its own timeout, its errors in operator words. */
export interface GitHubApi {
  /** How the detector authenticates: shown in its health. */
  auth: 'token' | 'app';
  getAlert(owner: string, repo: string, number: number, signal?: AbortSignal): Promise<RestAlert>;
  listLocations(owner: string, repo: string, number: number, signal?: AbortSignal): Promise<RestLocation[]>;
  getCommit(owner: string, repo: string, sha: string, signal?: AbortSignal): Promise<GitCommit>;
  /** The repository now: its visibility may have changed since the alert (made public after the leak). */
  getRepo(owner: string, repo: string, signal?: AbortSignal): Promise<Repository>;
  /** The organisation's open alerts, most recently updated first, until one older than `since`. */
  openAlertsUpdatedSince(org: string, since: number, signal?: AbortSignal): Promise<OrgAlert[]>;
  /** The hook's deliveries, newest first, until one older than `since`. */
  deliveriesSince(org: string, hookId: number, since: number, signal?: AbortSignal): Promise<HookDelivery[]>;
  redeliver(org: string, hookId: number, deliveryId: number, signal?: AbortSignal): Promise<void>;
}

/** Builds the client from detectors.github.api (a token or a GitHub App installation); undefined without REST access. */
export async function gitHubApi(api: GitHubConfig['api'], ctx: Pick<DetectorContext, 'secret'>): Promise<GitHubApi | undefined> {
  if (!api) return undefined;
  const common = {
    baseUrl: (api.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'leakguard',
    headers: { 'x-github-api-version': API_VERSION },
    // Octokit logs deprecations and request errors on its own; every failure reaches the caller, who words it.
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  const octokit =
    'token' in api
      ? new Octokit({ ...common, auth: await ctx.secret(api.token) })
      : new Octokit({ ...common, authStrategy: createAppAuth, auth: { appId: api.app.appId, installationId: api.app.installationId, privateKey: await ctx.secret(api.app.privateKey) } });
  const auth = 'token' in api ? 'token' : 'app';

  async function call<T>(what: string, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
    try {
      return await fn(signal ? AbortSignal.any([signal, timeout]) : timeout);
    } catch (err) {
      throw explain(what, err, auth);
    }
  }

  return {
    auth,
    getAlert: (owner, repo, number, signal) => call(`GET the alert ${owner}/${repo}#${number}`, signal, async (s) => (await octokit.rest.secretScanning.getAlert({ owner, repo, alert_number: number, request: { signal: s } })).data),
    listLocations: (owner, repo, number, signal) =>
      call(`list the locations of alert ${owner}/${repo}#${number}`, signal, (s) => octokit.paginate(octokit.rest.secretScanning.listLocationsForAlert, { owner, repo, alert_number: number, per_page: 100, request: { signal: s } })),
    getCommit: (owner, repo, sha, signal) => call(`GET commit ${sha.slice(0, 12)} of ${owner}/${repo}`, signal, async (s) => (await octokit.rest.git.getCommit({ owner, repo, commit_sha: sha, request: { signal: s } })).data),
    getRepo: (owner, repo, signal) => call(`GET the repository ${owner}/${repo}`, signal, async (s) => (await octokit.rest.repos.get({ owner, repo, request: { signal: s } })).data),
    openAlertsUpdatedSince: (org, since, signal) =>
      call(`list the open alerts of ${org}`, signal, async (s) => {
        const out: OrgAlert[] = [];
        const pages = octokit.paginate.iterator(octokit.rest.secretScanning.listAlertsForOrg, { org, state: 'open', sort: 'updated', direction: 'desc', per_page: 100, hide_secret: true, request: { signal: s } });
        for await (const page of pages) {
          for (const a of page.data) {
            if (Date.parse(a.updated_at ?? a.created_at ?? '') < since) return out;
            out.push(a);
          }
        }
        return out;
      }),
    deliveriesSince: (org, hookId, since, signal) =>
      call(`list the deliveries of hook ${hookId} of ${org}`, signal, async (s) => {
        const out: HookDelivery[] = [];
        const pages = octokit.paginate.iterator(octokit.rest.orgs.listWebhookDeliveries, { org, hook_id: hookId, per_page: 100, request: { signal: s } });
        for await (const page of pages) {
          for (const d of page.data) {
            if (Date.parse(d.delivered_at) < since) return out;
            out.push(d);
          }
        }
        return out;
      }),
    redeliver: (org, hookId, deliveryId, signal) =>
      call(`redeliver delivery ${deliveryId} of hook ${hookId}`, signal, async (s) => {
        await octokit.rest.orgs.redeliverWebhookDelivery({ org, hook_id: hookId, delivery_id: deliveryId, request: { signal: s } });
      }),
  };
}

/** What GitHub's answer means and what to do about it. A 404 is also GitHub's answer to a token without the scope. */
function explain(what: string, err: unknown, auth: 'token' | 'app'): GitHubApiError {
  const status = (err as { status?: number }).status;
  const headers = ((err as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {}) as Record<string, string | undefined>;
  const message = ((err as { response?: { data?: { message?: string } } }).response?.data?.message ?? (err as Error).message ?? String(err)).slice(0, 200);
  const grant = auth === 'token' ? 'a token with the repo and admin:org_hook scopes' : 'the App with secret_scanning_alerts:read, contents:read and organization_hooks:write';
  if (status === undefined) {
    const name = (err as { name?: string }).name;
    const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : message;
    return new GitHubApiError(`GitHub: could not ${what}: ${why}; LeakGuard retries; check that GitHub is reachable from LeakGuard (status: https://www.githubstatus.com)`, true, undefined);
  }
  if (status === 401) return new GitHubApiError(`GitHub: could not ${what}: 401 ${message}; the token or App key in detectors.github.api is wrong or expired: replace it`, false, status);
  if (status === 403 || status === 429) {
    const limited = headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined || /rate limit/i.test(message);
    if (limited) return new GitHubApiError(`GitHub: could not ${what}: rate limited (${message}); LeakGuard waits and retries`, true, status);
    return new GitHubApiError(`GitHub: could not ${what}: 403 ${message}; give detectors.github.api ${grant}`, false, status);
  }
  if (status === 404) return new GitHubApiError(`GitHub: could not ${what}: 404 (GitHub says so also when access is missing); check the name and give detectors.github.api ${grant}`, false, status);
  if (status >= 500) return new GitHubApiError(`GitHub: could not ${what}: ${status} ${message}; GitHub has trouble; LeakGuard retries`, true, status);
  return new GitHubApiError(`GitHub: could not ${what}: ${status} ${message}`, false, status);
}
