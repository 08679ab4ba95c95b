import { IntegrationError } from '../errors.js';
import type { Capabilities } from './exchange.js';

/**
 * Thrown by an operation whose capability is `manual`: the exchange offers no API for it
 * (Binance key management for ordinary accounts). The responder turns it into a human task:
 * the incident waits, the alert carries `instructions`, and the API accepts the result.
 */
export class ManualCapabilityError extends IntegrationError {
  readonly capability: keyof Capabilities;
  readonly instructions: string[];

  constructor(system: string, operation: string, capability: keyof Capabilities, instructions: string[]) {
    super({
      system,
      operation,
      kind: 'failed',
      retryable: false,
      code: 'manual',
      detail: `${system} offers no API for this; it is a human task`,
      action: instructions.join(' '),
    });
    this.name = 'ManualCapabilityError';
    this.capability = capability;
    this.instructions = instructions;
  }
}
