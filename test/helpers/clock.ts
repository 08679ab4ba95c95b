import type { ManualClock } from '../../src/core/clock.js';

/**
 * Moves a ManualClock forward by `stepMs` every few real milliseconds while code under
 * test waits on it (polling loops, simulators' controllers). Returns the stop function.
 */
export function driveClock(clock: ManualClock, stepMs = 500, everyRealMs = 2): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void clock.advance(stepMs).finally(() => (busy = false));
  }, everyRealMs);
  return () => clearInterval(timer);
}
