import type { StepContext } from '../../src/runner/responder.js';

export const SEVERITIES = ['info', 'warning', 'page'] as const;
export type Severity = (typeof SEVERITIES)[number];

const ICON: Record<Severity, string> = { info: ':white_check_mark:', warning: ':warning:', page: ':rotating_light:' };

/**
 * Puts a message on the timeline and sends it through every configured notifier (Slack,
 * EventBridge). Never fails the step and never waits on Slack: an alert that cannot be
 * delivered is itself a timeline entry. Callers pass no key material (the notifiers scrub anyway).
 */
export async function alert(ctx: StepContext, severity: Severity, text: string, detail: Record<string, unknown> = {}): Promise<{ slack: boolean; eventIds: string[] }> {
  const { incident } = ctx;
  const headline = `${ICON[severity]} LeakGuard ${severity === 'page' ? 'NEEDS A HUMAN' : severity} (${incident.playbook}, ${incident.credentialId}, incident ${incident.id})`;
  await ctx.note('alert', text, { severity, ...detail });
  const slack = ctx.clients.slack;
  slack?.enqueue({ text: `${headline}: ${text}`, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${headline}*\n${text}` } }] });
  let eventIds: string[] = [];
  const events = ctx.clients.events;
  if (events) {
    try {
      const type = severity === 'page' ? 'waitingForHuman' : 'stepFinished';
      ({ eventIds } = await events.publish([{ type, incidentId: incident.id, credentialId: incident.credentialId, at: ctx.clock.now(), detail: { severity, text, step: ctx.key.step, ...detail } }], ctx.signal));
    } catch (err) {
      await ctx.note('alert.failed', `EventBridge did not take the alert: ${(err as Error).message}`, { severity });
    }
  }
  return { slack: Boolean(slack), eventIds };
}
