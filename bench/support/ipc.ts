/**
 * The IPC a bench target (the CSMS, or the floor) speaks with bench/support/harness.ts: `stats`
 * answers with its counters and the process's CPU, RSS and event-loop delay since the previous one;
 * `stop` closes it and exits.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface TargetCounters {
  processed: number;
  failed: number;
  backlog: number;
  outbox: number | null;
}

/** Answers `stats` with `counters()` and the process figures; runs `close` on `stop`, then exits. */
export function serveBenchIpc(counters: () => TargetCounters | Promise<TargetCounters>, close: () => Promise<void>): void {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'stats') {
      const cpu = process.cpuUsage(lastCpu);
      const now = performance.now();
      const cpuPct = ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100;
      lastCpu = process.cpuUsage();
      lastAt = now;
      const loopP99Ms = loop.percentile(99) / 1e6;
      const loopMaxMs = loop.max / 1e6;
      loop.reset();
      void Promise.resolve(counters()).then((c) => process.send!({ type: 'stats', ...c, loopP99Ms, loopMaxMs, rssMb: process.memoryUsage().rss / 1e6, cpuPct }));
    }
    if (msg.type === 'stop') void close().then(() => process.exit(0));
  });
}
