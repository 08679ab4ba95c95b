import { Type } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

export const preflightOutputs = defineOutputs('preflight', 1, Type.Object({ looks: Type.Integer({ minimum: 1 }), deferredMs: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }));
