import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors } from './errors.js';
import type { Account, Repo } from './model.js';

export type Access = 'read' | 'write';
/** Fine-grained and App permissions by name, e.g. { secret_scanning_alerts: 'read', organization_hooks: 'write' }. */
export type Permissions = Record<string, Access>;

export interface Installation {
  id: number;
  appId: number;
  account: Account;
  permissions: Permissions;
  /** 'all' or the ids of the repositories the installation may see. */
  repositories: 'all' | number[];
}

export type Credential =
  | { kind: 'classic'; token: string; user: Account; scopes: string[]; expiresAt: number | null }
  | { kind: 'fine-grained'; token: string; user: Account; owner: string; permissions: Permissions; repositories: 'all' | number[]; expiresAt: number | null }
  | { kind: 'installation'; token: string; installation: Installation; permissions: Permissions; repositories: 'all' | number[]; expiresAt: number };

/**
 * What a route needs. Classic scopes: any one of `scopes` suffices (none: no scope needed);
 * fine-grained tokens and installations need `permission`. Routes that read a repository name
 * it, so that a caller who may not see a private one gets 404.
 */
export interface Need {
  docs: string;
  scopes: string[];
  permission: [string, Access] | null;
  repo?: Repo;
  /** The account that owns what is read (the repository's owner or the organization). */
  owner: string;
  /** Anonymous callers may read it when the repository is public (repos, git commits). */
  anonymous?: boolean;
}

/** `Authorization: Bearer <t>` or `token <t>` (both accepted, as GitHub does). */
export function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^(?:bearer|token)\s+(\S+)$/i.exec(h);
  return m ? m[1]! : '';
}

export function newToken(prefix: 'ghp' | 'github_pat' | 'ghs'): string {
  const body = randomBytes(prefix === 'github_pat' ? 41 : 27).toString('base64url').replace(/[-_]/g, 'x');
  return prefix === 'github_pat' ? `github_pat_${body.slice(0, 22)}_${body.slice(22, 81)}` : `${prefix}_${body.slice(0, 36)}`;
}

const satisfies = (have: Access | undefined, need: Access) => have === 'write' || (have === 'read' && need === 'read');

/** A classic token with `repo` has `public_repo` too. */
const hasScope = (scopes: string[], s: string) => scopes.includes(s) || (s === 'public_repo' && scopes.includes('repo'));

/** Whether the credential's repository selection includes the repository (public ones are readable by all). */
export function canSee(cred: Credential | null, repo: Repo): boolean {
  if (repo.visibility === 'public') return true;
  if (!cred) return false;
  if (cred.kind === 'classic') return hasScope(cred.scopes, 'repo') || hasScope(cred.scopes, 'security_events');
  const owner = cred.kind === 'installation' ? cred.installation.account.login : cred.owner;
  if (owner.toLowerCase() !== repo.owner.login.toLowerCase()) return false;
  return cred.repositories === 'all' || cred.repositories.includes(repo.id);
}

/**
 * Applies GitHub's answers, per "Troubleshooting the REST API" (github/docs
 * content/rest/using-the-rest-api/troubleshooting-the-rest-api.md):
 * - no token: 401 "Requires authentication" (404 for a private repository, not to confirm it exists);
 * - a classic token without the scope, or any token that may not see the repository: 404 — the docs
 *   list missing scopes under "404 Not Found for an existing resource"; X-Accepted-OAuth-Scopes says
 *   which scopes would do;
 * - a fine-grained token or an installation that sees the resource but lacks the permission: 403
 *   "Resource not accessible by personal access token|integration" with X-Accepted-GitHub-Permissions.
 * The docs are silent on a classic token without the scope on a public repository; this simulator
 * answers 404 as for a private one. A detector must treat 403 and 404 alike as "no access".
 */
export function authorize(cred: Credential | null, need: Need): void {
  const scopesHeader = { 'x-accepted-oauth-scopes': need.scopes.join(', ') };
  if (!cred) {
    if (need.repo && need.repo.visibility !== 'public') throw errors.notFound(need.docs);
    if (need.anonymous) return;
    throw errors.requiresAuth();
  }
  if (need.repo && !canSee(cred, need.repo)) throw errors.notFound(need.docs, cred.kind === 'classic' ? scopesHeader : {});
  if (cred.kind === 'classic') {
    if (need.scopes.length && !need.scopes.some((s) => hasScope(cred.scopes, s))) throw errors.notFound(need.docs, scopesHeader);
    return;
  }
  const owner = cred.kind === 'installation' ? cred.installation.account.login : cred.owner;
  if (!need.repo && owner.toLowerCase() !== need.owner.toLowerCase()) throw errors.notFound(need.docs);
  if (!need.permission) return;
  const [name, access] = need.permission;
  // Every installation and fine-grained token has metadata read.
  if (name === 'metadata' || satisfies(cred.permissions[name], access)) return;
  throw errors.notAccessible(cred.kind === 'installation' ? 'integration' : 'personal access token', need.docs, `${name}=${access}`);
}

/** Headers GitHub adds for classic tokens: the scopes the token has. */
export function scopeHeaders(cred: Credential | null): Record<string, string> {
  return cred?.kind === 'classic' ? { 'x-oauth-scopes': cred.scopes.join(', ') } : {};
}
