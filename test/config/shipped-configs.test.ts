import t from 'tap';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';

const root = new URL('../..', import.meta.url).pathname;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Tokens anyone would try first: common words, the names and roles of the configs, small numbers, and each with a digit or two after it. */
function guessable(extra: string[]): Set<string> {
  const words = ['', 'test', 'token', 'secret', 'password', 'passw0rd', 'changeme', 'admin', 'root', 'viewer', 'operator', 'oncall', 'dashboard', 'leakguard', 'example', 'demo', 'default', 'foo', 'bar', 'abc', 'qwerty', 'letmein', 'bearer', ...extra];
  const tokens = new Set<string>();
  for (const w of words) for (const v of [w, w.toUpperCase(), w[0]?.toUpperCase() + w.slice(1)]) for (let n = -1; n < 100; n++) tokens.add(n < 0 ? v : `${v}${n}`);
  for (let n = 0; n < 10_000; n++) tokens.add(String(n));
  return new Set([...tokens].map(sha256));
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));
}

/** The config the image ships as its default: what the Dockerfile copies to LEAKGUARD_CONFIG's path. */
function imageConfig(): string {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const path = /^COPY\s+(\S+)\s+\/etc\/leakguard\/leakguard\.yaml\s*$/m.exec(dockerfile)?.[1];
  if (!path) throw new Error('the Dockerfile copies no config to /etc/leakguard/leakguard.yaml');
  return join(root, path);
}

t.test('no shipped file holds the SHA-256 of a token anyone could guess', async (t) => {
  const shipped = [...files(join(root, 'infra')), join(root, 'Dockerfile'), join(root, 'README.md')];
  // rules.yaml is a rules file (test/cli/rules-check.test.ts checks it), not a config.
  const configs = [...shipped.filter((f) => /\.ya?ml$/.test(f) && f.includes('/infra/examples/') && !/\/rules\.ya?ml$/.test(f)), imageConfig()];
  const names = configs.flatMap((f) => loadConfig(f, {}).api.tokens.flatMap((tok) => [tok.name, ...tok.roles]));
  const known = guessable(names);
  t.ok(known.has('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'), 'the list knows sha256("test")');
  for (const file of shipped) {
    const hashes = readFileSync(file, 'utf8').match(/\b[0-9a-fA-F]{64}\b/g) ?? [];
    t.same(hashes.filter((h) => known.has(h.toLowerCase())), [], `${file.slice(root.length)}: no hash of a guessable token`);
  }
  for (const file of configs) {
    const hashes = loadConfig(file, {}).api.tokens.map((tok) => tok.sha256);
    t.same(hashes.filter((h) => known.has(h)), [], `${file.slice(root.length)}: no API token with a guessable token`);
  }
});

t.test("the image's default config lists no API tokens (and protects nothing until a real config is mounted)", async (t) => {
  const config = loadConfig(imageConfig(), {});
  t.same(config.api.tokens, []);
  t.same(config.credentials, []);
});
