import { errors } from './errors.js';
import {
  type ApiKey,
  grantableToSub,
  hasPermission,
  type KeyStore,
  renderKeyInfo,
  renderPermissions,
  renderSubKeyEntry,
} from './keys.js';
import { paginate, type Params } from './params.js';

/** The key endpoints under /v5/user (docs v5/user/*). */
export interface UserContext {
  store: KeyStore;
  key: ApiKey;
  params: Params;
  now: number;
  /** How long a created key answers 10003 before it works. */
  activationDelayMs: number;
}

/** Master keys manage keys with one of "Account Transfer", "Subaccount Transfer", "Withdrawal". */
const MASTER_KEY_ADMIN = ['AccountTransfer', 'SubMemberTransfer', 'Withdraw'];
/** A sub-account key deletes itself with "Account Transfer" or "Sub Member Transfer". */
const SUB_KEY_ADMIN = ['AccountTransfer', 'SubMemberTransferList'];

function requireMasterAdmin(ctx: UserContext): void {
  const { store, key } = ctx;
  if (!store.isMaster(key) || key.readOnly === 1 || !hasPermission(key, 'Wallet', MASTER_KEY_ADMIN)) throw errors.permission();
}

function requireSubOf(ctx: UserContext, subUid: number): void {
  if (!ctx.store.isSubOf(subUid, ctx.key.uid)) throw errors.subNotOfParent();
}

/** POST /v5/user/create-sub-api (create-sub-api.json): master key only; the answer is the one time the secret is shown. */
export function createSubApi(ctx: UserContext) {
  requireMasterAdmin(ctx);
  const { subuid, readOnly, note, ips, permissions } = ctx.params;
  if (typeof subuid !== 'number' || !Number.isInteger(subuid)) throw errors.param('params error: subuid is required');
  if (readOnly !== 0 && readOnly !== 1) throw errors.param('params error: readOnly is required');
  if (ips !== undefined && typeof ips !== 'string') throw errors.param('params error: ips must be a string');
  requireSubOf(ctx, subuid);
  const granted = grantableToSub(permissions);
  if (Object.keys(granted).length === 0) throw errors.param('params error: permissions is required');
  const key = ctx.store.addKey(
    {
      uid: subuid,
      note: typeof note === 'string' ? note : '',
      readOnly,
      permissions: granted,
      ips: ips === undefined ? ['*'] : ips.split(',').map((ip) => ip.trim()).filter(Boolean),
      createdAt: ctx.now,
      activeAt: ctx.now + ctx.activationDelayMs,
    },
    ctx.now,
  );
  return {
    id: key.id,
    note: key.note,
    apiKey: key.apiKey,
    readOnly: key.readOnly,
    secret: key.secret,
    permissions: renderPermissions(key.permissions),
  };
}

/** GET /v5/user/sub-apikeys: a sub-account's keys, 20 a page at most, never the secrets. */
export function subApiKeys(ctx: UserContext) {
  if (!ctx.store.isMaster(ctx.key)) throw errors.permission();
  const subMemberId = Number(ctx.params.subMemberId);
  if (!ctx.params.subMemberId || !Number.isInteger(subMemberId)) throw errors.param('params error: subMemberId is required');
  requireSubOf(ctx, subMemberId);
  const page = paginate(ctx.store.liveKeysOf(subMemberId), ctx.params, 20, 20, (k) => k.id);
  return { result: page.items.map((k) => renderSubKeyEntry(k, ctx.now)), nextPageCursor: page.nextPageCursor };
}

/**
 * POST /v5/user/delete-sub-api (delete-sub-api.json): a master key deletes a sub-account key named by
 * `apikey`; a sub-account key deletes itself and must not pass `apikey`.
 */
export function deleteSubApi(ctx: UserContext) {
  const { store, key, params } = ctx;
  const apikey = params.apikey;
  if (store.isMaster(key)) {
    requireMasterAdmin(ctx);
    if (typeof apikey !== 'string' || !apikey) throw errors.param('params error: apikey is required');
    const target = store.find(apikey);
    // The docs name no answer for a key Bybit does not have: 10001 is this simulator's guess, and
    // LeakGuard never decides by it (the sub-account's listing proves a key gone).
    if (!target || !store.isSubOf(target.uid, key.uid)) throw errors.param('params error: apikey not found');
    target.deletedAt = ctx.now;
    return {};
  }
  if (key.readOnly === 1 || !hasPermission(key, 'Wallet', SUB_KEY_ADMIN)) throw errors.permission();
  if (apikey !== undefined) throw errors.param('params error: apikey cannot be passed with a sub-account key');
  key.deletedAt = ctx.now;
  return {};
}

/** POST /v5/user/delete-api (delete-api.json): deletes the master key that signs it; it takes no key id. */
export function deleteApi(ctx: UserContext) {
  requireMasterAdmin(ctx);
  ctx.key.deletedAt = ctx.now;
  return {};
}

/** GET /v5/user/query-api (query-api.json): the signing key's own information. */
export function queryApi(ctx: UserContext) {
  return renderKeyInfo(ctx.store, ctx.key, ctx.now);
}
