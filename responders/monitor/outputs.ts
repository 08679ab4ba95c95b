import { Type } from '@sinclair/typebox';
import { defineOutputs } from '../lib/journal.js';

export const monitorOutputs = defineOutputs('monitor', 1, Type.Object({ authErrors: Type.Integer(), pods: Type.Integer(), windowMs: Type.Integer() }, { additionalProperties: false }));
