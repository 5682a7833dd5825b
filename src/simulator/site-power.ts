/**
 * `site.power.max`: the most a station (a site: the chargers of one `station` of the scenario) drew at
 * once, from the power its chargers report. Each MeterValues with Power.Active.Import that a charger
 * of the station samples is an instant at which the station's power is the sum of what each of its
 * chargers' meters reads then (what each would put in its own Power.Active.Import). Summing each
 * charger's last report instead would add a charger's old power to another's new one at every
 * re-division of the site's limit, and see limits broken that never were.
 */
import type { MetricsSnapshot } from './types.ts';

interface Station {
  name: string;
  /** The scenario's gridLimitW: the CSMS manages its load. */
  gridLimitW: number | null;
  /** What its chargers draw now, W. */
  w: number;
  /** The most it drew at a sampled instant, W. */
  max: number;
}

export interface SitePower {
  /** Counts `source` (a charger) as part of `station`, whose grid limit the CSMS manages when `gridLimitW` is given. */
  join(source: object, station: string, gridLimitW?: number): void;
  /** True when `source` belongs to a station with a grid limit: its transactions wait for TxProfiles (`loadmgmt.rebalance`). */
  managed(source: object): boolean;
  /** `source` now draws `w` in total (over its connectors). */
  update(source: object, w: number): void;
  /** `source` sampled its power: its station's sum now is a reading. */
  sampled(source: object): void;
  snapshot(): MetricsSnapshot['site'];
}

export function createSitePower(): SitePower {
  const stations = new Map<string, Station>();
  const members = new WeakMap<object, { station: Station; w: number }>();
  return {
    join(source, name, gridLimitW) {
      let station = stations.get(name);
      if (!station) stations.set(name, (station = { name, gridLimitW: gridLimitW ?? null, w: 0, max: 0 }));
      members.set(source, { station, w: 0 });
    },
    managed(source) {
      return (members.get(source)?.station.gridLimitW ?? null) !== null;
    },
    update(source, w) {
      const m = members.get(source);
      if (!m) return;
      m.station.w += w - m.w;
      m.w = w;
    },
    sampled(source) {
      const m = members.get(source);
      if (m) m.station.max = Math.max(m.station.max, Math.round(m.station.w));
    },
    snapshot() {
      const out: MetricsSnapshot['site'] = { powerMaxW: 0, stations: {} };
      for (const s of stations.values()) {
        out.stations[s.name] = { powerW: Math.round(s.w), powerMaxW: s.max, ...(s.gridLimitW !== null ? { gridLimitW: s.gridLimitW } : {}) };
        out.powerMaxW = Math.max(out.powerMaxW, s.max);
      }
      return out;
    },
  };
}
