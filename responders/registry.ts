import type { ResponderRegistry } from '../src/runner/responder.js';
import { assess } from './assess/index.js';
import { cancel } from './cancel/index.js';
import { freeze } from './freeze/index.js';
import { monitor } from './monitor/index.js';
import { notify } from './notify/index.js';
import { preflight } from './preflight/index.js';
import { promote } from './promote/index.js';
import { restore } from './restore/index.js';
import { revoke } from './revoke/index.js';
import { rotate } from './rotate/index.js';
import { verify } from './verify/index.js';

/** name -> responder: a new step is one folder and one line here. */
export const responders: ResponderRegistry = {
  assess,
  preflight,
  freeze,
  revoke,
  cancel,
  rotate,
  promote,
  restore,
  verify,
  monitor,
  notify,
};
