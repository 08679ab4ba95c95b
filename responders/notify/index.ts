import { Type } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { alert, SEVERITIES } from '../lib/alert.js';
import { defineResponder, StringEnum } from '../lib/define.js';
import { notifyOutputs } from './outputs.js';

const Params = Type.Object({ severity: StringEnum(SEVERITIES, { default: 'info' }), message: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false });

/** Tells people through every configured notifier: what ran, how long each step took, what failed. */
export const notify = defineResponder({
  name: 'notify',
  outputs: notifyOutputs,
  params: Params,
  policy: { timeoutMs: 15_000, retries: 2, backoffMs: 1_000 },
  beforeTarget: true,
  plan: (_ctx, p) => `send a ${p.severity} notification`,
  async run(ctx, params) {
    const text = params.message ?? summary(ctx);
    const { slack, eventIds } = await alert(ctx, params.severity, text, { steps: stepTimes(ctx) });
    return { status: 'succeeded', outputs: { slack, eventbridge: eventIds.length }, message: `sent (${[slack && 'Slack', eventIds.length && 'EventBridge', 'timeline'].filter(Boolean).join(', ')})` };
  },
});

function stepTimes(ctx: StepContext) {
  return ctx.journal.runs.filter((r) => r.step !== ctx.key.step).map((r) => ({ step: r.step, attempt: r.attempt, status: r.status, ms: r.finishedAt === null ? null : r.finishedAt - r.startedAt }));
}

function summary(ctx: StepContext): string {
  const steps = stepTimes(ctx);
  const failed = ctx.journal.runs.filter((r) => r.status === 'failed').at(-1);
  const line = steps.map((s) => `${s.step} ${s.status}${s.ms === null ? '' : ` ${s.ms} ms`}`).join(', ');
  const head = failed ? `${ctx.incident.playbook} for ${ctx.incident.credentialId} stopped: ${failed.step} failed: ${failed.error ?? 'failed'}` : `${ctx.incident.playbook} for ${ctx.incident.credentialId} completed`;
  return `${head}. Steps: ${line || 'none'}.`;
}
