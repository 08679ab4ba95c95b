import { Type, type Static } from '@sinclair/typebox';

/**
 * A credential is one managed exchange key and everything LeakGuard must know to respond
 * for it. The schema is the single source: config validation and the TypeScript type both
 * come from it. Secret values never appear here: only where to find them.
 */
export const EnvRef = Type.Object({ env: Type.String({ minLength: 1, description: 'environment variable holding the value' }) }, { additionalProperties: false });
export type EnvRef = Static<typeof EnvRef>;

export const SecretRef = Type.Union(
  [
    EnvRef,
    Type.Object({ secretsManager: Type.String({ minLength: 1, description: 'Secrets Manager secret id holding the value' }) }, { additionalProperties: false }),
  ],
  { description: 'where a secret value lives; never the value itself' },
);
export type SecretRef = Static<typeof SecretRef>;

export const Category = Type.Union([Type.Literal('spot'), Type.Literal('linear'), Type.Literal('inverse'), Type.Literal('option')]);
export type Category = Static<typeof Category>;

/**
 * What a new key gets (DESIGN.md: never read from the leaked key, which an attacker may have
 * changed): its permission groups as the exchange names them, and the bot's IPs (LeakGuard's
 * egress IPs are added; none: an unbound key). Withdraw is never granted.
 */
export const Baseline = Type.Object(
  {
    permissions: Type.Record(Type.String(), Type.Array(Type.String({ description: 'a permission; never Withdraw (refused by the config check)' }), { minItems: 1 }), {
      minProperties: 1,
      description: 'e.g. {ContractTrade: [Order, Position], Spot: [SpotTrade]}',
    }),
    ips: Type.Array(Type.String(), { default: [], description: "the bot's egress IPs; empty leaves the new key unbound (Bybit: it expires after 90 days)" }),
  },
  { additionalProperties: false },
);
export type Baseline = Static<typeof Baseline>;

/**
 * verify's order test (the runbook's order-placement check), opt-in: a post-only limit order away
 * from the market but inside the price bands, at the minimum quantity and notional, placed with
 * the new key and cancelled at once.
 */
export const TradeTest = Type.Object(
  {
    category: Category,
    symbol: Type.String({ minLength: 1 }),
    side: Type.Union([Type.Literal('Buy'), Type.Literal('Sell')], { default: 'Buy' }),
    awayPercent: Type.Number({ exclusiveMinimum: 0, maximum: 50, default: 2, description: 'how far from the best price, in percent; held inside the price bands' }),
  },
  { additionalProperties: false },
);
export type TradeTest = Static<typeof TradeTest>;

/** The credential schema for the exchanges LeakGuard was built with (their names come from config/). */
export const credentialSchema = (exchangeNames: readonly string[]) =>
  Type.Object(
    {
      id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'e.g. bybit-prod-trading' }),
      exchange: Type.Union(exchangeNames.map((name) => Type.Literal(name))),
      account: Type.Object(
        {
          uid: Type.Optional(Type.String({ description: 'the account the key belongs to (Bybit: the sub-account UID)' })),
          masterKey: Type.Optional(SecretRef),
        },
        { additionalProperties: false, default: {} },
      ),
      secretId: Type.String({ minLength: 1, description: 'Secrets Manager secret id, e.g. prod/bybit/api' }),
      rotationOwner: Type.Union([Type.Literal('leakguard'), Type.Literal('lambda')], { default: 'leakguard' }),
      workload: Type.Object(
        {
          namespace: Type.String({ minLength: 1 }),
          deployment: Type.String({ minLength: 1 }),
          selector: Type.String({ minLength: 1, description: 'label selector of the bot pods, e.g. app=live-trading-bot' }),
        },
        { additionalProperties: false },
      ),
      delivery: Type.Union(
        [
          Type.Object({ mode: Type.Literal('direct') }, { additionalProperties: false }),
          Type.Object({ mode: Type.Literal('external-secrets'), externalSecret: Type.String({ minLength: 1 }), secretName: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        ],
        { default: { mode: 'direct' } },
      ),
      trades: Type.Object(
        {
          categories: Type.Array(Category, { minItems: 1, uniqueItems: true }),
          settleCoins: Type.Array(Type.String(), { default: [] }),
          symbols: Type.Array(Type.String(), { default: [] }),
        },
        { additionalProperties: false },
      ),
      orderLinkPrefix: Type.String({ minLength: 1, description: "the bot's orderLinkId / clientOrderId prefix" }),
      people: Type.Array(Type.String(), { default: [] }),
      tags: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'labels rules can match on (credential: tag:NAME)' }),
      rotationDays: Type.Integer({ minimum: 1, maximum: 365, default: 90 }),
      baseline: Type.Optional(Baseline),
      verify: Type.Object({ tradeTest: Type.Optional(TradeTest) }, { additionalProperties: false, default: {} }),
    },
    { additionalProperties: false },
  );
export type Credential = Static<ReturnType<typeof credentialSchema>>;
