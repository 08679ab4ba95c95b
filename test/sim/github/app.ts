import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeJwt, importSPKI } from 'jose';
import { type Credential, type Installation, newToken, type Permissions } from './auth.js';
import { errors, GitHubError } from './errors.js';
import type { Account } from './model.js';

export interface App {
  id: number;
  clientId: string;
  slug: string;
  owner: Account;
  permissions: Permissions;
  /** PEM, PKCS#1 ("BEGIN RSA PRIVATE KEY") as GitHub hands it out. */
  privateKey: string;
  publicKey: string;
}

/** Installation tokens live one hour (apps/create-installation-access-token). */
export const INSTALLATION_TOKEN_MS = 3_600_000;
/** A JWT's exp may be at most 10 minutes ahead (generating-a-json-web-token-jwt-for-a-github-app). */
export const JWT_MAX_MS = 600_000;

export function generateAppKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

/**
 * Verifies an App's JWT as GitHub does: RS256 signed with the App's key, `iss` its client ID or
 * App ID (string or number), `iat` not in the future, `exp` in the future and at most 10 minutes
 * ahead. Messages are GitHub's own (quoted in octokit/auth-app.js#698, sigmavirus24/github3.py#1050,
 * probot/probot#942); GitHub's text for an unknown issuer or a bad signature is not documented:
 * both answer "A JSON web token could not be decoded" here.
 */
export async function verifyAppJwt(jwt: string, apps: App[], now: number): Promise<App> {
  const undecodable = () => errors.jwt('A JSON web token could not be decoded');
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(jwt);
  } catch {
    throw undecodable();
  }
  const app = apps.find((a) => String(claims.iss) === String(a.id) || claims.iss === a.clientId);
  if (!app) throw undecodable();
  try {
    await compactVerify(jwt, await importSPKI(app.publicKey, 'RS256'), { algorithms: ['RS256'] });
  } catch {
    throw undecodable();
  }
  const nowS = Math.floor(now / 1000);
  if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat) || claims.iat > nowS) {
    throw errors.jwt("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
  }
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) {
    throw errors.jwt("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
  }
  if (claims.exp > nowS + JWT_MAX_MS / 1000) throw errors.jwt("'Expiration time' claim ('exp') is too far in the future");
  return app;
}

export interface TokenRequest {
  repositories?: string[];
  repository_ids?: number[];
  permissions?: Permissions;
}

const DOCS = 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app';

/**
 * POST /app/installations/{id}/access_tokens: a token for the installation's permissions (or the
 * subset asked for) and repositories, expiring in one hour. Asking for more than the installation
 * has is refused with 422.
 */
export function issueInstallationToken(inst: Installation, body: TokenRequest, repoIds: (names: string[]) => number[] | null, now: number): Credential & { kind: 'installation' } {
  const asked = body.permissions ?? inst.permissions;
  for (const [name, access] of Object.entries(asked)) {
    const have = inst.permissions[name];
    if (!(have === 'write' || have === access)) {
      throw new GitHubError(422, 'The permissions requested are not granted to this installation.', DOCS);
    }
  }
  let repositories = inst.repositories;
  if (body.repositories || body.repository_ids) {
    const named = body.repositories ? repoIds(body.repositories) : [];
    if (!named) throw new GitHubError(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.', DOCS);
    const ids = [...named, ...(body.repository_ids ?? [])];
    if (inst.repositories !== 'all' && ids.some((id) => !(inst.repositories as number[]).includes(id))) {
      throw new GitHubError(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.', DOCS);
    }
    repositories = ids;
  }
  return { kind: 'installation', token: newToken('ghs'), installation: inst, permissions: asked, repositories, expiresAt: now + INSTALLATION_TOKEN_MS };
}
