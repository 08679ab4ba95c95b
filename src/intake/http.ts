/** What a detector's routes answer with: the app's problem details (RFC 9457), so detectors need not reach into http/. */
export { HttpProblem } from '../http/problem.js';
