import { Type } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

/** The evidence; null where that source could not be read within the time box (errors says why). */
export const assessOutputs = defineOutputs(
  'assess',
  1,
  Type.Object(
    {
      secretReaders: Type.Union([Type.Array(Type.Unknown()), Type.Null()]),
      secretReadersTotal: Type.Union([Type.Integer(), Type.Null()]),
      authErrors: Type.Union([Type.Integer(), Type.Null()]),
      errors: Type.Array(Type.String()),
    },
    { additionalProperties: false },
  ),
);
