/** The one-line progress report printed every 10 s when stdout is not a terminal (CI logs). */
import type { MetricsSnapshot } from '../types.ts';
import { connectedChargers, countThresholds, formatMs, formatRate, worstLatency } from './format.ts';

/**
 * `[  30s] hold  chargers 50/50 charging 12  ocpp 410/s  notify.meter.values p99 12ms  leaks 0  lost 0  thresholds 4/5 ok`,
 * with `errors N` and `OVERLOADED (reason)` appended when they apply.
 */
export function formatProgressLine(s: MetricsSnapshot): string {
  const parts = [
    `[${String(Math.round(s.elapsedS)).padStart(4)}s] ${s.phase}`,
    `chargers ${connectedChargers(s.fleet)}/${s.fleet.total} charging ${s.fleet.charging}`,
    `ocpp ${formatRate(s.rates.ocppSent + s.rates.ocppReceived)}/s`,
  ];
  if (s.rates.restRequests > 0) parts.push(`rest ${formatRate(s.rates.restRequests)}/s`);
  const worst = worstLatency(s.latency);
  if (worst) parts.push(`${worst[0]} p99 ${formatMs(worst[1].p99)}`);
  parts.push(`leaks ${s.isolation.leaks}`, `lost ${s.notifications.lost}`);
  const t = countThresholds(s.thresholds);
  if (t.total > 0) parts.push(`thresholds ${t.ok}/${t.total} ok${t.failed > 0 ? ` (${t.failed} failing)` : ''}`);
  if (s.errors.total > 0) parts.push(`errors ${s.errors.total}`);
  if (s.generator.overloaded) parts.push(`OVERLOADED${s.generator.reason ? ` (${s.generator.reason})` : ''}`);
  return parts.join('  ');
}
