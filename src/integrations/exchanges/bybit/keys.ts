import type { Clock } from '../../../core/clock.js';
import { IntegrationError } from '../../errors.js';
import type { CallContext, KeyInfo, KeyMaterial, NewKey, NewKeySpec, RevokeTarget } from '../exchange.js';
import { paged, type BybitClient } from './client.js';
import { BYBIT } from './errors.js';

const DAY = 86_400_000;
/** create-sub-api: a key without an IP binding dies 90 days after it was made. */
const UNBOUND_KEY_LIFETIME_MS = 90 * DAY;

/** What query-api and sub-apikeys say about a key; the latter types readOnly as a boolean. */
interface BybitKeyEntry {
  apiKey: string;
  note: string;
  readOnly: number | boolean;
  permissions: object;
  ips?: string[];
  expiredAt?: string;
  userID?: number;
  isMaster?: boolean;
}

/**
 * Bybit key management (DESIGN.md, "Bybit:"): LeakGuard's master key creates, lists and
 * deletes the keys of a sub-account (the credential's account.uid); a key outside a
 * sub-account, a master key, deletes only itself.
 */
export class BybitKeys {
  constructor(
    private readonly client: BybitClient,
    private readonly clock: Clock,
  ) {}

  async describe(key: KeyMaterial, ctx?: CallContext): Promise<KeyInfo> {
    const info = await this.client.request('query-api', key, ctx, (sdk) => sdk.getQueryApiKey());
    return keyInfo(info, String(info.userID));
  }

  async create(master: KeyMaterial, spec: NewKeySpec, ctx?: CallContext): Promise<NewKey> {
    const created = await this.client.request('create-sub-api', master, ctx, (sdk) =>
      sdk.createSubUIDAPIKey({
        subuid: Number(spec.account),
        note: spec.note,
        readOnly: spec.readOnly ? 1 : 0,
        permissions: spec.permissions,
        ...(spec.ips.length ? { ips: spec.ips.join(',') } : {}),
      }),
    );
    const material = { apiKey: created.apiKey, apiSecret: created.secret };
    // The one time Bybit shows this secret: scrub it from everything before anything else happens.
    this.client.register(material);
    return {
      material,
      info: {
        keyId: created.apiKey,
        account: spec.account,
        note: created.note,
        readOnly: created.readOnly === 1,
        permissions: nonEmpty(created.permissions),
        ips: spec.ips,
        expiresAt: spec.ips.length ? null : this.clock.now() + UNBOUND_KEY_LIFETIME_MS,
        isMaster: false,
      },
    };
  }

  async list(master: KeyMaterial, uid: string, ctx?: CallContext): Promise<KeyInfo[]> {
    const entries = await this.client.pages<BybitKeyEntry>('sub-apikeys', master, ctx, async (sdk, cursor) =>
      paged(await sdk.getSubAccountAllApiKeys({ subMemberId: uid, limit: 20, ...(cursor ? { cursor } : {}) }), (r) => r.result, (r) => r.nextPageCursor),
    );
    return entries.map((e) => keyInfo(e, uid));
  }

  /** A sub-account key with the master key (delete-sub-api); without a sub-account, the key deletes itself. */
  revoke(target: RevokeTarget, ctx?: CallContext): Promise<{ alreadyGone: boolean }> {
    if (target.master && target.account) return this.#deleteSubKey(target.master, target.keyId, target.account, ctx);
    if (target.material) return this.#deleteOwnKey(target.material, ctx);
    return Promise.reject(
      new IntegrationError({
        system: BYBIT,
        operation: 'revoke key',
        kind: 'invalid_request',
        retryable: false,
        detail: `key ${target.keyId.slice(0, 4)}… names no sub-account and its secret is not at hand`,
        action: "add account.uid to the credential (LeakGuard's master key deletes sub-account keys), or delete the key in Bybit > API management",
      }),
    );
  }

  async #deleteSubKey(master: KeyMaterial, keyId: string, uid: string, ctx?: CallContext): Promise<{ alreadyGone: boolean }> {
    try {
      await this.client.request('delete-sub-api', master, ctx, (sdk) => sdk.deleteSubApiKey({ apikey: keyId }));
      return { alreadyGone: false };
    } catch (err) {
      // Bybit refuses to delete a key it no longer has (10001); the sub-account's key list says whether that is why.
      if (!(err instanceof IntegrationError && err.code === 10001)) throw err;
      const keys = await this.list(master, uid, ctx);
      if (keys.some((k) => k.keyId === keyId)) throw err;
      return { alreadyGone: true };
    }
  }

  async #deleteOwnKey(key: KeyMaterial, ctx?: CallContext): Promise<{ alreadyGone: boolean }> {
    // The documented invalid-key answer to an authenticated read proves the key gone.
    const gone = (err: unknown) => err instanceof IntegrationError && err.kind === 'invalid_key';
    try {
      // A master key deletes itself with delete-api; a sub-account key with delete-sub-api and no apikey.
      const { isMaster } = await this.describe(key, ctx);
      await this.client.request(isMaster ? 'delete-api' : 'delete-sub-api', key, ctx, (sdk) => (isMaster ? sdk.deleteMasterApiKey() : sdk.deleteSubApiKey()));
      return { alreadyGone: false };
    } catch (err) {
      if (gone(err)) return { alreadyGone: true };
      throw err;
    }
  }
}

/**
 * create-sub-api needs a master key with Wallet AccountTransfer or SubMemberTransfer; it
 * must not be read-only, and must not hold Withdrawal (a leaked master key could drain the account).
 */
export function masterKeyProblems(info: KeyInfo): string[] {
  const wallet = info.permissions.Wallet ?? [];
  const problems: string[] = [];
  if (!info.isMaster) problems.push('it is a sub-account key; create-sub-api needs a master account key');
  if (info.readOnly) problems.push('it is read-only; create-sub-api needs a read-write key');
  if (!wallet.includes('AccountTransfer') && !wallet.includes('SubMemberTransfer')) problems.push('it lacks Wallet AccountTransfer or SubMemberTransfer, which create-sub-api requires');
  if (wallet.includes('Withdraw')) problems.push('it holds the Withdrawal permission; create a master key without it');
  return problems;
}

/** A key as LeakGuard describes it: no secret, empty permission groups and the "*" IP left out. */
function keyInfo(e: BybitKeyEntry, uid: string): KeyInfo {
  const expiresAt = e.expiredAt ? Date.parse(e.expiredAt) : NaN;
  return {
    keyId: e.apiKey,
    account: uid,
    note: e.note,
    readOnly: e.readOnly === 1 || e.readOnly === true,
    permissions: nonEmpty(e.permissions),
    ips: (e.ips ?? []).filter((ip) => ip !== '*'),
    // A bound key shows the epoch: it never expires.
    expiresAt: Number.isFinite(expiresAt) && expiresAt > 0 ? expiresAt : null,
    isMaster: e.isMaster ?? false,
  };
}

function nonEmpty(permissions: object): Record<string, string[]> {
  return Object.fromEntries(Object.entries(permissions as Record<string, unknown>).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0));
}
