/** Field names that hold key material, however written: apiKey, api_key, API-Secret, secretKey, passphrase, ... */
const KEY_LIKE = /(keys?|keyids?|secrets?|passwords?|passphrases?|tokens?)$/;

const keyLike = (name: string) => KEY_LIKE.test(name.toLowerCase().replace(/[^a-z0-9]/g, ''));

/** One value under a key-like name: where it was (a dotted path) and the value. */
export interface KeyMaterial {
  path: string;
  value: string;
}

/**
 * Every string (or number) in `data` that sits under a key-like field name, at any depth: the
 * value itself (`apiKey`), or anything inside a key-like object (`key.api_key`, `secret.value`).
 * Walked without recursion, so a deeply nested body cannot overflow the stack.
 */
export function keyMaterial(data: unknown): KeyMaterial[] {
  const found: KeyMaterial[] = [];
  const stack: { path: string; value: unknown; under: boolean }[] = [{ path: '', value: data, under: false }];
  while (stack.length) {
    const { path, value, under } = stack.pop()!;
    if (typeof value === 'string' || typeof value === 'number') {
      if (under) found.push({ path, value: String(value) });
    } else if (value && typeof value === 'object') {
      // Reversed onto the stack, so that they come off in document order.
      for (const [name, child] of Object.entries(value).reverse()) stack.push({ path: path ? `${path}.${name}` : name, value: child, under: under || keyLike(name) });
    }
  }
  return found;
}
