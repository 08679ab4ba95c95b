import { Type, type Static } from '@sinclair/typebox';
import { SecretRef } from '../../src/core/credential.js';
import { detectorSection } from '../../src/intake/section.js';

/** One credential's watch: a key of its own, separate from the bot's, with the least permissions that can read orders. */
const Watch = Type.Object(
  {
    // The runbook's key JSON ({"api_key","api_secret",...}) of a read-only key of the same account, in its own secret; never the bot's key.
    key: SecretRef,
  },
  { additionalProperties: false, description: "a credential's watch key" },
);

export const ExchangeConfig = detectorSection(
  {
    watch: Type.Record(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' }), Watch, {
      default: {},
      description: 'by credential id: the watch key of each credential whose orders are watched; a credential without one is watched by its key description only',
    }),
    pollSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30, description: 'how often open orders and the key description are read over REST (also the gap filler after a stream reconnect)' }),
    expiryWarningDays: Type.Integer({ minimum: 1, maximum: 60, default: 7, description: 'a key that expires within this many days gives exchange.key.expiring' }),
    // The HMAC-SHA256 key of POST /webhooks/exchange (forwarded notices); without it the route refuses everything.
    webhookSecret: Type.Optional(SecretRef),
  },
  'Exchange watch: foreign orders (Bybit private stream, REST poll), key description drift, forwarded exchange notices',
);
export type ExchangeConfig = Static<typeof ExchangeConfig>;
