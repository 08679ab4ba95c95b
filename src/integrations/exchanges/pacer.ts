import type { Clock } from '../../core/clock.js';

/**
 * Keeps calls within a per-second limit by name (an exchange's per-UID, per-endpoint limits), so
 * LeakGuard's own bursts never trip them: a call waits on the clock for a free slot. A slot counts
 * until a second after its answer is in, since the exchange counts a call when it arrives.
 */
export class Pacer {
  readonly #slots = new Map<string, { at: number }[]>();

  constructor(private readonly clock: Clock) {}

  async run<T>(name: string, perSecond: number, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = await this.#take(name, perSecond, signal);
    try {
      return await fn();
    } finally {
      slot.at = this.clock.now();
    }
  }

  async #take(name: string, perSecond: number, signal?: AbortSignal): Promise<{ at: number }> {
    for (;;) {
      const now = this.clock.now();
      const slots = (this.#slots.get(name) ?? []).filter((s) => s.at > now - 1000);
      this.#slots.set(name, slots);
      if (slots.length < perSecond) {
        const slot = { at: now };
        slots.push(slot);
        return slot;
      }
      await this.clock.sleep(Math.min(...slots.map((s) => s.at)) + 1000 - now, signal);
    }
  }
}
