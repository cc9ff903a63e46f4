// @ts-check
/**
 * End-of-test text summary for handleSummary(): thresholds first, then every metric,
 * in the spirit of k6's own summary. Plain JS with no remote imports, so it works
 * under real k6 and under the project's runner (which also uses it when a script has
 * no handleSummary).
 */

/** @typedef {{type: string, contains: string, values: Record<string, number>, thresholds?: Record<string, {ok: boolean}>}} SummaryMetric */
/** @typedef {{metrics: Record<string, SummaryMetric>, state?: {testRunDurationMs?: number}, root_group?: {checks?: Array<{name: string, passes: number, fails: number}>}}} SummaryData */

/** @param {number} ms */
export function fmtTime(ms) {
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a === 0) return '0s';
  if (a < 1) return `${(ms * 1000).toFixed(2)}µs`;
  if (a < 1000) return `${ms.toFixed(2)}ms`;
  if (a < 60000) return `${(ms / 1000).toFixed(2)}s`;
  return `${Math.floor(ms / 60000)}m${((a % 60000) / 1000).toFixed(1)}s`;
}

/** @param {number} b */
export function fmtBytes(b) {
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(b) >= 1000 && i < u.length - 1) {
    b /= 1000;
    i++;
  }
  return `${i === 0 ? b.toFixed(0) : b.toFixed(1)} ${u[i]}`;
}

/** @param {number} n */
function fmtNum(n) {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * @param {SummaryMetric} m
 * @param {string} stat
 */
function fmtStat(m, stat) {
  const v = m.values[stat];
  if (v === undefined) return '-';
  if (m.type === 'trend' && m.contains === 'time' && stat !== 'count') return fmtTime(v);
  if (m.contains === 'data' && stat === 'count') return fmtBytes(v);
  if (m.contains === 'data' && stat === 'rate') return `${fmtBytes(v)}/s`;
  if (m.type === 'rate' && stat === 'rate') return `${(v * 100).toFixed(2)}%`;
  return fmtNum(v);
}

/** @param {SummaryMetric} m */
function fmtMetric(m) {
  const v = m.values;
  switch (m.type) {
    case 'counter':
      return `${fmtStat(m, 'count')}  ${m.contains === 'data' ? fmtStat(m, 'rate') : `${fmtNum(v.rate ?? 0)}/s`}`;
    case 'gauge':
      return `${fmtNum(v.value ?? 0)}  min=${fmtNum(v.min ?? 0)} max=${fmtNum(v.max ?? 0)}`;
    case 'rate':
      return `${fmtStat(m, 'rate')}  ✓ ${v.passes ?? 0}  ✗ ${v.fails ?? 0}`;
    default:
      return Object.keys(v)
        .map((k) => `${k}=${fmtStat(m, k)}`)
        .join(' ');
  }
}

/**
 * @param {SummaryMetric} m
 * @param {string} source threshold expression, e.g. "p(99)<50"
 */
function thresholdActual(m, source) {
  const agg = /^\s*([a-z]+(?:\([\d.]+\))?)/i.exec(source);
  if (!agg || !agg[1]) return '';
  const stat = agg[1] === 'value' && m.type === 'gauge' ? 'value' : agg[1];
  return m.values[stat] === undefined ? '' : ` ${stat}=${fmtStat(m, stat)}`;
}

/**
 * @param {SummaryData} data
 * @param {{indent?: string, title?: string, extra?: string[]}} [opts]
 * @returns {string}
 */
export function textSummary(data, opts = {}) {
  const ind = opts.indent ?? '  ';
  const lines = [''];
  if (opts.title) lines.push(`${ind}${opts.title}`, '');
  const names = Object.keys(data.metrics).sort();
  const withTh = names.filter((n) => data.metrics[n]?.thresholds);
  if (withTh.length) {
    lines.push(`${ind}█ THRESHOLDS`, '');
    for (const n of withTh) {
      const m = /** @type {SummaryMetric} */ (data.metrics[n]);
      lines.push(`${ind}  ${n}`);
      for (const [src, r] of Object.entries(m.thresholds ?? {})) {
        lines.push(`${ind}  ${r.ok ? '✓' : '✗'} '${src}'${thresholdActual(m, src)}`);
      }
      lines.push('');
    }
  }
  const checks = data.root_group?.checks ?? [];
  if (checks.length) {
    lines.push(`${ind}█ CHECKS`, '');
    for (const c of checks) lines.push(`${ind}  ${c.fails === 0 ? '✓' : '✗'} ${c.name}  ✓ ${c.passes} ✗ ${c.fails}`);
    lines.push('');
  }
  lines.push(`${ind}█ METRICS`, '');
  const width = Math.max(30, ...names.map((n) => n.length + 3));
  for (const n of names) {
    const m = /** @type {SummaryMetric} */ (data.metrics[n]);
    lines.push(`${ind}  ${(n + ' ').padEnd(width, '.')}: ${fmtMetric(m)}`);
  }
  if (opts.extra && opts.extra.length) lines.push('', ...opts.extra.map((l) => `${ind}${l}`));
  const ms = data.state?.testRunDurationMs;
  if (ms !== undefined) lines.push('', `${ind}test run duration: ${fmtTime(ms)}`);
  lines.push('', '');
  return lines.join('\n');
}

/**
 * The loss computation, from the counters of lib/accounting.js: expected (published ×
 * subscribers), received, lost = expected − received, of which trailing; repeats,
 * unexpected closes, silent sockets. Undefined when the script does no accounting.
 * @param {{metrics: Record<string, {values: Record<string, number>}>}} data @param {boolean} ledger PUBLISHED_URL was set
 */
export function deliveryFigures(data, ledger) {
  const c = (/** @type {string} */ n) => data.metrics[n]?.values.count ?? 0;
  if (!data.metrics.ws_msgs_expected) return undefined;
  const expected = c('ws_msgs_expected');
  const received = c('ws_msgs_counted');
  return {
    expected,
    received,
    lost: c('ws_msgs_lost'),
    lostComputed: expected - received,
    holes: c('ws_seq_gaps'),
    trailing: ledger && c('ws_ledger_errors') === 0 ? c('ws_msgs_trailing_lost') : null,
    repeats: c('ws_seq_dups'),
    unexpectedCloses: c('ws_unexpected_closes'),
    silentSockets: c('ws_silent_sockets'),
  };
}

/** @param {NonNullable<ReturnType<typeof deliveryFigures>>} f @returns {string[]} */
function deliveryLines(f) {
  return [
    `delivery: expected ${f.expected} (published × subscribers while subscribed) − received ${f.received} = lost ${f.lostComputed}` +
      ` (ws_msgs_lost ${f.lost}; holes seen ${f.holes}; trailing ${f.trailing === null ? 'not measured: no PUBLISHED_URL ledger' : f.trailing})`,
    `          repeats ${f.repeats}, sockets closed unexpectedly ${f.unexpectedCloses}, silent sockets ${f.silentSockets}`,
  ];
}

/**
 * What the project's scripts return from handleSummary: the text summary on stdout and,
 * when __ENV.SUMMARY_JSON names a file, the raw data as JSON there.
 * @param {SummaryData} data
 * @param {{title?: string, extra?: string[], env?: Record<string, string | undefined>}} [opts]
 * @returns {Record<string, string>}
 */
export function summaryOutputs(data, opts = {}) {
  const delivery = deliveryFigures(data, Boolean(opts.env?.PUBLISHED_URL));
  /** @type {any} */ (data).delivery = delivery;
  const extra = [...(opts.extra ?? []), ...(delivery ? deliveryLines(delivery) : [])];
  /** @type {Record<string, string>} */
  const out = { stdout: textSummary(data, { ...opts, extra }) };
  const file = opts.env?.SUMMARY_JSON;
  if (file) out[file] = JSON.stringify(data, null, 2);
  return out;
}
