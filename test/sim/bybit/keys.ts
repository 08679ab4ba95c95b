import { randomBytes } from 'node:crypto';

/** Bybit's permission groups, in the order query-api lists them (query-api.json). */
export const PERMISSION_GROUPS = [
  'ContractTrade',
  'Spot',
  'Wallet',
  'Options',
  'Derivatives',
  'CopyTrading',
  'BlockTrade',
  'Exchange',
  'NFT',
  'Affiliate',
  'Earn',
  'FiatP2P',
  'FiatConvertBroker',
  'FiatGlobalPay',
  'FiatBitPay',
  'BitCard',
  'ByXPost',
] as const;
export type PermissionGroup = (typeof PERMISSION_GROUPS)[number];
export type Permissions = Partial<Record<PermissionGroup, string[]>>;

/** What create-sub-api may grant a sub-account key (create-subuid-apikey.mdx); anything else is dropped. */
const SUB_GRANTABLE: Partial<Record<PermissionGroup, string[]>> = {
  ContractTrade: ['Order', 'Position'],
  Spot: ['SpotTrade'],
  Wallet: ['AccountTransfer', 'SubMemberTransferList'],
  Options: ['OptionsTrade'],
  Exchange: ['ExchangeHistory'],
  Earn: ['Earn'],
};

const DAY = 86_400_000;
/** Keys without an IP binding die 90 days after creation (create-sub-api "ips" note). */
const UNBOUND_KEY_LIFETIME_MS = 90 * DAY;

export interface Account {
  uid: number;
  /** Null for a master account. */
  parentUid: number | null;
}

export interface ApiKey {
  id: string;
  apiKey: string;
  secret: string;
  uid: number;
  note: string;
  readOnly: 0 | 1;
  permissions: Permissions;
  /** ["*"] means no binding. */
  ips: string[];
  createdAt: number;
  /** Null: never expires (bound to IPs). */
  expiresAt: number | null;
  /** Before this instant the key answers 10003, as a freshly created key does until it propagates. */
  activeAt: number;
  deletedAt: number | null;
}

export interface KeySeed {
  uid: number;
  apiKey?: string;
  secret?: string;
  note?: string;
  readOnly?: 0 | 1;
  permissions?: Permissions;
  ips?: string[];
  createdAt?: number;
  expiresAt?: number | null;
  activeAt?: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randomAlnum(length: number): string {
  return [...randomBytes(length)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** Accounts (a master and its sub-accounts) and their API keys. */
export class KeyStore {
  readonly accounts = new Map<number, Account>();
  readonly keys: ApiKey[] = [];
  #nextUid = 100_001;
  #nextKeyId = 16_651_283;

  addAccount(parentUid: number | null, uid = this.#nextUid): Account {
    if (parentUid !== null && this.accounts.get(parentUid)?.parentUid !== null) {
      throw new Error(`account ${parentUid} is not a master account`);
    }
    this.#nextUid = Math.max(this.#nextUid, uid + 1);
    const account = { uid, parentUid };
    this.accounts.set(uid, account);
    return account;
  }

  addKey(seed: KeySeed, now: number): ApiKey {
    if (!this.accounts.has(seed.uid)) throw new Error(`no account ${seed.uid}`);
    const ips = seed.ips?.length ? seed.ips : ['*'];
    const createdAt = seed.createdAt ?? now;
    const key: ApiKey = {
      id: String(this.#nextKeyId++),
      // Bybit keys are 18 characters, secrets 36.
      apiKey: seed.apiKey ?? randomAlnum(18),
      secret: seed.secret ?? randomAlnum(36),
      uid: seed.uid,
      note: seed.note ?? '',
      readOnly: seed.readOnly ?? 0,
      permissions: seed.permissions ?? {},
      ips,
      createdAt,
      expiresAt: seed.expiresAt !== undefined ? seed.expiresAt : isBound(ips) ? null : createdAt + UNBOUND_KEY_LIFETIME_MS,
      // Seeded keys have always worked; create-sub-api sets its own activation time.
      activeAt: seed.activeAt ?? 0,
      deletedAt: null,
    };
    this.keys.push(key);
    return key;
  }

  /** The live (not deleted) key with this API key string. */
  find(apiKey: string): ApiKey | undefined {
    return this.keys.find((k) => k.apiKey === apiKey && k.deletedAt === null);
  }

  isMaster(key: ApiKey): boolean {
    return this.accounts.get(key.uid)?.parentUid === null;
  }

  isSubOf(subUid: number, masterUid: number): boolean {
    return this.accounts.get(subUid)?.parentUid === masterUid;
  }

  liveKeysOf(uid: number): ApiKey[] {
    return this.keys.filter((k) => k.uid === uid && k.deletedAt === null);
  }
}

function isBound(ips: string[]): boolean {
  return !(ips.length === 0 || ips.includes('*'));
}

export function hasPermission(key: ApiKey, group: PermissionGroup, anyOf: string[]): boolean {
  return (key.permissions[group] ?? []).some((p) => anyOf.includes(p));
}

/** Filters a create-sub-api permissions object down to what a sub-account key can hold. */
export function grantableToSub(requested: unknown): Permissions {
  const out: Permissions = {};
  if (!requested || typeof requested !== 'object') return out;
  for (const [group, allowed] of Object.entries(SUB_GRANTABLE) as [PermissionGroup, string[]][]) {
    const asked = (requested as Record<string, unknown>)[group];
    if (!Array.isArray(asked)) continue;
    const kept = asked.filter((p): p is string => typeof p === 'string' && allowed.includes(p));
    if (kept.length) out[group] = kept;
  }
  return out;
}

/** Every group present, as Bybit returns them (groups a key lacks are []). */
export function renderPermissions(p: Permissions): Record<PermissionGroup, string[]> {
  return Object.fromEntries(PERMISSION_GROUPS.map((g) => [g, [...(p[g] ?? [])]])) as Record<PermissionGroup, string[]>;
}

/** Bybit's datetime format: ISO 8601 to the second, "2025-10-13T03:20:45Z". */
export function bybitDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** expiredAt and deadlineDay as query-api reports them; a bound key shows the epoch and -2 (query-api.json). */
export function expiryFields(key: ApiKey, now: number): { expiredAt: string; deadlineDay: number } {
  if (key.expiresAt === null) return { expiredAt: bybitDate(0), deadlineDay: -2 };
  return { expiredAt: bybitDate(key.expiresAt), deadlineDay: Math.max(0, Math.ceil((key.expiresAt - now) / DAY)) };
}

/** GET /v5/user/query-api result (query-api.json). */
export function renderKeyInfo(store: KeyStore, key: ApiKey, now: number) {
  const parentUid = store.accounts.get(key.uid)?.parentUid ?? null;
  return {
    id: key.id,
    note: key.note,
    apiKey: key.apiKey,
    readOnly: key.readOnly,
    secret: '',
    permissions: renderPermissions(key.permissions),
    ips: key.ips,
    type: 1,
    ...expiryFields(key, now),
    createdAt: bybitDate(key.createdAt),
    unified: 0,
    uta: 1,
    userID: key.uid,
    inviterID: 0,
    vipLevel: 'No VIP',
    mktMakerLevel: '0',
    affiliateID: 0,
    rsaPublicKey: '',
    isMaster: parentUid === null,
    parentUid: String(parentUid ?? 0),
    kycLevel: parentUid === null ? 'LEVEL_1' : 'LEVEL_DEFAULT',
    kycRegion: '',
    userIDInt64: '0',
    inviterIDInt64: '0',
    affiliateIDInt64: '0',
  };
}

/** One entry of GET /v5/user/sub-apikeys (docs v5/user/list-sub-apikeys): never the secret. */
export function renderSubKeyEntry(key: ApiKey, now: number) {
  const { expiredAt, deadlineDay } = expiryFields(key, now);
  const status =
    key.expiresAt === null ? 1 : now >= key.expiresAt ? 2 : key.expiresAt - now < 7 * DAY ? 4 : 3;
  return {
    id: key.id,
    ips: key.ips,
    apiKey: key.apiKey,
    note: key.note,
    status,
    expiredAt,
    createdAt: bybitDate(key.createdAt),
    type: 1,
    permissions: renderPermissions(key.permissions),
    secret: '******',
    // The docs type this field boolean here (an integer elsewhere).
    readOnly: key.readOnly === 1,
    deadlineDay,
    flag: 'hmac',
  };
}
