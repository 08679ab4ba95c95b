export { GitHubSim, type AlertSeed, type CommitSeed, type GitHubSeed, type GitHubSimOptions } from './server.js';
export { deliver, deliveryRequest, signatures, DELIVERY_TIMEOUT_MS, type Delivery, type DeliveryResult } from './sender.js';
export { ALERT_ACTIONS, type AlertAction } from './payloads.js';
export type { Alert, Commit, LocationSeed, Repo } from './model.js';
export type { DeliveryRecord, Hook } from './hooks.js';
export type { App } from './app.js';
export type { Installation, Permissions } from './auth.js';
