/** What the benchmarks share: the CSMS child process, an open-loop pacer, and small statistics. */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
export { deleteNamespace } from '../../src/csms/broker/rabbitmq/topology.ts';

export interface CsmsStats {
  processed: number;
  failed: number;
  backlog: number;
  outbox: number;
  loopP99Ms: number;
  loopMaxMs: number;
  rssMb: number;
  cpuPct: number;
}

export interface CsmsProcess {
  pid: number;
  ready: { ocppUrl: string; httpUrl: string; tokens: string[]; admin: { email: string; password: string } };
  /** Counters since the previous call (CPU and event-loop figures) or since start (totals). */
  stats(): Promise<CsmsStats>;
  stop(): Promise<void>;
}

/**
 * Starts `support/csms-process.ts` with `env` (CHARGERS, TOKENS, DB_PATH, BENCH_RABBITMQ_NAMESPACE,
 * BENCH_CSMS_CONFIG: JSON config overrides), or with `floor` the bare pipeline
 * `support/floor-process.ts` (DB_PATH, FLOOR_MODE).
 * With `logFile`, the CSMS's stdout and stderr (its pino log) go there instead of ours.
 */
export async function startCsmsProcess(env: Record<string, string>, opts: { logFile?: string; floor?: boolean } = {}): Promise<CsmsProcess> {
  const profile = process.env.BENCH_PROFILE_DIR;
  const logFd = opts.logFile ? openSync(opts.logFile, 'a') : null;
  // The floor (floor-process.ts) speaks the same IPC: the same generator measures both in one run.
  const script = opts.floor ? './floor-process.ts' : './csms-process.ts';
  const child: ChildProcess = fork(new URL(script, import.meta.url).pathname, {
    execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
    env: { ...process.env, ...env },
    ...(logFd !== null && { stdio: ['ignore', logFd, logFd, 'ipc'] }),
  });
  if (logFd !== null) closeSync(logFd); // the child holds its own copy
  const inbox: ((m: any) => void)[] = [];
  child.on('message', (m) => inbox.shift()?.(m));
  const next = () => new Promise<any>((resolve) => inbox.push(resolve));
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the CSMS process exited before it was ready (${signal ?? `code ${code}`})${opts.logFile ? `: see ${opts.logFile}` : ''}`)));
  });
  exited.catch(() => {}); // awaited only beside an answer
  const ready = await Promise.race([next(), exited]);
  return {
    pid: child.pid!,
    ready,
    async stats() {
      child.send({ type: 'stats' });
      return Promise.race([next(), exited]);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await gone;
    },
  };
}

/**
 * Open loop: every 5 ms, hands `send` what the offered rate says is due. The time passed is the
 * scheduled send time, so latency measured from it includes any queueing on our side.
 */
export function pace(ratePerS: number, send: (scheduledAt: number) => void): () => void {
  let due = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    due += ((now - last) * ratePerS) / 1000;
    last = now;
    while (due >= 1) {
      due -= 1;
      send(now);
    }
  }, 5);
  return () => clearInterval(timer);
}


/** The p-th percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] ?? NaN);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
