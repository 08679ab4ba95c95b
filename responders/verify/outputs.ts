import { Type } from '@sinclair/typebox';
import { StringEnum } from '../lib/define.js';
import { defineOutputs } from '../lib/journal.js';
import { KEY_CHOICES } from '../lib/keys.js';

export const CHECKS = ['key', 'pods', 'positions'] as const;

/**
 * What each check that ran found; positionsMatch is null when there was no snapshot to compare.
 * Version 2 adds the order test (credentials[].verify.tradeTest); a version 1 row reads without it.
 */
export const verifyOutputs = defineOutputs(
  'verify',
  2,
  Type.Object(
    {
      key: StringEnum(KEY_CHOICES),
      checks: Type.Array(StringEnum(CHECKS)),
      keyHint: Type.Optional(Type.String()),
      keyWorks: Type.Optional(Type.Boolean()),
      keyTries: Type.Optional(Type.Integer()),
      pods: Type.Optional(Type.Integer()),
      positionsMatch: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
      positionsBefore: Type.Optional(Type.Array(Type.String())),
      positionsNow: Type.Optional(Type.Array(Type.String())),
      tradeTest: Type.Optional(Type.Object({ symbol: Type.String(), side: Type.String(), orderId: Type.String(), price: Type.String(), qty: Type.String(), cancelled: Type.Literal(true) }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  (outputs) => outputs as never,
);
