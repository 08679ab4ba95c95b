import type { Confidence, SignalInput } from '../../src/core/signal.js';
import { UNMATCHED } from '../../src/core/signal.js';
import type { DetectorContext, WorkHandler } from '../../src/intake/detector.js';
import type { CredentialMatch } from '../../src/intake/matcher.js';
import { examine, type Examined } from './alert.js';
import type { GitHubApi } from './api.js';
import type { GitHubConfig } from './config.js';
import type { AlertWork } from './delivery.js';

const SOURCE = 'github';
/** Retries of a fetch: 2 s, 4 s, … at most 5 minutes apart. */
const retryInMs = (failures: number) => Math.min(300_000, 2_000 * 2 ** Math.max(0, failures - 1));

/**
 * Runs one queued alert (from a delivery or from reconciliation): fetches it, matches its secret,
 * emits what it means. While GitHub or the keys cannot be read, it emits one alert-only
 * `github.secret.unverified` signal and is retried; the real signal follows once the fetch works.
 */
export function alertHandler(ctx: DetectorContext<GitHubConfig>, api: () => Promise<GitHubApi | undefined>): WorkHandler {
  return {
    retryInMs,
    async run(item, signal) {
      const work = item.payload as AlertWork;
      let examined: Examined;
      let matches: CredentialMatch[];
      try {
        const client = await api();
        if (!client) {
          await emitUnverified(ctx, work, 'LeakGuard has no REST access to GitHub (detectors.github.api), so it cannot read the secret to tell whose it is');
          return 'done';
        }
        examined = await examine(client, work, ctx.scrubber, signal);
        ctx.heard();
        matches = unique((await Promise.all(examined.values.map((v) => ctx.match.match(v, signal)))).flat());
      } catch (err) {
        await emitUnverified(ctx, work, (err as Error).message);
        throw err;
      }
      if (!matches.length) {
        await ctx.emit(signalOf(work, examined, null));
        return 'done';
      }
      for (const m of matches) {
        const first = signalOf(work, examined, m);
        await ctx.emit(first);
        // GitHub checks validity for partner patterns only: LeakGuard proves a private leak itself by reading with the key.
        if (first.confidence === 'suspected' && examined.state === 'open' && !m.revoked) {
          const check = await ctx.checkKey(m, signal);
          if (check.state === 'live') await ctx.emit(signalOf(work, examined, m, { confirmedBy: check.detail }));
          else ctx.logger.info({ credential: m.credentialId, keyCheck: check.state }, `a private leak of ${m.credentialId} stays suspected: ${check.detail}`);
        }
      }
      return 'done';
    },
  };
}

/** What an alert means: resolved, a public (or publicly leaked, or GitHub-validated) leak, or a private one. */
function signalOf(work: AlertWork, e: Examined, m: CredentialMatch | null, confirmed?: { confirmedBy: string }): SignalInput {
  const publicLeak = e.visibility === 'public' || e.publiclyLeaked;
  const base = e.state === 'resolved' ? 'github.secret.resolved' : publicLeak ? 'github.secret.public_leak' : 'github.secret.private_leak';
  const confidence: Confidence = confirmed || publicLeak || e.validity === 'active' ? 'confirmed' : 'suspected';
  const kind = m ? base : `${base}${UNMATCHED}`;
  const key = m ? `${m.credentialId}:${m.key}:${m.versionId ?? '-'}` : 'none';
  return {
    source: SOURCE,
    kind,
    credentialId: m?.credentialId ?? null,
    confidence,
    observedAt: e.observedAt,
    evidence: { ...e.evidence, ...(confirmed ? { keyCheck: confirmed.confirmedBy } : {}) },
    dedupKey: `github:alert:${work.repoId}:${work.number}:${e.state}:${confidence}:${key}`,
    match: m ? { key: m.key, field: m.field, revoked: m.revoked, ...(m.stage ? { stage: m.stage } : {}), ...(m.versionId ? { versionId: m.versionId } : {}) } : null,
  };
}

/** One per alert: GitHub knows of a secret LeakGuard could not yet read or match; alert only, never a rotation. */
async function emitUnverified(ctx: DetectorContext<GitHubConfig>, work: AlertWork, why: string): Promise<void> {
  await ctx.emit({
    source: SOURCE,
    kind: 'github.secret.unverified',
    credentialId: null,
    confidence: 'suspected',
    observedAt: ctx.clock.now(),
    evidence: {
      repository: `${work.owner}/${work.repo}`,
      visibility: work.private ? 'private' : 'public',
      alertNumber: work.number,
      alertUrl: work.alertUrl ?? null,
      secretType: work.secretType ?? null,
      via: work.via,
      why: ctx.scrubber.excerpt(why, 400),
    },
    dedupKey: `github:unverified:${work.repoId}:${work.number}`,
  });
}

/** A value may match as key and secret both (never in practice) or twice through a base64 form: one match per key. */
function unique(matches: CredentialMatch[]): CredentialMatch[] {
  const seen = new Map<string, CredentialMatch>();
  for (const m of matches) {
    const id = `${m.credentialId}:${m.key}:${m.versionId ?? ''}`;
    if (!seen.has(id)) seen.set(id, m);
  }
  return [...seen.values()];
}
