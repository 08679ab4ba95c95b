/**
 * The forms a secret value may take inside other text: as is and in upper or lower case,
 * URL-encoded, JSON-escaped, hex (either case), and base64 and base64url. Inside a longer
 * encoded text (a base64 JSON document holding the key) a value starts at one of three byte
 * offsets, each giving different characters: every offset's characters that depend on the
 * value alone are a form of their own, so the value is found wherever it sits.
 */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const hex = bytes.toString('hex');
  return [
    value,
    value.toLowerCase(),
    value.toUpperCase(),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    hex,
    hex.toUpperCase(),
    ...base64Forms(bytes, 'base64'),
    ...base64Forms(bytes, 'base64url'),
  ];
}

function base64Forms(bytes: Buffer, encoding: 'base64' | 'base64url'): string[] {
  const inner = [0, 1, 2].map((offset) => {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString(encoding);
    // A character holds 6 bits: those before the value's first bit or after its last bit depend on its neighbours.
    return text.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6));
  });
  // The value encoded on its own, padding included, is removed whole.
  return [bytes.toString(encoding), ...inner];
}
