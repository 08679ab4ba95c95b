import { Type, type Static } from '@sinclair/typebox';
import { SecretRef } from '../../src/core/credential.js';
import { detectorSection } from '../../src/intake/section.js';

const BaseUrl = Type.Optional(Type.String({ minLength: 1, description: 'the REST API root: https://api.github.com (default), or https://HOST/api/v3 for GitHub Enterprise Server' }));

/** REST access: fetches the alert (the webhook carries no secret) and reconciles what was missed. */
const Api = Type.Union(
  [
    Type.Object({ baseUrl: BaseUrl, token: SecretRef }, { additionalProperties: false, description: 'a token: classic with the repo and admin:org_hook scopes, or fine-grained with secret scanning alerts read, contents read and organization webhooks write' }),
    Type.Object(
      {
        baseUrl: BaseUrl,
        app: Type.Object(
          {
            appId: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, description: 'the App id or its client id' })]),
            installationId: Type.Integer({ minimum: 1 }),
            privateKey: SecretRef,
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false, description: 'a GitHub App installed on the organisation with secret_scanning_alerts:read, contents:read and organization_hooks:write' },
    ),
  ],
  { description: 'REST access for fetching alerts and reconciliation' },
);

export const GitHubConfig = detectorSection(
  {
    webhookSecret: Type.Optional(SecretRef),
    previousWebhookSecrets: Type.Array(SecretRef, { default: [], description: 'secrets still accepted while the webhook secret is being changed; remove each once GitHub signs with the new one' }),
    api: Type.Optional(Api),
    organizations: Type.Array(
      Type.Object(
        {
          login: Type.String({ minLength: 1 }),
          hookId: Type.Optional(Type.Integer({ minimum: 1, description: "the organisation webhook's id; learned from its deliveries when absent" })),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'organisations to reconcile (missed deliveries redelivered, open alerts listed); those seen in deliveries are added' },
    ),
    deliveriesPerMinute: Type.Integer({
      minimum: 1,
      default: 6_000,
      description: "deliveries taken per minute from one address (instead of server.rateLimit): GitHub never retries a refused delivery, so a burst of alerts must not be cut off",
    }),
    reconcileMinutes: Type.Integer({ minimum: 1, maximum: 60, default: 5, description: 'how often missed deliveries and alerts are looked for' }),
    lookbackHours: Type.Integer({ minimum: 1, maximum: 72, default: 72, description: 'how far back the first reconciliation looks (GitHub redelivers for 3 days)' }),
  },
  'GitHub secret scanning: organisation webhook deliveries, the alerts fetched over REST, reconciliation',
);
export type GitHubConfig = Static<typeof GitHubConfig>;
