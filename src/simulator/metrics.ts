/**
 * Measurements of one run: HDR histograms per latency key (recorded in microseconds, one interval
 * histogram per key merged into the run total at each snapshot), counters, errors and leaks.
 * Latencies are taken from the SCHEDULED send time, so a slow server (or a late generator) cannot
 * hide its delay (coordinated omission).
 */
import hdr from 'hdr-histogram-js';
import type { LatencyStats, LeakRecord, ReservationCounts } from './types.ts';

type Histogram = ReturnType<typeof hdr.build>;

// Microseconds up to 10 min (autoResize beyond). Int32 buckets, not 'packed': a percentile query
// walks the counts array, and the packed array's indirection made a snapshot of 30 keys take ~600 ms.
const HIST = { bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, autoResize: true } as const;

interface Series {
  total: Histogram;
  interval: Histogram;
  /** Stats of `total` as of its last change (recomputed only when it changed). */
  cached: LatencyStats | null;
}

/** Percentiles of the report's curves. */
const CURVE = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.99, 100];

export interface Metrics {
  /** Records `ms` under `key` (ms, fractional allowed). */
  latency(key: string, ms: number): void;
  /** Counts an error; `expected` ones (malformed frames we sent, chaos fallout) do not fail `errors.unexpected`. */
  error(key: string, expected: boolean): void;
  leak(record: LeakRecord): void;
  joins(accepted: boolean): void;
  readonly counters: {
    ocppSent: number; ocppReceived: number; restRequests: number; notifications: number; expected: number; received: number; lost: number;
    /** Cards a charger authorised itself: offline starts, local list and cache hits (charger/local-list.ts). */
    authOfflineStarted: number; authLocalListHits: number; authCacheHits: number;
    rebalanceTimeouts: number;
  };
  /** Customers' reservations (customer-reservation.ts): the snapshot's `reservations`. */
  readonly reservations: ReservationCounts;
  /** Moves the interval histograms into the totals; returns interval p50/p99 per key. */
  roll(): Record<string, { p50: number; p99: number }>;
  stats(): Record<string, LatencyStats>;
  curves(): Record<string, [number, number][]>;
  errors(): { total: number; unexpected: number; top: { key: string; count: number }[] };
  isolation(): { leaks: number; acceptedJoins: number; refusedJoins: number; recent: LeakRecord[] };
  /** All leaks recorded (capped at 1,000). */
  leaks(): LeakRecord[];
}

const ms = (us: number): number => Math.round(us) / 1000;

export function createMetrics(): Metrics {
  const series = new Map<string, Series>();
  const errorCounts = new Map<string, number>();
  let errorsTotal = 0;
  let errorsUnexpected = 0;
  const leakList: LeakRecord[] = [];
  let leakCount = 0;
  let acceptedJoins = 0;
  let refusedJoins = 0;
  const counters = { ocppSent: 0, ocppReceived: 0, restRequests: 0, notifications: 0, expected: 0, received: 0, lost: 0, authOfflineStarted: 0, authLocalListHits: 0, authCacheHits: 0, rebalanceTimeouts: 0 };
  const reservations: ReservationCounts = { made: 0, refused: 0, expired: 0, used: 0, blocked: 0, taken: 0 };

  function summary(h: Histogram): LatencyStats {
    return {
      count: h.totalCount,
      p50: ms(h.getValueAtPercentile(50)),
      p95: ms(h.getValueAtPercentile(95)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }

  return {
    counters,
    reservations,
    latency(key, value) {
      let s = series.get(key);
      if (!s) {
        s = { total: hdr.build(HIST), interval: hdr.build(HIST), cached: null };
        series.set(key, s);
      }
      s.interval.recordValue(Math.max(1, Math.round(value * 1000)));
    },
    error(key, expected) {
      errorsTotal++;
      if (!expected) errorsUnexpected++;
      const k = expected ? `${key} (expected)` : key;
      errorCounts.set(k, (errorCounts.get(k) ?? 0) + 1);
    },
    leak(record) {
      leakCount++;
      if (leakList.length < 1000) leakList.push(record);
    },
    joins(accepted) {
      if (accepted) acceptedJoins++;
      else refusedJoins++;
    },
    roll() {
      const out: Record<string, { p50: number; p99: number }> = {};
      for (const [key, s] of series) {
        if (s.interval.totalCount > 0) {
          out[key] = { p50: ms(s.interval.getValueAtPercentile(50)), p99: ms(s.interval.getValueAtPercentile(99)) };
          s.total.add(s.interval);
          s.interval.reset();
          s.cached = null;
        }
      }
      return out;
    },
    stats() {
      const out: Record<string, LatencyStats> = {};
      for (const [key, s] of series) if (s.total.totalCount > 0) out[key] = s.cached ??= summary(s.total);
      return out;
    },
    curves() {
      const out: Record<string, [number, number][]> = {};
      for (const [key, s] of series) {
        if (s.total.totalCount > 0) out[key] = CURVE.map((p) => [p, ms(p === 0 ? s.total.minNonZeroValue : s.total.getValueAtPercentile(p))]);
      }
      return out;
    },
    errors() {
      const top = [...errorCounts].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key, count]) => ({ key, count }));
      return { total: errorsTotal, unexpected: errorsUnexpected, top };
    },
    isolation() {
      return { leaks: leakCount, acceptedJoins, refusedJoins, recent: leakList.slice(-10) };
    },
    leaks() {
      return leakList;
    },
  };
}
