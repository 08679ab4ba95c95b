/**
 * Binance spot errors: `{code, msg}` bodies with texts from errors.md
 * (shared/fixtures/binance/error-codes.md) and the statuses Binance sends with them: 401 for
 * API-key problems (ccxt/ccxt#14993 in observed-error-responses.json), 400 for other request errors.
 */
export class BinanceError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
    readonly httpStatus = 400,
  ) {
    super(msg);
  }
}

export const errors = {
  keyFormat: () => new BinanceError(-2014, 'API-key format invalid.', 401),
  rejectedKey: () => new BinanceError(-2015, 'Invalid API-key, IP, or permissions for action.', 401),
  signature: () => new BinanceError(-1022, 'Signature for this request is not valid.'),
  outsideRecvWindow: () => new BinanceError(-1021, 'Timestamp for this request is outside of the recvWindow.'),
  ahead: () => new BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  mandatory: (name: string) =>
    new BinanceError(-1102, `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`),
  tooLarge: (name: string, max: number) =>
    new BinanceError(-1102, `'${name}' contains unexpected value. Cannot be greater than ${max}.`),
  unknownOrder: () => new BinanceError(-2011, 'Unknown order sent.'),
  noSuchOrder: () => new BinanceError(-2013, 'Order does not exist.'),
  duplicateOrder: () => new BinanceError(-2010, 'Duplicate order sent.'),
  /** errors.md, "-2010 NEW_ORDER_REJECTED": a LIMIT_MAKER that would trade at once. */
  wouldTake: () => new BinanceError(-2010, 'Order would immediately match and take.'),
};
