import type { ServerResponse } from 'node:http';

/**
 * Bybit V5 retCodes and messages the simulator answers with. Texts are Bybit's own: from
 * docs/v5/error.mdx (shared/fixtures/bybit/error-codes.md) and, where Bybit's live text differs
 * from the table, from real responses quoted in public issues (observed-error-responses.json,
 * pybit#191 for 10002).
 */
export const RetCode = {
  ok: 0,
  paramError: 10001,
  timestamp: 10002,
  invalidKey: 10003,
  sign: 10004,
  permission: 10005,
  tooManyVisits: 10006,
  authFailed: 10007,
  ipMismatch: 10010,
  routeNotFound: 10017,
  keyExpiredDerivatives: 33004,
  keyExpiredSpot: -2015,
  orderNotExists: 110001,
  orderLinkIdDuplicate: 110072,
  spotDuplicateClientOrderId: 170141,
  spotInvalidOrderFilter: 170201,
  subNotOfParent: 500010,
} as const;

export class BybitError extends Error {
  constructor(
    readonly retCode: number,
    readonly retMsg: string,
    /** Bybit answers almost every business and auth error with HTTP 200 and a retCode. */
    readonly httpStatus = 200,
  ) {
    super(retMsg);
  }
}

export const errors = {
  param: (detail: string) => new BybitError(RetCode.paramError, detail),
  timestamp: (req: number, server: number, recv: number) =>
    new BybitError(
      RetCode.timestamp,
      `invalid request, please check your server timestamp or recv_window param. req_timestamp[${req}],server_timestamp[${server}],recv_window[${recv}]`,
    ),
  invalidKey: () => new BybitError(RetCode.invalidKey, 'API key is invalid.'),
  /** Bybit echoes the whole signed string, API key included: the reason LeakGuard scrubs error texts. */
  sign: (origin: string) => new BybitError(RetCode.sign, `error sign! origin_string[${origin}]`),
  permission: () => new BybitError(RetCode.permission, 'Permission denied, please check your API key permissions.'),
  /** Auth headers missing: Bybit's gateway answers HTTP 401 (error.mdx "HTTP Code" table). */
  missingAuth: () => new BybitError(RetCode.authFailed, 'User authentication failed.', 401),
  ipMismatch: () => new BybitError(RetCode.ipMismatch, "Unmatched IP, please check your API key's bound IP addresses."),
  expired: (spot: boolean) =>
    new BybitError(spot ? RetCode.keyExpiredSpot : RetCode.keyExpiredDerivatives, 'Your api key has expired.'),
  tooManyVisits: () => new BybitError(RetCode.tooManyVisits, 'Too many visits. Exceeded the API Rate Limit.'),
  routeNotFound: () => new BybitError(RetCode.routeNotFound, 'Route not found.', 404),
  subNotOfParent: () => new BybitError(RetCode.subNotOfParent, 'The subaccount specified does not belong to the parent account'),
};

export function envelope(retCode: number, retMsg: string, result: unknown, time: number) {
  return { retCode, retMsg, result, retExtInfo: {}, time };
}

export function sendEnvelope(
  res: ServerResponse,
  status: number,
  body: ReturnType<typeof envelope>,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
