import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { Clock } from '../../core/clock.js';
import { keyHint } from '../../core/fingerprint.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import { classifyAws } from './classify.js';
import { awsClientConfig, type AwsClientOptions } from './config.js';

/** Who touched a secret: the evidence `assess` attaches to an incident. */
export interface SecretAccess {
  at: number;
  eventName: string;
  username: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  accessKeyHint: string | null;
}

const SYSTEM = 'AWS CloudTrail';
/** AWS allows LookupEvents 2 times per second per account and region. */
const CALLS_PER_SECOND = 2;

export class CloudTrailLookup {
  readonly #sdk: CloudTrailClient;
  /** Calls of the last second: from when each left until its answer came (AWS counts a call when it arrives). */
  readonly #recent: { at: number }[] = [];
  readonly #classify = classifyAws(SYSTEM, { no_permission: 'allow cloudtrail:LookupEvents for LeakGuard\'s role' });

  constructor(
    opts: AwsClientOptions,
    private readonly clock: Clock,
    private readonly policy: CallPolicy = DEFAULT_POLICY,
  ) {
    this.#sdk = new CloudTrailClient(awsClientConfig(opts));
  }

  /** Every management event that names `secretId` in [start, end], newest first, all pages. */
  async secretAccess(secretId: string, window: { start: number; end: number }, signal?: AbortSignal): Promise<SecretAccess[]> {
    const found: SecretAccess[] = [];
    let token: string | undefined;
    do {
      const slot = await this.#pace(signal);
      const out = await call({ system: SYSTEM, operation: 'LookupEvents', clock: this.clock, policy: this.policy, classify: this.#classify, ...(signal ? { signal } : {}) }, (s) =>
        this.#sdk.send(
          new LookupEventsCommand({
            // Exactly one lookup attribute per call: AWS refuses more.
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: secretId }],
            StartTime: new Date(window.start),
            EndTime: new Date(window.end),
            MaxResults: 50,
            ...(token ? { NextToken: token } : {}),
          }),
          { abortSignal: s },
        ),
      );
      // AWS counts the call when it arrives, which may be later than it left: its slot ends when the answer is in.
      slot.at = this.clock.now();
      for (const e of out.Events ?? []) found.push(toAccess(e.EventTime, e.EventName, e.Username, e.AccessKeyId, e.CloudTrailEvent));
      token = out.NextToken;
    } while (token);
    return found;
  }

  /** Keeps to AWS's rate so paging never trips ThrottlingException on its own. */
  async #pace(signal?: AbortSignal): Promise<{ at: number }> {
    const now = this.clock.now();
    while (this.#recent.length && this.#recent[0]!.at <= now - 1000) this.#recent.shift();
    if (this.#recent.length >= CALLS_PER_SECOND) await this.clock.sleep(this.#recent[0]!.at + 1000 - now, signal);
    const slot = { at: this.clock.now() };
    this.#recent.push(slot);
    return slot;
  }

  destroy(): void {
    this.#sdk.destroy();
  }
}

function toAccess(time: Date | undefined, name: string | undefined, username: string | undefined, accessKeyId: string | undefined, raw: string | undefined): SecretAccess {
  let detail: { sourceIPAddress?: string; userAgent?: string } = {};
  try {
    detail = raw ? (JSON.parse(raw) as typeof detail) : {};
  } catch {
    // A record we cannot parse still tells who and when.
  }
  return {
    at: time ? time.getTime() : 0,
    eventName: name ?? 'unknown',
    username: username ?? null,
    sourceIp: detail.sourceIPAddress ?? null,
    userAgent: detail.userAgent ?? null,
    accessKeyHint: accessKeyId ? keyHint(accessKeyId) : null,
  };
}
