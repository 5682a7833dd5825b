/** The one-line progress report printed every 10 s when stdout is not a terminal (CI logs). */
import type { MetricsSnapshot } from '../types.ts';
import { connectedChargers, countThresholds, formatMs, formatRate, worstLatency } from './format.ts';

/** Messages per second shown on a line: OCPP sent plus received, and REST requests. */
export interface ProgressRates {
  ocpp: number;
  rest: number;
}

/** The rates of one snapshot (its last second). */
export function ratesOf(s: MetricsSnapshot): ProgressRates {
  return { ocpp: s.rates.ocppSent + s.rates.ocppReceived, rest: s.rates.restRequests };
}

/**
 * Means of the rates of the snapshots since the previous line: one second alone can miss traffic
 * that comes in bursts (MeterValues every 5 s, in step).
 */
export function createRateWindow() {
  let ocpp = 0;
  let rest = 0;
  let n = 0;
  return {
    add(s: MetricsSnapshot): void {
      const r = ratesOf(s);
      ocpp += r.ocpp;
      rest += r.rest;
      n++;
    },
    /** The means so far, then a new window. */
    take(): ProgressRates {
      const mean = n === 0 ? { ocpp: 0, rest: 0 } : { ocpp: ocpp / n, rest: rest / n };
      ocpp = rest = n = 0;
      return mean;
    },
  };
}

/**
 * `[  30s] hold  chargers 50/50 charging 12  ocpp 410/s  notify.meter.values p99 12ms  leaks 0  lost 0  thresholds 4/5 ok`,
 * with `failovers N`, `errors N` and `OVERLOADED (reason)` appended when they apply.
 */
export function formatProgressLine(s: MetricsSnapshot, rates: ProgressRates = ratesOf(s)): string {
  const parts = [
    `[${String(Math.round(s.elapsedS)).padStart(4)}s] ${s.phase}`,
    `chargers ${connectedChargers(s.fleet)}/${s.fleet.total} charging ${s.fleet.charging}`,
    `ocpp ${formatRate(rates.ocpp)}/s`,
  ];
  if (rates.rest > 0) parts.push(`rest ${formatRate(rates.rest)}/s`);
  const worst = worstLatency(s.latency);
  if (worst) parts.push(`${worst[0]} p99 ${formatMs(worst[1].p99)}`);
  parts.push(`leaks ${s.isolation.leaks}`, `lost ${s.notifications.lost}`);
  const t = countThresholds(s.thresholds);
  if (t.total > 0) parts.push(`thresholds ${t.ok}/${t.total} ok${t.failed > 0 ? ` (${t.failed} failing)` : ''}`);
  if (s.failovers.total > 0) parts.push(`failovers ${s.failovers.total}`);
  if (s.errors.total > 0) parts.push(`errors ${s.errors.total}`);
  if (s.generator.overloaded) parts.push(`OVERLOADED${s.generator.reason ? ` (${s.generator.reason})` : ''}`);
  return parts.join('  ');
}
