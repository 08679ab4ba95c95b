import type { DetectorList } from '../src/intake/detector.js';
import { authErrors } from './auth-errors/index.js';
import { eventbridge } from './cloudtrail/index.js';
import { exchange } from './exchange/index.js';
import { github } from './github/index.js';

/** Every detector LeakGuard has: another one is one folder and one entry here. */
export const defaultDetectors: DetectorList = [github, authErrors, eventbridge, exchange];
