/**
 * metav1.Status error bodies as the API server writes them (k8s.io/apimachinery api/errors):
 * every failure is a Status with a machine-readable `reason` and the HTTP code repeated in `code`.
 */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  get body() {
    return statusBody(this.code, this.reason, this.message, this.details);
  }
}

export function statusBody(code: number, reason: string, message: string, details?: StatusDetails) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** What a resource is called in error texts: "deployments.apps", "pods", "externalsecrets.external-secrets.io". */
export interface ResourceName {
  group: string;
  resource: string;
  kind: string;
}

const qualified = (r: ResourceName) => (r.group ? `${r.resource}.${r.group}` : r.resource);
const kindQualified = (r: ResourceName) => (r.group ? `${r.kind}.${r.group}` : r.kind);

export const errors = {
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  notFound: (r: ResourceName, name: string) =>
    new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.resource }),
  alreadyExists: (r: ResourceName, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.resource }),
  conflict: (r: ResourceName, name: string) =>
    new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: r.group, kind: r.resource },
    ),
  /** A field validation failure; `value` is rendered as Go's %v would (numbers bare, strings quoted). */
  invalid: (r: ResourceName, name: string, field: string, value: unknown, detail: string) => {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    const message = `Invalid value: ${shown}: ${detail}`;
    return new ApiError(422, 'Invalid', `${kindQualified(r)} "${name}" is invalid: ${field}: ${message}`, {
      name,
      group: r.group,
      kind: r.kind,
      causes: [{ reason: 'FieldValueInvalid', message, field }],
    });
  },
  /** A JSON patch that cannot be applied (a failed `test`, a missing path): errors.NewGenericServerResponse(422, ...). */
  patchFailed: (detail: string) =>
    new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
      causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
    }),
  badRequest: (message: string) => new ApiError(400, 'BadRequest', message),
  unsupportedMediaType: (accepted: string[]) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  methodNotAllowed: () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  notFoundPath: () => new ApiError(404, 'NotFound', 'the server could not find the requested resource'),
  tooManyRequests: () =>
    new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }),
};
