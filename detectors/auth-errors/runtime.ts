import type { DetectorContext } from '../../src/intake/detector.js';
import { once } from '../../src/core/once.js';
import type { AuthErrorsConfig } from './config.js';
import { AuthErrorCore, type LogSource } from './core.js';
import { Recognizer } from './recognise.js';
import { emitSpike } from './signal.js';
import type { Baseline } from './window.js';

const baselineKey = (credentialId: string) => `baseline:${credentialId}`;

/**
 * One LeakGuard's auth-error detection: the core with every credential and its stored baseline,
 * shared by the pod-log follower and /ingest/logs. `feed` resolves once the spikes its lines
 * raised are stored as signals.
 */
export class AuthErrors {
  readonly core: AuthErrorCore;
  readonly ready: () => Promise<void>;

  constructor(private readonly ctx: DetectorContext<AuthErrorsConfig>) {
    this.core = new AuthErrorCore({
      spike: ctx.config.spike,
      now: () => ctx.clock.now(),
      learned: (credentialId, baseline) =>
        void ctx.state.put(baselineKey(credentialId), baseline).catch((err: unknown) => ctx.logger.warn({ err, credentialId }, 'the learned auth-error baseline could not be stored; it is stored again when the next window closes')),
    });
    this.ready = once(async () => {
      const recognizers = new Map<string, Recognizer>();
      for (const c of ctx.credentials) {
        let r = recognizers.get(c.exchange);
        if (!r) recognizers.set(c.exchange, (r = new Recognizer(c.exchange, ctx.errorCodes(c.exchange))));
        this.core.add(c.id, r, await ctx.state.get<Baseline>(baselineKey(c.id)));
      }
    });
  }

  /** Complete lines of one credential's bot, as text; resolves once any spike they raised is durable. */
  async feed(credentialId: string, text: string, source: LogSource): Promise<number> {
    await this.ready();
    const spikes = this.core.scan(credentialId, text, source);
    for (const spike of spikes) await emitSpike(this.ctx, spike);
    return spikes.length;
  }
}

const runtimes = new WeakMap<DetectorContext<AuthErrorsConfig>, AuthErrors>();

/** The runtime of this LeakGuard's context (routes and start share it). */
export function runtimeOf(ctx: DetectorContext<AuthErrorsConfig>): AuthErrors {
  let r = runtimes.get(ctx);
  if (!r) runtimes.set(ctx, (r = new AuthErrors(ctx)));
  return r;
}
