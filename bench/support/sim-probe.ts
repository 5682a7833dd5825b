/**
 * Preloaded into an `ev-sim` child (`node --import tsx --import ./sim-probe.ts bin/ev-sim.js …`,
 * forked with an IPC channel) so a benchmark can watch the simulator from inside without changing it:
 * every second it sends `{ type: 'sample', loopP99Ms, loopMaxMs, rssMb, heapUsedMb, externalMb, cpuPct }`;
 * `{ type: 'window-start' }` starts a window whose event-loop delay `{ type: 'window-end' }` returns
 * as `{ type: 'window', p50Ms, p99Ms, maxMs, count }`. The channel is unref'd: it never keeps the
 * simulator alive.
 */
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';

if (process.send) {
  const send = (msg: object): void => {
    if (process.connected) process.send!(msg);
  };
  const memory = () => {
    const m = process.memoryUsage();
    return { rssMb: m.rss / 1048576, heapUsedMb: m.heapUsed / 1048576, externalMb: m.external / 1048576 };
  };
  const second = monitorEventLoopDelay({ resolution: 10 });
  second.enable();
  let window: IntervalHistogram | null = null;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const timer = setInterval(() => {
    const cpu = process.cpuUsage(lastCpu);
    const now = performance.now();
    send({
      type: 'sample',
      loopP99Ms: second.percentile(99) / 1e6,
      loopMaxMs: second.max / 1e6,
      ...memory(),
      cpuPct: ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100,
    });
    second.reset();
    lastCpu = process.cpuUsage();
    lastAt = now;
  }, 1000);
  timer.unref();
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'window-start') {
      window?.disable();
      window = monitorEventLoopDelay({ resolution: 10 });
      window.enable();
    } else if (msg.type === 'window-end' && window) {
      window.disable();
      send({ type: 'window', p50Ms: window.percentile(50) / 1e6, p99Ms: window.percentile(99) / 1e6, maxMs: window.max / 1e6, count: window.count });
      window = null;
    }
  });
  // After the listener: adding a 'message' listener refs the channel again.
  process.channel?.unref();
}
