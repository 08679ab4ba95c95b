import type { DetectorContext } from '../../src/intake/detector.js';
import type { AuthErrorsConfig } from './config.js';
import type { Spike } from './core.js';
import type { ErrorClass } from './recognise.js';

export const SOURCE = 'auth-errors';

/** The signal kinds: an auth-error spike may be a leak (a key revoked behind the bot's back, or used elsewhere); the bans never are. */
export const KINDS: Record<ErrorClass, string> = {
  auth: 'auth_errors.spike',
  ip_ban: 'auth_errors.ip_ban',
  waf_block: 'auth_errors.waf_block',
};

/** Steps during which LeakGuard itself makes the old key fail on purpose. */
const KEY_KILLING = new Set(['rotate', 'promote', 'revoke']);

const SHOWN_CHARS = 300;
/** Long runs of key-like characters (an API key, a secret that is not ours to register): only the first 4 are shown. */
const KEYLIKE = /[A-Za-z0-9]{16,}/g;

/**
 * Stores a spike as a signal: counts, the threshold and baseline, the codes seen, up to five
 * sample lines scrubbed and cut, and whether LeakGuard was rotating or revoking the credential's
 * key at the time (the rules attach such a signal to the running incident instead of opening one).
 */
export async function emitSpike(ctx: DetectorContext<AuthErrorsConfig>, spike: Spike): Promise<void> {
  const response = await ctx.activeResponse(spike.credentialId);
  const killing = response?.stepsRunning.filter((s) => KEY_KILLING.has(s)) ?? [];
  await ctx.emit({
    source: SOURCE,
    kind: KINDS[spike.cls],
    credentialId: spike.credentialId,
    confidence: 'suspected',
    observedAt: spike.at,
    evidence: {
      count: spike.count,
      windowSeconds: ctx.config.spike.windowSeconds,
      threshold: spike.threshold,
      baselinePerWindow: Math.round(spike.baseline.mean * 100) / 100,
      baselineWindows: spike.baseline.windows,
      codes: spike.codes,
      sources: spike.sources,
      samples: spike.samples.map((line) => ctx.scrubber.excerpt(line, SHOWN_CHARS * 2).replace(KEYLIKE, (k) => `${k.slice(0, 4)}…`).slice(0, SHOWN_CHARS)),
      leakguardResponse: response ? { incidentId: response.incidentId, stepsRunning: response.stepsRunning, rotatingOrRevoking: killing.length > 0 } : null,
    },
    dedupKey: `${SOURCE}:${spike.credentialId}:${spike.cls}:${spike.at}`,
    match: { key: 'credential', field: 'workload', revoked: false },
  });
}
