import { HttpProblem } from '../problem.js';

/** Opaque page cursors: the last item's sort key, base64url JSON. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, valid: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw new HttpProblem(400, 'Bad Request', 'the cursor is not one this API gave out; pass the `next` of the previous page as is, or leave it out for the first page');
  return value;
}
