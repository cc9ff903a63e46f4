// @ts-check
// k6/http in the runner: a synchronous http.get (as in k6) and http.asyncRequest, each
// checked; used by load/test/fanout-soak.test.ts against the mini edge's /metrics.
import { check } from 'k6';
import http from 'k6/http';

export const options = { scenarios: { get: { executor: 'shared-iterations', vus: 2, iterations: 4 } }, thresholds: { checks: ['rate==1'] } };

export default async function () {
  const url = __ENV.URL ?? '';
  const res = http.get(url);
  check(res, { 'get: status 200': (r) => r.status === 200, 'get: body has the RSS': (r) => String(r.body).includes('process_resident_memory_bytes') });
  const res2 = await http.asyncRequest('GET', url);
  check(res2, { 'asyncRequest: status 200': (r) => r.status === 200 });
  const missing = http.get(url.replace('/metrics', '/nope'));
  check(missing, { 'get: 404 is reported': (r) => r.status === 404 });
}
