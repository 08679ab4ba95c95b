import { Ajv } from 'ajv';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { tokenSha256 } from '../../../src/http/bearer.js';
import type { Role } from '../../../src/config/schema.js';

/** One bearer token per role, and the api section that knows them. */
export const TOKENS: Record<Role, string> = { viewer: 'viewer-token-7c1e0f2a9b', operator: 'operator-token-4d8b2e6f1a', admin: 'admin-token-9a3c5e7b2d' };
export const apiSection = (extra: Record<string, unknown> = {}) => ({ tokens: (Object.keys(TOKENS) as Role[]).map((r) => ({ name: `${r}-bot`, sha256: tokenSha256(TOKENS[r]), roles: [r] })), ...extra });

export type Call = (role: Role | null, method: InjectOptions['method'], url: string, body?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;

/**
 * Calls the app as a role (null: no token) and checks every answer against the response
 * schema its route publishes in the OpenAPI document: what the tests see is what the document says.
 */
export function caller(app: FastifyInstance, onMismatch: (what: string) => void): Call {
  let check: ((res: LightMyRequestResponse, method: string, url: string) => string | undefined) | undefined;
  return async (role, method, url, body, headers = {}) => {
    const res = await app.inject({ method, url, headers: { ...(role ? { authorization: `Bearer ${TOKENS[role]}` } : {}), ...headers }, ...(body === undefined ? {} : { payload: body as object }) });
    check ??= schemaChecker(app);
    const wrong = check(res, String(method), url);
    if (wrong) onMismatch(wrong);
    return res;
  };
}

function schemaChecker(app: FastifyInstance) {
  const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
  ajv.addSchema({ ...doc, $id: 'doc' });
  const templates = Object.keys(doc.paths).map((p) => ({ p, re: new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  return (res: LightMyRequestResponse, method: string, url: string): string | undefined => {
    const path = url.split('?')[0]!;
    const template = templates.find((t) => t.re.test(path))?.p;
    if (!template) return undefined;
    const op = doc.paths[template]![method.toLowerCase()];
    const response = op?.responses[String(res.statusCode)];
    if (!response) return `${method} ${template}: status ${res.statusCode} is not in the document`;
    const type = Object.keys(response.content ?? {})[0];
    if (!type || type !== 'application/json') return undefined;
    const pointer = ['paths', template, method.toLowerCase(), 'responses', String(res.statusCode), 'content', type, 'schema'].map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    const validate = ajv.getSchema(`doc#/${pointer}`)!;
    return validate(res.json()) ? undefined : `${method} ${template} ${res.statusCode}: ${ajv.errorsText(validate.errors)}`;
  };
}
