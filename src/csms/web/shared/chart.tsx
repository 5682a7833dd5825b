/** @jsxImportSource preact */
/**
 * A live time-series chart on uPlot (about 50 KB, draws thousands of points on a canvas without
 * layout work): pages append points and the chart redraws without rebuilding.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  /** Formats a value for the axis and legend ("7.4 kW"). */
  format(value: number): string;
  /** Series on the right-hand axis (a second unit). */
  right?: boolean;
}

export interface ChartProps {
  series: ChartSeries[];
  /** x: unix seconds; then one array per series, same length. */
  data: [number[], ...(number | null)[][]];
  height?: number;
  testid?: string;
}

function options(series: ChartSeries[], width: number, height: number): uPlot.Options {
  const scaleOf = (s: ChartSeries) => (s.right ? 'right' : 'left');
  return {
    width,
    height,
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, left: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] }, right: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { stroke: '#64748b', grid: { stroke: '#eef2f7' } },
      ...series.filter((s, i) => i === 0 || s.right !== series[0].right).map((s) => ({
        scale: scaleOf(s),
        side: s.right ? 1 : 3,
        stroke: s.color,
        grid: { show: !s.right, stroke: '#eef2f7' },
        size: 84,
        values: (_u: uPlot, ticks: number[]) => ticks.map((t) => s.format(t)),
      })),
    ],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        scale: scaleOf(s),
        stroke: s.color,
        width: 2,
        fill: `${s.color}1a`,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : s.format(v)),
      })),
    ],
  };
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 240;

  useEffect(() => {
    const el = box.current!;
    plot.current = new uPlot(options(props.series, el.clientWidth || 600, height), props.data as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // The series definition is fixed for a chart's life; data changes go through setData below.
  }, [height]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  return <div class="chart" ref={box} data-testid={props.testid} data-points={props.data[0].length} />;
}
