// Latency histogram with ~1 % relative precision (log buckets over microseconds), so that a
// run of millions of samples costs a few KiB and histograms from several processes merge.

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_BUCKETS = 2400; // 1 µs … ~ 24 h

export class Histogram {
  constructor() {
    this.counts = new Uint32Array(MAX_BUCKETS);
    this.n = 0;
    this.sum = 0;
    this.max = 0;
    this.min = Infinity;
  }

  /** Records one latency in milliseconds. */
  record(ms) {
    const us = Math.max(1, ms * 1000);
    const i = Math.min(MAX_BUCKETS - 1, Math.floor(Math.log(us) / LOG_GROWTH));
    this.counts[i]++;
    this.n++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
  }

  merge(other) {
    const o = other instanceof Histogram ? other : Histogram.fromJSON(other);
    for (let i = 0; i < MAX_BUCKETS; i++) this.counts[i] += o.counts[i];
    this.n += o.n;
    this.sum += o.sum;
    this.max = Math.max(this.max, o.max);
    this.min = Math.min(this.min, o.min);
    return this;
  }

  /** The q-quantile (0..1) in milliseconds (bucket midpoint), or NaN without samples. */
  quantile(q) {
    if (!this.n) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < MAX_BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, (GROWTH ** i * (1 + GROWTH)) / 2 / 1000);
    }
    return this.max;
  }

  summary() {
    return { n: this.n, p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99), max: this.n ? this.max : NaN, mean: this.n ? this.sum / this.n : NaN };
  }

  toJSON() {
    const sparse = [];
    for (let i = 0; i < MAX_BUCKETS; i++) if (this.counts[i]) sparse.push([i, this.counts[i]]);
    return { sparse, n: this.n, sum: this.sum, max: this.max, min: this.min };
  }

  static fromJSON(j) {
    const h = new Histogram();
    for (const [i, c] of j.sparse) h.counts[i] = c;
    h.n = j.n;
    h.sum = j.sum;
    h.max = j.max;
    h.min = j.min ?? Infinity;
    return h;
  }
}

export const fmtMs = (v) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)) : '–');
export const fmtRate = (v) => (Number.isFinite(v) ? (v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–');
export const fmtBytes = (b) => (Number.isFinite(b) ? (b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(2)} GiB` : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(0)} MiB` : `${(b / 1024).toFixed(1)} KiB`) : '–');
export const fmtPct = (v) => (Number.isFinite(v) ? `${v.toFixed(0)}%` : '–');

/** Renders rows (arrays of strings) as a Markdown table; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  const line = (r) => `| ${r.map((v, c) => String(v ?? '').padEnd(widths[c])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
