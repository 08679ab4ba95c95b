import type { Clock } from '../../../core/clock.js';
import { keyHint } from '../../../core/fingerprint.js';
import type { Revoked } from '../../../core/revocation.js';
import { IntegrationError } from '../../errors.js';
import type { CallContext, KeyInfo, KeyMaterial, NewKey, NewKeySpec, RevokeTarget } from '../exchange.js';
import { deleteThenList, unproven } from '../proof.js';
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
  createdAt?: string;
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
      'create-sub-api',
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

  /**
   * A sub-account key with the master key (delete-sub-api), proved by the master key's listing;
   * without a sub-account, the key deletes itself, proved by 10003 while the master key works.
   */
  revoke(target: RevokeTarget, ctx?: CallContext): Promise<Revoked> {
    const { master, account, keyId } = target;
    if (master && account) {
      return deleteThenList({
        system: BYBIT,
        keyId,
        account,
        remove: () => this.client.request('delete-sub-api', master, ctx, (sdk) => sdk.deleteSubApiKey({ apikey: keyId }), 'delete-sub-api'),
        list: () => this.list(master, account, ctx),
      });
    }
    if (target.material) return this.#deleteOwnKey(target.material, master, ctx);
    return Promise.reject(
      new IntegrationError({
        system: BYBIT,
        operation: 'revoke key',
        kind: 'invalid_request',
        retryable: false,
        detail: `key ${keyHint(keyId)} names no sub-account and its secret is not at hand`,
        action: "add account.uid to the credential (LeakGuard's master key deletes sub-account keys), or delete the key in Bybit > API management",
      }),
    );
  }

  async #deleteOwnKey(key: KeyMaterial, master: KeyMaterial | undefined, ctx?: CallContext): Promise<Revoked> {
    let isMaster: boolean;
    try {
      ({ isMaster } = await this.describe(key, ctx));
    } catch (err) {
      if (!isInvalidKey(err)) throw err;
      return { alreadyGone: true, proof: 'invalid_key', evidence: await this.#invalidKeyProof(key, master, ctx) };
    }
    // A master key deletes itself with delete-api; a sub-account key with delete-sub-api and no apikey.
    await this.client.request(isMaster ? 'delete-api' : 'delete-sub-api', key, ctx, (sdk) => (isMaster ? sdk.deleteMasterApiKey() : sdk.deleteSubApiKey()), isMaster ? undefined : 'delete-sub-api');
    try {
      await this.describe(key, ctx);
    } catch (err) {
      if (!isInvalidKey(err)) throw err;
      return { alreadyGone: false, proof: 'invalid_key', evidence: await this.#invalidKeyProof(key, master, ctx) };
    }
    throw unproven(BYBIT, `the delete of key ${keyHint(key.apiKey)} was acknowledged, yet the key still answers`, `delete key ${keyHint(key.apiKey)} in Bybit > API management now; LeakGuard tries again`);
  }

  /**
   * 10003 proves a key gone only on the right domain: Bybit answers it too when key and base URL
   * (mainnet, testnet, demo) do not match. The master key authenticating here, now, shows that.
   */
  async #invalidKeyProof(key: KeyMaterial, master: KeyMaterial | undefined, ctx?: CallContext): Promise<string> {
    const hint = keyHint(key.apiKey);
    const action = `check exchanges.bybit.baseUrl, and that key ${hint} is gone in Bybit > API management; then retry the step`;
    if (!master || master.apiKey === key.apiKey) {
      throw unproven(BYBIT, `key ${hint} answers 10003 (invalid key), and no other key of LeakGuard's shows that this base URL is the key's domain`, `${action} (set account.masterKey on the credential so LeakGuard can prove it)`);
    }
    try {
      await this.describe(master, ctx);
    } catch (err) {
      throw unproven(BYBIT, `key ${hint} answers 10003 (invalid key), but so does LeakGuard's master key: the base URL may be the wrong domain`, action, err);
    }
    return `key ${hint} answers 10003 (invalid key) while LeakGuard's master key works on the same base URL`;
  }
}

/** Bybit's documented answer to a key it does not have (10003); 10007 and HTTP 401 say only that authentication failed. */
const isInvalidKey = (err: unknown) => err instanceof IntegrationError && err.code === 10003;

/**
 * create-sub-api and delete-sub-api need a master key with Wallet AccountTransfer or SubMemberTransfer; it
 * must not be read-only, and must not hold Withdrawal (a leaked master key could drain the account).
 */
export function masterKeyProblems(info: KeyInfo): string[] {
  const wallet = info.permissions.Wallet ?? [];
  const problems: string[] = [];
  if (!info.isMaster) problems.push('it is a sub-account key; create-sub-api needs a master account key');
  if (info.readOnly) problems.push('it is read-only; create-sub-api needs a read-write key');
  if (!wallet.includes('AccountTransfer') && !wallet.includes('SubMemberTransfer')) problems.push('it lacks Wallet AccountTransfer or SubMemberTransfer, which create-sub-api and delete-sub-api require');
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
    createdAt: e.createdAt && Number.isFinite(Date.parse(e.createdAt)) ? Date.parse(e.createdAt) : null,
    isMaster: e.isMaster ?? false,
  };
}

function nonEmpty(permissions: object): Record<string, string[]> {
  return Object.fromEntries(Object.entries(permissions as Record<string, unknown>).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0));
}
