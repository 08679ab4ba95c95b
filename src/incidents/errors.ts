/** Why a request about an incident was refused; `code` maps onto an HTTP status. */
export class IncidentError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'IncidentError';
  }
}
