import type { Credential } from '../../src/core/credential.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { KeyInfo } from '../../src/intake/exchange-reads.js';
import type { ExchangeConfig } from './config.js';

const DAY = 86_400_000;

/** What is kept of a key's description between polls (ctx.state): never the key id itself, only its fingerprint. */
export interface KeyState {
  keyFp: string;
  readOnly: boolean;
  permissions: Record<string, string[]>;
  ips: string[];
  expiresAt: number | null;
  seenAt: number;
}

export const stateKey = (credentialId: string) => `key:${credentialId}`;

function stateOf(info: KeyInfo, now: number): KeyState {
  const permissions: Record<string, string[]> = {};
  for (const g of Object.keys(info.permissions).sort()) {
    const ps = [...(info.permissions[g] ?? [])].sort();
    if (ps.length) permissions[g] = ps;
  }
  return { keyFp: fingerprint(info.keyId), readOnly: info.readOnly, permissions, ips: [...info.ips].sort(), expiresAt: info.expiresAt, seenAt: now };
}

/** Permissions in `now` that `before` lacked, as "Group:Permission". */
function added(before: KeyState, now: KeyState): string[] {
  return Object.entries(now.permissions).flatMap(([g, ps]) => ps.filter((p) => !(before.permissions[g] ?? []).includes(p)).map((p) => `${g}:${p}`));
}

/**
 * Compares the credential's key as the exchange describes it now with the last description seen
 * (kept in the detector's state, so a restart does not forget it): an IP list that changed, a
 * permission added (Withdraw above all) or a key about to expire each give one signal; the state
 * is written after the signals are stored, so a change is reported once, not on every poll. A
 * new key (a rotation) starts a new baseline without a signal.
 */
export async function checkDrift(ctx: DetectorContext<ExchangeConfig>, credential: Credential, info: KeyInfo): Promise<string[]> {
  const now = ctx.clock.now();
  const current = stateOf(info, now);
  const before = await ctx.state.get<KeyState>(stateKey(credential.id));
  const emitted: string[] = [];
  // A change is named by the state it left (kept since the last change) and the one it reached: A→B→A→B gives three signals.
  const transition = (change: string) => `${before?.seenAt ?? 0}:${change}`;
  const emit = async (kind: string, confidence: 'suspected' | 'confirmed', evidence: Record<string, unknown>, change: string) => {
    await ctx.emit({
      source: 'exchange',
      kind,
      credentialId: credential.id,
      confidence,
      observedAt: now,
      evidence: { exchange: credential.exchange, ...evidence },
      dedupKey: `${kind}:${credential.id}:${current.keyFp.slice(0, 16)}:${fingerprint(change).slice(0, 16)}`,
      match: { key: 'credential', stage: 'AWSCURRENT', field: 'api_key', revoked: false },
    });
    emitted.push(kind);
  };
  if (before && before.keyFp === current.keyFp) {
    if (before.ips.join(',') !== current.ips.join(',')) {
      await emit('exchange.key.ips_changed', 'suspected', { before: before.ips, now: current.ips, unbound: current.ips.length === 0 }, transition(`ips:${current.ips.join(',')}`));
    }
    const gained = added(before, current);
    if (gained.length || (before.readOnly && !current.readOnly)) {
      const withdraw = gained.some((p) => /withdraw/i.test(p));
      // Nobody but a person in the exchange's UI (or a master key) can widen a key: Withdraw on a trading key is never LeakGuard's doing.
      await emit('exchange.key.permission_added', withdraw ? 'confirmed' : 'suspected', { added: gained, withdraw, readOnlyBefore: before.readOnly, readOnlyNow: current.readOnly }, transition(`perms:${JSON.stringify(current.permissions)}:${current.readOnly}`));
    }
  }
  if (current.expiresAt !== null && current.expiresAt - now < ctx.config.expiryWarningDays * DAY) {
    const days = Math.max(0, Math.floor((current.expiresAt - now) / DAY));
    // Said once per key and expiry date, however many polls see it coming.
    await emit('exchange.key.expiring', 'suspected', { expiresAt: new Date(current.expiresAt).toISOString(), daysLeft: days, unbound: current.ips.length === 0 }, `expires:${current.expiresAt}`);
  }
  const changed = !before || JSON.stringify({ ...before, seenAt: 0 }) !== JSON.stringify({ ...current, seenAt: 0 });
  if (changed) await ctx.state.put(stateKey(credential.id), current);
  return emitted;
}
