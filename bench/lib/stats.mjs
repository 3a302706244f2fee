// @ts-check
// Latency histogram: HdrHistogram (hdr-histogram-js) over microseconds with 2 significant
// digits (1 % precision), so a run of millions of samples costs a few KiB and histograms from
// several processes merge (toJSON / fromJSON carry HdrHistogram's compressed encoding).
import * as hdr from 'hdr-histogram-js';

const HIGHEST_US = 24 * 3600 * 1e6; // a day
const build = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 2, useWebAssembly: false });

export class Histogram {
  constructor() {
    /** @type {hdr.Histogram} */
    this.hdr = build();
    // Sum, max and min in milliseconds kept exactly (HdrHistogram's are bucketed).
    this.sum = 0;
    this.max = 0;
    this.min = Infinity;
  }

  /** Number of samples. */
  get n() {
    return this.hdr.totalCount;
  }

  /** Records one latency in milliseconds. @param {number} ms */
  record(ms) {
    this.hdr.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
  }

  /** @param {Histogram | ReturnType<Histogram['toJSON']>} other */
  merge(other) {
    const o = other instanceof Histogram ? other : Histogram.fromJSON(other);
    this.hdr.add(o.hdr);
    this.sum += o.sum;
    this.max = Math.max(this.max, o.max);
    this.min = Math.min(this.min, o.min);
    return this;
  }

  /** The q-quantile (0..1) in milliseconds, or NaN without samples. @param {number} q */
  quantile(q) {
    if (!this.n) return NaN;
    return Math.min(this.max, this.hdr.getValueAtPercentile(q * 100) / 1000);
  }

  summary() {
    return { n: this.n, p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99), max: this.n ? this.max : NaN, mean: this.n ? this.sum / this.n : NaN };
  }

  toJSON() {
    return { hdr: hdr.encodeIntoCompressedBase64(this.hdr), sum: this.sum, max: this.max, min: this.min };
  }

  /** @param {{ hdr: string, sum: number, max: number, min: number | null }} j */
  static fromJSON(j) {
    const h = new Histogram();
    h.hdr.add(hdr.decodeFromCompressedBase64(j.hdr, 32, false));
    h.sum = j.sum;
    h.max = j.max;
    h.min = j.min ?? Infinity; // JSON writes Infinity as null
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
