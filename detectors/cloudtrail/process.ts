import type { SignalInput } from '../../src/core/signal.js';
import type { DetectorContext, WorkHandler } from '../../src/intake/detector.js';
import type { EventBridgeConfig } from './config.js';
import { CLOUDTRAIL_API_CALL, CLOUDTRAIL_SERVICE_EVENT, GUARDDUTY_FINDING, SECRET_LABEL_UPDATED, type Envelope, type Finding, type TrailRecord } from './events.js';
import { findingSignals } from './guardduty.js';
import { rotationEvent } from './rotation.js';
import type { Serial } from './serial.js';
import { judgeCall } from './trail.js';

/** What the route queues for one event. */
export interface EventWork {
  [key: string]: unknown;
  event: Envelope;
  receivedAt: number;
}

/** Runs one queued event: the signals it gives are emitted (each deduplicated by the event's ids); a failure is retried. */
export function eventHandler(ctx: DetectorContext<EventBridgeConfig>, serial: Serial, credentialIds: readonly string[]): WorkHandler {
  return {
    retryInMs: (failures) => Math.min(300_000, 2_000 * 2 ** Math.max(0, failures - 1)),
    async run(item) {
      const { event, receivedAt } = item.payload as EventWork;
      for (const s of await signalsOf(ctx, serial, event, receivedAt, credentialIds)) await ctx.emit(s);
      return 'done';
    },
  };
}

async function signalsOf(ctx: DetectorContext<EventBridgeConfig>, serial: Serial, e: Envelope, receivedAt: number, credentialIds: readonly string[]): Promise<SignalInput[]> {
  const resources = e.resources ?? [];
  switch (e['detail-type']) {
    case CLOUDTRAIL_API_CALL:
      return judgeCall(ctx, serial, e.detail as TrailRecord, receivedAt, resources);
    case CLOUDTRAIL_SERVICE_EVENT:
      return rotationEvent(ctx, e.detail as TrailRecord, receivedAt, resources);
    case GUARDDUTY_FINDING:
      return findingSignals(ctx.config, e.detail as Finding, credentialIds, receivedAt);
    case SECRET_LABEL_UPDATED: {
      // AWSCURRENT moved: the matcher reads the credential's versions again on its next question.
      const name = (e.detail as { name?: unknown }).name;
      for (const id of [typeof name === 'string' ? name : '', ...resources]) for (const m of id ? ctx.match.matchSecret(id) : []) ctx.match.forget(m.credentialId);
      return [];
    }
    default:
      return [];
  }
}
