import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import type { Incident } from '../core/incident.js';
import type { Store } from '../store/store.js';
import type { LeaseKeeper } from './lease.js';
import type { Clients, ResponderRegistry, RunnerLogger } from './responder.js';

/** What the runner reports as it goes: for logs, metrics, and tests that need to act at an exact point. */
export interface RunnerEvent {
  type:
    | 'claimed'
    | 'released'
    | 'lease.lost'
    | 'step.journal.started'
    | 'step.started'
    | 'step.journal.finished'
    | 'step.finished'
    | 'parked'
    | 'incident.closing'
    | 'incident.closed'
    | 'timer.fired';
  incidentId: string;
  holder: string;
  fence: number;
  step?: string;
  /** The responder a step event's step runs. */
  responder?: string;
  attempt?: number;
  state?: string;
}

/** What every claimed incident's work shares; fixed for the runner's life. */
export interface RunnerEnv {
  store: Store;
  clock: Clock;
  responders: ResponderRegistry;
  clients: Clients;
  credentials: (credentialId: string) => Credential | undefined;
  logger: RunnerLogger;
  holder: string;
  leaseTtlMs: number;
  onEvent: (e: RunnerEvent) => void;
}

/**
 * One holder's claim on one incident. Every write goes through here with the fence, so
 * once the lease is gone nothing more can be written (the store refuses stale fences).
 */
export class Session {
  readonly operator = new AbortController();
  /** Set when the runner is stopping: finish at the next step boundary and hand the incident back. */
  stopping = false;

  constructor(
    readonly env: RunnerEnv,
    public incident: Incident,
    readonly keeper: LeaseKeeper,
  ) {}

  get fence() {
    return this.keeper.fence;
  }

  get store(): Store {
    return this.env.store;
  }

  get clock(): Clock {
    return this.env.clock;
  }

  /** Aborted when this holder must stop without writing (lease lost, shutdown past its grace). */
  get lost(): AbortSignal {
    return this.keeper.signal;
  }

  async timeline(type: string, message: string, data: Record<string, unknown> = {}, actor: `system:${string}` = 'system:runner'): Promise<void> {
    await this.store.appendTimeline({ incidentId: this.incident.id, at: this.clock.now(), actor, type, message, data }, this.fence);
  }

  emit(type: RunnerEvent['type'], extra: Partial<RunnerEvent> = {}): void {
    this.env.onEvent({ type, incidentId: this.incident.id, holder: this.fence.holder, fence: this.fence.token, ...extra });
  }
}
