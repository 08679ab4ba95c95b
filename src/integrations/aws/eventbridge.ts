import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Clock } from '../../core/clock.js';
import type { Scrubber } from '../../core/scrubber.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import { IntegrationError } from '../errors.js';
import { classifyAws } from './classify.js';
import { awsClientConfig, type AwsClientOptions } from './config.js';

export const EVENT_SOURCE = 'leakguard';

/** The detail types LeakGuard publishes; EventBridge rules match on these. */
export const DETAIL_TYPES = {
  opened: 'LeakGuard Incident Opened',
  stepFinished: 'LeakGuard Step Finished',
  waitingForHuman: 'LeakGuard Waiting For Human',
  closed: 'LeakGuard Incident Closed',
} as const;
export type IncidentEventType = keyof typeof DETAIL_TYPES;

export interface IncidentEvent {
  type: IncidentEventType;
  incidentId: string;
  credentialId: string;
  at: number;
  detail: Record<string, unknown>;
}

/** Per-entry error codes worth another try; others (InvalidArgument, MalformedDetail) are final. */
const RETRYABLE_ENTRY = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);
const MAX_BATCH = 10;
const SYSTEM = 'Amazon EventBridge';

export class EventBridgePublisher {
  readonly #sdk: EventBridgeClient;
  readonly #classify = classifyAws(SYSTEM, { no_permission: 'allow events:PutEvents on the bus for LeakGuard\'s role' });

  constructor(
    opts: AwsClientOptions,
    private readonly busName: string,
    private readonly clock: Clock,
    private readonly scrubber: Scrubber,
    private readonly policy: CallPolicy = DEFAULT_POLICY,
  ) {
    this.#sdk = new EventBridgeClient(awsClientConfig(opts));
  }

  /** Publishes in batches of 10; after a partial failure only the failed entries are sent again. */
  async publish(events: IncidentEvent[], signal?: AbortSignal): Promise<{ eventIds: string[] }> {
    const eventIds: string[] = [];
    for (let i = 0; i < events.length; i += MAX_BATCH) eventIds.push(...(await this.#publishBatch(events.slice(i, i + MAX_BATCH).map((e) => this.#entry(e)), signal)));
    return { eventIds };
  }

  #entry(e: IncidentEvent): PutEventsRequestEntry {
    return {
      Source: EVENT_SOURCE,
      DetailType: DETAIL_TYPES[e.type],
      Detail: this.scrubber.scrub(JSON.stringify({ incidentId: e.incidentId, credentialId: e.credentialId, ...e.detail })),
      Time: new Date(e.at),
      EventBusName: this.busName,
      Resources: [],
    };
  }

  async #publishBatch(entries: PutEventsRequestEntry[], signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = new Array<string>(entries.length);
    let pending = entries.map((entry, index) => ({ entry, index }));
    for (let attempt = 0; ; attempt++) {
      const out = await call({ system: SYSTEM, operation: 'PutEvents', clock: this.clock, policy: this.policy, classify: this.#classify, ...(signal ? { signal } : {}) }, (s) =>
        this.#sdk.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }), { abortSignal: s }),
      );
      const failed: typeof pending = [];
      const final: string[] = [];
      (out.Entries ?? []).forEach((result, i) => {
        const p = pending[i]!;
        if (result.EventId) ids[p.index] = result.EventId;
        else if (result.ErrorCode && RETRYABLE_ENTRY.has(result.ErrorCode)) failed.push(p);
        else final.push(`${result.ErrorCode ?? 'Unknown'}: ${result.ErrorMessage ?? ''}`);
      });
      if (final.length)
        throw new IntegrationError({ system: SYSTEM, operation: 'PutEvents', kind: 'invalid_request', retryable: false, detail: `${final.length} event(s) rejected: ${final.join('; ')}`, action: 'this is a LeakGuard bug in the event shape; report it with the log line' });
      if (!failed.length) return ids;
      if (attempt >= this.policy.retries)
        throw new IntegrationError({ system: SYSTEM, operation: 'PutEvents', kind: 'throttled', retryable: false, detail: `${failed.length} event(s) still failing after ${attempt + 1} attempts`, action: 'raise the PutEvents quota or check the bus; alerts also go to Slack and the log' });
      pending = failed;
      await this.clock.sleep(Math.round(Math.random() * Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** attempt)), signal);
    }
  }

  destroy(): void {
    this.#sdk.destroy();
  }
}
