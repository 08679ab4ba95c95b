/**
 * An error as an AWS JSON 1.1 service answers it: `__type` in the body and the
 * x-amzn-ErrorType header, HTTP 400 unless said otherwise. Modeled service errors carry
 * "Message"; errors of AWS's request front end (auth, validation, throttling) carry "message".
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly messageKey: 'Message' | 'message';

  constructor(code: string, message: string, opts: { status?: number; messageKey?: 'Message' | 'message' } = {}) {
    super(message);
    this.code = code;
    this.status = opts.status ?? 400;
    this.messageKey = opts.messageKey ?? 'Message';
  }

  get body(): Record<string, string> {
    return { __type: this.code, [this.messageKey]: this.message };
  }
}

/** One failed model constraint, in the words AWS's validation layer uses. */
export interface Violation {
  value: unknown;
  member: string;
  constraint: string;
}

/** AWS's model validation answer: "1 validation error detected: Value '51' at 'maxResults' failed to ...". */
export function validationError(violations: Violation[]): AwsError {
  const n = violations.length;
  const details = violations
    .map((v) => `Value ${v.value === undefined ? 'null' : `'${String(v.value)}'`} at '${v.member}' failed to satisfy constraint: ${v.constraint}`)
    .join('; ');
  return new AwsError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${details}`, { messageKey: 'message' });
}

/** Checks a string or list length against the model's min/max; returns the violation or nothing. */
export function lengthViolation(member: string, value: string | unknown[] | undefined, min: number, max: number): Violation[] {
  if (value === undefined) return [];
  if (value.length < min) return [{ value: show(value), member, constraint: `Member must have length greater than or equal to ${min}` }];
  if (value.length > max) return [{ value: show(value), member, constraint: `Member must have length less than or equal to ${max}` }];
  return [];
}

/** Checks an integer against the model's min/max. */
export function rangeViolation(member: string, value: number | undefined, min: number, max: number): Violation[] {
  if (value === undefined) return [];
  if (value < min) return [{ value, member, constraint: `Member must have value greater than or equal to ${min}` }];
  if (value > max) return [{ value, member, constraint: `Member must have value less than or equal to ${max}` }];
  return [];
}

function show(value: string | unknown[]): string {
  return typeof value === 'string' ? value : `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
}

/** Throws the validation error when any constraint failed. */
export function validate(...violations: Violation[][]): void {
  const all = violations.flat();
  if (all.length) throw validationError(all);
}

/** A required member that is missing. */
export function required(member: string, value: unknown): Violation[] {
  return value === undefined || value === null ? [{ value: undefined, member, constraint: 'Member must not be null' }] : [];
}
