import { Type, type Static } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

export const Position = Type.Object({ category: Type.String(), symbol: Type.String(), side: Type.String(), size: Type.String() });

/** The replicas the bot had (restore brings them back) and the positions verify compares against. */
export const freezeOutputs = defineOutputs(
  'freeze',
  1,
  Type.Object(
    {
      frozenReplicas: Type.Integer({ minimum: 0 }),
      refreezes: Type.Integer({ minimum: 0 }),
      /** null: not taken (snapshotPositions false, or the exchange has no API for them). */
      positions: Type.Union([Type.Array(Position), Type.Null()]),
      positionsError: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
);
export type FreezeOutputs = Static<typeof freezeOutputs.schema>;
