import type { DetectorContext } from '../../src/intake/detector.js';
import type { GitHubConfig } from './config.js';

const KEY = 'hooks';

/**
 * The organisations to reconcile and their webhook ids: those in the config, and those learned
 * from deliveries (X-GitHub-Hook-ID), kept in the detector's durable state so a restart knows them.
 */
export class HookDirectory {
  readonly #known = new Map<string, number>();
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: DetectorContext<GitHubConfig>) {}

  /** Records a hook id seen for an organisation; written once per new pair, never on the delivery's path. */
  learn(org: string, hookId: number): void {
    if (this.#known.get(org) === hookId) return;
    this.#known.set(org, hookId);
    this.#writing = this.#writing
      .then(async () => {
        const learned = (await this.ctx.state.get<Record<string, number>>(KEY)) ?? {};
        if (learned[org] !== hookId) await this.ctx.state.put(KEY, { ...learned, [org]: hookId });
      })
      .catch((err: unknown) => {
        this.#known.delete(org);
        this.ctx.logger.warn({ err, org }, 'could not keep the learned webhook id; it is learned again from the next delivery');
      });
  }

  /** Every organisation to reconcile, with its hook id when known (the config's wins). */
  async organizations(): Promise<Map<string, number | undefined>> {
    const learned = (await this.ctx.state.get<Record<string, number>>(KEY)) ?? {};
    const out = new Map<string, number | undefined>(Object.entries(learned));
    for (const o of this.ctx.config.organizations) out.set(o.login, o.hookId ?? learned[o.login]);
    return out;
  }
}
