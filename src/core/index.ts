export * from './clock.js';
export * from './credential.js';
export * from './signal.js';
export * from './incident.js';
export * from './fingerprint.js';
export * from './scrubber.js';
