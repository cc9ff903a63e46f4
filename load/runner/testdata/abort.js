// @ts-check
// exec.test.abort() from VU code stops the whole run with k6's exit code 108.
import exec from 'k6/execution';
import { setTimeout } from 'k6/timers';

export const options = { scenarios: { a: { executor: 'constant-vus', vus: 2, duration: '60s' } } };

export default function () {
  if (exec.vu.iterationInScenario === 3) exec.test.abort('enough');
  setTimeout(() => {}, 10);
}
