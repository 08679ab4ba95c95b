import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { importPKCS8, SignJWT } from 'jose';
import type { Clock } from '../../../src/core/clock.js';
import type { App } from './app.js';
import { GitHubSim } from './server.js';

export function githubFixture(name: string): string {
  return readFileSync(new URL(`../../../../shared/fixtures/github/${name}`, import.meta.url), 'utf8');
}

export async function startGitHub(teardown: (fn: () => unknown) => void, clock?: Clock): Promise<GitHubSim> {
  const sim = new GitHubSim(clock ? { clock } : {});
  await sim.start();
  teardown(() => sim.close());
  return sim;
}

/** GET (or another method) with a token, as Octokit sends it. */
export async function gh(sim: GitHubSim, path: string, token?: string | null, init: RequestInit = {}) {
  const res = await fetch(sim.url + path, {
    ...init,
    headers: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : undefined };
}

/** An App JWT as @octokit/auth-app makes it: iat 60 s back, exp 10 minutes on; overrides for the refusals. */
export async function appJwt(app: App, now: number, claims: { iat?: number; exp?: number; iss?: string | number } = {}, key = app.privateKey): Promise<string> {
  const pkcs8 = createPrivateKey(key).export({ type: 'pkcs8', format: 'pem' }).toString();
  const s = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(String(claims.iss ?? app.clientId))
    .setIssuedAt(claims.iat ?? s - 60)
    .setExpirationTime(claims.exp ?? s + 540)
    .sign(await importPKCS8(pkcs8, 'RS256'));
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver answering `status` (or never, with 'hang'), recording every delivery. */
export async function receiver(teardown: (fn: () => unknown) => void, answer: () => number | 'hang' = () => 202) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = answer();
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/webhooks/github`, received };
}
