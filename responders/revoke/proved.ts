import { UNPROVEN, type Revoked } from '../../src/core/revocation.js';
import type { StepContext } from '../../src/runner/responder.js';
import { alert } from '../lib/alert.js';

/** The exchange's revoke, with a page when it could not prove the key gone: the step fails, and a person must look. */
export async function proved(ctx: StepContext, hint: string, revoking: Promise<Revoked>): Promise<Revoked> {
  try {
    return await revoking;
  } catch (err) {
    if ((err as { code?: unknown }).code === UNPROVEN) await alert(ctx, 'page', `key ${hint} could not be proved revoked: ${(err as Error).message}`, { keyHint: hint });
    throw err;
  }
}
