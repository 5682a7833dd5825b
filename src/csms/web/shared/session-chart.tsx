/** @jsxImportSource preact */
/**
 * A running session's energy and power over time: its meter history from the API once, then a
 * point for every new reading the page receives (notification or poll), never a refetch.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Chart } from './chart.tsx';
import { useServices } from './context.ts';
import { energy, power } from './format.ts';
import type { MeterSeries, SessionView } from './types.ts';

type Point = { t: number; energyWh: number | null; powerW: number | null };

const SERIES = [
  { label: 'Energy', color: '#16a34a', format: (v: number) => energy(v) },
  { label: 'Power', color: '#2563eb', format: (v: number) => power(v), right: true },
];
const MAX_POINTS = 720;

/** `historyPath`: `/api/user/sessions/:id/meter-values` or the CMS's equivalent. */
export function SessionChart(props: { session: SessionView; historyPath: string; testid?: string }) {
  const { api } = useServices();
  const s = props.session;
  const [points, setPoints] = useState<Point[]>([]);
  const last = useRef<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    api.get<MeterSeries>(props.historyPath).then(({ data }) => {
      if (cancelled) return;
      const history = data.items.map((p) => ({ t: Date.parse(p.at) / 1000, energyWh: p.energyWh, powerW: p.powerW }));
      const end = history.at(-1)?.t ?? 0;
      setPoints((live) => [...history, ...live.filter((p) => p.t > end)].slice(-MAX_POINTS));
    }).catch(() => {});
    return () => { cancelled = true; };
  }, [api, props.historyPath]);

  useEffect(() => {
    if (!s.lastMeterAt || s.lastMeterAt === last.current) return;
    last.current = s.lastMeterAt;
    const t = Date.parse(s.lastMeterAt) / 1000;
    setPoints((list) => (list.some((p) => p.t >= t) ? list : [...list, { t, energyWh: s.energyWh, powerW: s.powerW }].slice(-MAX_POINTS)));
  }, [s.lastMeterAt, s.energyWh, s.powerW]);

  const data = useMemo(() => [points.map((p) => p.t), points.map((p) => p.energyWh), points.map((p) => p.powerW)] as [number[], (number | null)[], (number | null)[]], [points]);
  return <Chart series={SERIES} data={data} testid={props.testid} />;
}
