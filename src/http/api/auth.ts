import fp from 'fastify-plugin';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Actor } from '../../core/incident.js';
import { ROLES, type Config, type Role } from '../../config/schema.js';
import { bearerToken, tokenMatches } from '../bearer.js';
import { HttpProblem } from '../problem.js';

/** Who is calling, as the audit log and the timeline name them. */
export interface Caller {
  name: string;
  role: Role;
  actor: Actor;
  via: 'token' | 'oidc';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The lowest role that may call the route: viewer reads, operator steers incidents, admin pauses, resumes and rotates in bulk. */
    role?: Role;
  }
  interface FastifyRequest {
    caller: Caller | null;
  }
}

const rank = (role: Role) => ROLES.indexOf(role);
const highest = (roles: readonly Role[]): Role | undefined => [...roles].sort((a, b) => rank(b) - rank(a))[0];
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Bearer authentication and roles for every route of the scope it is registered in; a route
 * without a `role` cannot be registered there. A token is one of `api.tokens` (its SHA-256
 * compared in constant time), or, with `api.oidc`, a JWT of the identity provider verified
 * against its JWKS, whose roles claim gives the role.
 */
export const authPlugin = fp(async (app) => {
  const identify = identifier(app.leakguard.config.api);
  app.decorateRequest('caller', null);
  app.addHook('onRoute', (route) => {
    if (!route.config?.role) throw new Error(`API route ${String(route.method)} ${route.url} names no role (config.role)`);
  });
  app.addHook('onRequest', async (req, reply) => {
    const needs = req.routeOptions.config.role!;
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      reply.header('www-authenticate', 'Bearer');
      throw new HttpProblem(401, 'Unauthorized', 'send "Authorization: Bearer TOKEN"; an admin makes a token with `leakguard token` and adds its line to api.tokens');
    }
    const caller = await identify(token);
    if (!caller) {
      reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new HttpProblem(401, 'Unauthorized', 'the bearer token is not one LeakGuard knows (api.tokens) nor a valid token of its identity provider (api.oidc); check it, or ask an admin for a new one');
    }
    if (rank(caller.role) < rank(needs)) throw new HttpProblem(403, 'Forbidden', `${req.method} ${req.routeOptions.url} needs the ${needs} role; ${caller.name} has ${caller.role}. Ask an admin for a token with that role`);
    req.caller = caller;
  });
});

function identifier(api: Config['api']): (token: string) => Promise<Caller | undefined> {
  const oidc = api.oidc && { ...api.oidc, jwks: createRemoteJWKSet(new URL(api.oidc.jwksUrl)) };
  return async (token) => {
    if (oidc && JWT_SHAPE.test(token)) return verifyJwt(token, oidc);
    // Every hash is compared, so the time taken says nothing about which one (if any) matched.
    let found: Config['api']['tokens'][number] | undefined;
    for (const t of api.tokens) if (tokenMatches(token, t.sha256) && !found) found = t;
    return found && { name: found.name, role: highest(found.roles)!, actor: `user:${found.name}`, via: 'token' };
  };
}

type Oidc = NonNullable<Config['api']['oidc']> & { jwks: JWTVerifyGetKey };

async function verifyJwt(token: string, oidc: Oidc): Promise<Caller | undefined> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, oidc.jwks, { issuer: oidc.issuer, audience: oidc.audience }));
  } catch (err) {
    // The JWKS unreachable is ours to fix, not the caller's: said as such, never as a bad token.
    if (err instanceof joseErrors.JOSEError && !(err instanceof joseErrors.JWKSTimeout) && err.code !== 'ERR_JOSE_GENERIC') return undefined;
    throw new HttpProblem(503, 'Service Unavailable', `the identity provider's keys (api.oidc.jwksUrl) could not be read, so the token cannot be checked; use an api.tokens token meanwhile`);
  }
  const name = payload[oidc.nameClaim];
  const claim = payload[oidc.rolesClaim];
  const values = Array.isArray(claim) ? claim : claim === undefined ? [] : [claim];
  const role = highest(values.flatMap((v) => (typeof v === 'string' && oidc.roleMap[v] ? [oidc.roleMap[v]] : [])));
  if (typeof name !== 'string' || !name) return undefined;
  if (!role) throw new HttpProblem(403, 'Forbidden', `the identity provider grants ${name} none of LeakGuard's roles (claim ${oidc.rolesClaim}, mapped by api.oidc.roleMap); ask an admin to add you to a mapped group`);
  return { name, role, actor: `user:${name}`, via: 'oidc' };
}
