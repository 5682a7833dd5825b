/**
 * The load generator watching itself: event-loop delay, CPU and RSS. When the generator is the
 * bottleneck its latencies describe itself, not the CSMS; the run then ends with exit 3 and says so.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface GeneratorHealth {
  eventLoopP99Ms: number;
  cpuPct: number;
  rssMb: number;
  overloaded: boolean;
  reason: string | null;
}

export interface HealthMonitor {
  /** Call about once per second or more often; windows shorter than 1 s are merged. */
  sample(): GeneratorHealth;
  /** Forgets the verdict and any bad streak so far: what happened before (setup) is not judged. */
  rearm(): void;
  stop(): void;
}

export function createHealthMonitor(limits: { maxEventLoopP99Ms: number; maxCpuPct: number; sustainMs: number }, sharedWithCsms: boolean): HealthMonitor {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let windowStart = performance.now();
  let cpuStart = process.cpuUsage();
  let last: GeneratorHealth = { eventLoopP99Ms: 0, cpuPct: 0, rssMb: Math.round(process.memoryUsage.rss() / 1048576), overloaded: false, reason: null };
  let badSince: number | null = null;
  let verdict: string | null = null;
  const who = sharedWithCsms ? 'the load generator (sharing its process with the embedded CSMS)' : 'the load generator';

  return {
    sample() {
      const now = performance.now();
      if (now - windowStart < 1000) return last;
      const cpu = process.cpuUsage(cpuStart);
      const cpuPct = Math.round(((cpu.user + cpu.system) / 1000 / (now - windowStart)) * 1000) / 10;
      const p99 = Math.round(loop.percentile(99) / 1e4) / 100;
      loop.reset();
      windowStart = now;
      cpuStart = process.cpuUsage();
      const problem = p99 > limits.maxEventLoopP99Ms
        ? `event-loop p99 ${p99} ms > ${limits.maxEventLoopP99Ms} ms`
        : cpuPct >= limits.maxCpuPct ? `CPU ${cpuPct}% ≥ ${limits.maxCpuPct}%` : null;
      if (problem) {
        badSince ??= now;
        if (!verdict && now - badSince >= limits.sustainMs) {
          verdict = `${who} is the bottleneck: ${problem} for ${Math.round((now - badSince) / 1000)} s; its latencies would blame the CSMS wrongly`;
        }
      } else badSince = null;
      last = { eventLoopP99Ms: p99, cpuPct, rssMb: Math.round(process.memoryUsage.rss() / 1048576), overloaded: verdict !== null, reason: verdict };
      return last;
    },
    rearm() {
      loop.reset();
      windowStart = performance.now();
      cpuStart = process.cpuUsage();
      badSince = null;
      verdict = null;
      last = { ...last, overloaded: false, reason: null };
    },
    stop() {
      loop.disable();
    },
  };
}
