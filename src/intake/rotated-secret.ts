import type { SecretRef } from '../core/credential.js';
import { once } from '../core/once.js';
import type { DetectorContext } from './detector.js';
import { secretRefWarnings } from './section.js';

/**
 * A secret an ingress is authenticated with, and the previous values still accepted while it is
 * changed without downtime (a webhook secret, an API destination's key). `path` and
 * `previousPath` name them in the config, e.g. `webhookSecret` and `previousWebhookSecrets`.
 */
export interface RotatedSecret {
  path: string;
  current: SecretRef | undefined;
  previousPath: string;
  previous: SecretRef[];
}

/** What is wrong with the references: `refused` says what is refused without the current one, `previousRefused` without a previous one. */
export function rotatedSecretWarnings(s: RotatedSecret, env: NodeJS.ProcessEnv, refused: string, previousRefused: string): string[] {
  return [...secretRefWarnings(s.path, s.current, env, refused), ...s.previous.flatMap((ref, i) => secretRefWarnings(`${s.previousPath}[${i}]`, ref, env, previousRefused))];
}

/**
 * The accepted values, the current one first; none when no current one is configured. Each is read
 * on first use and kept once read (a Secrets Manager outage at start does not refuse for good); a
 * previous one that cannot be read (deleted before it left the config) is skipped, said once in
 * the log, and never refuses what the current one accepts.
 */
export function acceptedSecrets(ctx: Pick<DetectorContext, 'name' | 'secret' | 'logger'>, s: RotatedSecret): () => Promise<string[]> {
  const current = once(async () => (s.current ? ctx.secret(s.current) : undefined));
  const previous = s.previous.map((ref, i) => ({ read: once(() => ctx.secret(ref)), i, warned: false }));
  return async () => {
    const now = await current();
    if (!now) return [];
    const old = await Promise.all(
      previous.map(async (p) => {
        try {
          return [await p.read()];
        } catch (err) {
          if (!p.warned) ctx.logger.warn({ err }, `detectors.${ctx.name}.${s.previousPath}[${p.i}] cannot be read; what was signed with it is refused until it can be (remove it from the config once the sender uses the new one)`);
          p.warned = true;
          return [];
        }
      }),
    );
    return [now, ...old.flat()];
  };
}
