// An executor the runner does not implement: exit code 104 (invalid config), like k6's.
export const options = { scenarios: { a: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 1 } } };
export default function () {}
