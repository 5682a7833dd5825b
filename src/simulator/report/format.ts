/** Number and text formatting shared by the summary, the progress line, the reports and the views. */
import type { LatencyStats, MetricsSnapshot, ThresholdState } from '../types.ts';

/** `4.2ms`, `231ms`, `12.3s`; `-` when there is no value. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 9.95) return `${ms.toFixed(1)}ms`;
  return `${Math.round(ms)}ms`;
}

/** A rate per second with no decimals past 10/s. */
export function formatRate(perS: number): string {
  if (!Number.isFinite(perS)) return '-';
  return perS < 10 ? perS.toFixed(1) : String(Math.round(perS));
}

export function formatDuration(s: number): string {
  const total = Math.max(0, Math.round(s));
  if (total < 60) return `${total}s`;
  const m = Math.floor(total / 60);
  const rest = total % 60;
  return m < 60 ? `${m}m${String(rest).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** ✓ held, ✗ failed, … not enough data yet. */
export function thresholdMark(t: Pick<ThresholdState, 'ok'>): '✓' | '✗' | '…' {
  return t.ok === true ? '✓' : t.ok === false ? '✗' : '…';
}

export function countThresholds(thresholds: ThresholdState[]): { ok: number; failed: number; pending: number; total: number } {
  let ok = 0;
  let failed = 0;
  for (const t of thresholds) {
    if (t.ok === true) ok++;
    else if (t.ok === false) failed++;
  }
  return { ok, failed, pending: thresholds.length - ok - failed, total: thresholds.length };
}

/** Chargers with a live connection: available, charging or faulted. */
export function connectedChargers(fleet: MetricsSnapshot['fleet']): number {
  return fleet.available + fleet.charging + fleet.faulted;
}

/** Which family a latency key belongs to: `ocpp` (charger → CSMS), `ocpp.in` (commands), `rest`, `notify`, `other`. */
export function latencyGroup(key: string): 'ocpp' | 'ocpp.in' | 'rest' | 'notify' | 'other' {
  if (key.startsWith('ocpp.in.')) return 'ocpp.in';
  if (key.startsWith('ocpp.')) return 'ocpp';
  if (key.startsWith('rest.')) return 'rest';
  if (key.startsWith('notify.')) return 'notify';
  return 'other';
}

/** Latency entries ordered OCPP, commands, REST, notifications, then by name. */
export function sortedLatency(latency: Record<string, LatencyStats>): [string, LatencyStats][] {
  const rank = (k: string) => {
    const g = latencyGroup(k);
    return g === 'ocpp' ? 0 : g === 'ocpp.in' ? 1 : g === 'rest' ? 2 : g === 'notify' ? 3 : 4;
  };
  return Object.entries(latency).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * At most `max` rows that cover every family: round-robin over the families, the busiest key of each
 * first, so a long list of REST routes cannot push the notifications off a small screen.
 */
export function pickLatencyRows(latency: Record<string, LatencyStats>, max: number): [string, LatencyStats][] {
  const all = sortedLatency(latency);
  if (all.length <= max) return all;
  const byGroup = new Map<string, [string, LatencyStats][]>();
  for (const entry of all) byGroup.set(latencyGroup(entry[0]), [...(byGroup.get(latencyGroup(entry[0])) ?? []), entry]);
  for (const list of byGroup.values()) list.sort((a, b) => b[1].count - a[1].count);
  const picked = new Set<string>();
  while (picked.size < max) {
    for (const list of byGroup.values()) {
      const next = list.shift();
      if (next && picked.size < max) picked.add(next[0]);
    }
  }
  return all.filter(([k]) => picked.has(k));
}

/** The notification key with the worst p99 (else the worst OCPP key): the one number a progress line shows. */
export function worstLatency(latency: Record<string, LatencyStats>): [string, LatencyStats] | null {
  for (const prefix of ['notify.', 'ocpp.', 'rest.']) {
    let worst: [string, LatencyStats] | null = null;
    for (const entry of Object.entries(latency)) {
      if (!entry[0].startsWith(prefix) || entry[1].count === 0) continue;
      if (!worst || entry[1].p99 > worst[1].p99) worst = entry;
    }
    if (worst) return worst;
  }
  return null;
}

/** Pads or cuts to a fixed width (cut with `…`). */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  return align === 'left' ? t.padEnd(width) : t.padStart(width);
}

/** Mean and peak of each rate over the run's timeline (the final snapshot's rates are those of the drain). */
export function rateStats(timeline: { rates: MetricsSnapshot['rates'] }[]): Record<keyof MetricsSnapshot['rates'], { mean: number; peak: number }> {
  const keys = ['ocppSent', 'ocppReceived', 'restRequests', 'notifications'] as const;
  const out = {} as Record<keyof MetricsSnapshot['rates'], { mean: number; peak: number }>;
  for (const k of keys) {
    const values = timeline.map((p) => p.rates[k]);
    out[k] = { mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0, peak: values.length ? Math.max(...values) : 0 };
  }
  return out;
}
