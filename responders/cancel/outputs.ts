import { Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';
import { KEY_CHOICES } from '../lib/keys.js';

/** What a cancel did; a person's cancel (no API) records only `by` and `afterRevoke`. */
export const cancelOutputs = defineOutputs(
  'cancel',
  1,
  Type.Object(
    {
      by: Type.Optional(Type.Literal('person')),
      key: Type.Optional(StringEnum(KEY_CHOICES)),
      keyHint: Type.Optional(Type.String()),
      cancelled: Type.Optional(Type.Integer()),
      polls: Type.Optional(Type.Integer()),
      /** Written by releases whose single pass looked afterwards: what it still found open. */
      stillOpen: Type.Optional(Type.Integer()),
      /** Open orders without the bot's prefix: placed by someone else. */
      foreignOrders: Type.Optional(Type.Integer()),
      /** The incident's target was already revoked: foreign orders now mean someone else trades on the account. */
      afterRevoke: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
);
