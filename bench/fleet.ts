/**
 * Fleet scale: one `ev-sim` process playing N chargers (heartbeat 60 s, MeterValues 30 s) and N/10
 * customers against a CSMS in a process of its own, RabbitMQ on the same machine. Goal (fleet-5k):
 * simulator RSS under 1 GB and its event-loop p99 under 50 ms.
 *
 *   npx tsx bench/fleet.ts                                    1k and 5k chargers, polling and rabbitmq mode
 *   npx tsx bench/fleet.ts --chargers 1000 --modes polling --duration 30
 *
 * Per (chargers, mode): starts the CSMS (bench/support/csms-process.ts; polling = ENABLE_RABBITMQ=false,
 * rabbitmq = a namespace of its own, deleted afterwards), writes a scenario from scenarios/fleet-1k.yaml
 * (N ≤ 1000) or fleet-5k.yaml with the counts asked for, and runs `ev-sim run` on it in a child process
 * (remote target on 127.0.0.1) for ramp-up + `--duration` seconds. The simulator is watched from inside
 * by bench/support/sim-probe.ts (event loop, RSS, CPU), the CSMS over its stats IPC; OCPP rates and
 * notification latencies come from ev-sim's report.json. The steady window ("hold") runs from the first
 * progress line in phase hold to ev-sim's ramp-down line. Prints one markdown row per run.
 *
 * Options: --chargers 1000,5000  --modes polling,rabbitmq  --duration 90 (s after ramp-up)
 * --customers N (default chargers/10)  --out FILE (all results as JSON)  --keep (keep the run
 * directories: scenario, ev-sim and CSMS logs, reports). BENCH_PROFILE_DIR=dir: --cpu-prof both processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { RunResult } from '../src/simulator/types.ts';
import { deleteNamespace, sleep, startCsmsProcess, type CsmsProcess, type CsmsStats } from './support/harness.ts';

const { values: args } = parseArgs({
  options: {
    chargers: { type: 'string', default: '1000,5000' },
    modes: { type: 'string', default: 'polling,rabbitmq' },
    duration: { type: 'string', default: '90' },
    customers: { type: 'string' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const RABBIT_URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROOT = new URL('..', import.meta.url).pathname;
const HOLD_S = Number(args.duration);
const LIMITS = { simRssMb: 1024, simLoopP99Ms: 50 };
/** Polling customers see a reading at their next poll of the active session (the CSMS's default interval). */
const POLL_ACTIVE_SESSION_MS = 1000;
const SAMPLE_EVERY_MS = 5000;

type Mode = 'polling' | 'rabbitmq';
type Phase = 'setup' | 'ramp-up' | 'hold' | 'ramp-down';

interface SimSample { at: number; phase: Phase; loopP99Ms: number; loopMaxMs: number; rssMb: number; heapUsedMb: number; externalMb: number; cpuPct: number }
interface CsmsSample extends CsmsStats { at: number; phase: Phase }
/** CPU over the last sampling interval, % of one core: the whole machine (of 100 × cores), ours, and everything else. */
interface MachineSample { at: number; phase: Phase; machinePct: number; simPct: number; csmsPct: number; othersPct: number }

export interface FleetResult {
  chargers: number;
  customers: number;
  mode: Mode;
  holdS: number;
  sim: {
    rssPeakMb: number;
    rssPerChargerKb: number;
    /** Mean RSS over the hold: compare runs of different sizes for what one more charger costs. */
    rssHoldAvgMb: number | null;
    loopP99Ms: number | null;
    loopMaxMs: number | null;
    /** Worst one-second event-loop p99 over the whole load (ramp-up included). */
    worstSecondLoopP99Ms: number | null;
    cpuPctAvg: number | null;
    exitCode: number | null;
    reason: string;
  };
  /** Machine CPU in the hold, % of one core (the machine has 200): other processes' share is the noise. */
  machine: { cores: number; busyPctAvg: number | null; othersPctAvg: number | null; othersPctMax: number | null };
  csms: { rssPeakMb: number; cpuPctAvg: number | null; cpuPctMax: number | null; loopP99MsMax: number | null; processedPerS: number | null; failed: number; errorLogLines: number; warnLogLines: number; topLog: string[] };
  ocppMsgPerS: number | null;
  notifyMeterValues: { count: number; p50: number; p99: number } | null;
  notifications: { expected: number; received: number; lost: number } | null;
  errors: { total: number; unexpected: number; top: { key: string; count: number }[] } | null;
  leaks: number | null;
  thresholds: { expression: string; ok: boolean | null; message: string }[];
  pass: boolean;
  verdict: string;
}

const children = new Set<ChildProcess>();
let cleanupCurrent: (() => Promise<void>) | null = null;
process.once('SIGINT', () => {
  log('SIGINT: stopping the run');
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
  void (cleanupCurrent?.() ?? Promise.resolve()).finally(() => process.exit(130));
});

function log(line: string): void {
  process.stderr.write(`[fleet] ${line}\n`);
}

/** A scenario for `chargers` and `mode`, from the fleet-1k or fleet-5k file. Returns it and its ramp-up seconds. */
function writeScenario(dir: string, chargers: number, customers: number, mode: Mode): { file: string; rampS: number } {
  const base = chargers <= 1000 ? 'fleet-1k.yaml' : 'fleet-5k.yaml';
  const doc = parseYaml(readFileSync(join(ROOT, 'scenarios', base), 'utf8'));
  doc.name = `fleet-${chargers}-${mode}`;
  delete doc.$schema;
  doc.chargers[0].count = chargers;
  doc.customers.count = customers;
  doc.customers.realtime = mode === 'rabbitmq' ? 'socket.io' : 'polling';
  if (mode === 'polling') {
    // A polling customer sees a reading only at its next poll: the notification limits get the poll interval on top.
    doc.thresholds = (doc.thresholds as string[]).map((t) => {
      const m = /^(notify\.\S+\.p\d+\s*<\s*)(\d+(?:\.\d+)?)(ms|s)$/.exec(t);
      return m ? `${m[1]}${Number(m[2]) * (m[3] === 's' ? 1000 : 1) + POLL_ACTIVE_SESSION_MS}ms` : t;
    });
  }
  const file = join(dir, `${doc.name}.yaml`);
  writeFileSync(file, stringifyYaml(doc));
  return { file, rampS: Math.ceil(chargers / Number(doc.phases?.rampUp?.rate ?? 100)) };
}

/** CPU ticks (clock ticks, 100/s here) used so far: the whole machine from /proc/stat, or one process. */
function cpuTicks(pid?: number): number {
  try {
    if (pid === undefined) {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return f.reduce((a, b) => a + b, 0) - f[3] - f[4]; // all but idle and iowait
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return NaN;
  }
}

/** Peak RSS (VmHWM) of a live process, MB; null once it is gone. */
function peakRssMb(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const max = (xs: number[]): number | null => (xs.length ? Math.max(...xs) : null);

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopCsms(csms: CsmsProcess): Promise<void> {
  const stopped = await Promise.race([csms.stop().then(() => true), sleep(30_000).then(() => false)]);
  if (!stopped) {
    log(`CSMS (pid ${csms.pid}) did not stop within 30 s: SIGKILL`);
    try {
      process.kill(csms.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

async function runOne(chargers: number, mode: Mode): Promise<FleetResult> {
  const customers = args.customers !== undefined ? Number(args.customers) : Math.round(chargers / 10);
  const dir = mkdtempSync(join(tmpdir(), `ev-fleet-${chargers}-${mode}-`));
  const ns = mode === 'rabbitmq' ? `bench-fleet-${randomBytes(4).toString('hex')}` : null;
  const { file, rampS } = writeScenario(dir, chargers, customers, mode);
  log(`${chargers} chargers, ${customers} customers, ${mode}: run directory ${dir}${ns ? `, namespace ${ns}` : ''}`);

  const csms = await startCsmsProcess(
    { CHARGERS: '0', TOKENS: '0', DB_PATH: join(dir, 'csms.db'), ...(ns && { BENCH_RABBITMQ_NAMESPACE: ns }) },
    { logFile: join(dir, 'csms.log') },
  );
  let cleaned = false;
  let sim: ChildProcess | null = null;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    if (sim && sim.exitCode === null && sim.signalCode === null) {
      sim.kill('SIGINT');
      if (!(await waitExit(sim, 30_000))) sim.kill('SIGKILL');
    }
    await stopCsms(csms);
    if (ns) await deleteNamespace(RABBIT_URL, ns).catch((error) => log(`deleting namespace ${ns} failed: ${(error as Error).message}`));
  };
  cleanupCurrent = cleanup;

  try {
    const reportDir = join(dir, 'report');
    const profile = process.env.BENCH_PROFILE_DIR;
    sim = fork(join(ROOT, 'bin', 'ev-sim.js'), [
      'run', file,
      '--target', `${csms.ready.httpUrl},${csms.ready.ocppUrl}`,
      '--admin-email', csms.ready.admin.email,
      '--admin-password', csms.ready.admin.password,
      '--duration', `${rampS + HOLD_S}s`,
      '--json', '--no-dashboard',
      '--report-dir', reportDir,
    ], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx', '--import', join(ROOT, 'bench', 'support', 'sim-probe.ts'), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    children.add(sim);
    const simPid = sim.pid!;
    const simExit = new Promise<number | null>((resolve) => sim!.once('exit', (code) => resolve(code)));

    let phase: Phase = 'setup';
    let holdStart: number | null = null;
    let holdEnd: number | null = null;
    let simPeak = 0;
    const simSamples: SimSample[] = [];
    let loopWindow: { p50Ms: number; p99Ms: number; maxMs: number; count: number } | null = null;
    sim.on('message', (m: any) => {
      if (m.type === 'sample') {
        simSamples.push({ at: Date.now(), phase, loopP99Ms: m.loopP99Ms, loopMaxMs: m.loopMaxMs, rssMb: m.rssMb, heapUsedMb: m.heapUsedMb, externalMb: m.externalMb, cpuPct: m.cpuPct });
      } else if (m.type === 'window') loopWindow = m;
    });

    const simLog = createWriteStream(join(dir, 'sim.log'));
    const lines = createInterface({ input: sim.stderr! });
    lines.on('line', (line) => {
      simLog.write(`${line}\n`);
      const progress = /^\[\s*\d+s\] (ramp-up|hold|ramp-down)/.exec(line);
      if (progress && phase !== 'hold' && phase !== 'ramp-down' && progress[1] !== 'ramp-down') {
        if (progress[1] === 'ramp-up') phase = 'ramp-up';
        else {
          phase = 'hold';
          holdStart = Date.now();
          if (sim!.connected) sim!.send({ type: 'window-start' });
          log(`  hold from ${line.slice(0, 8).trim()}`);
        }
      }
      if (line.startsWith('ramp-down:') && phase !== 'ramp-down') {
        if (phase === 'hold') {
          holdEnd = Date.now();
          if (sim!.connected) sim!.send({ type: 'window-end' });
        }
        phase = 'ramp-down';
      }
      if (/OVERLOADED|failed|error/i.test(line) && !line.startsWith('[')) log(`  ev-sim: ${line}`);
      else if (line.startsWith('[')) log(`  ${line.slice(0, 160)}`);
    });

    // CSMS and simulator peaks every SAMPLE_EVERY_MS until ev-sim exits (or the watchdog ends it).
    const csmsSamples: CsmsSample[] = [];
    const machineSamples: MachineSample[] = [];
    let ticks = { at: Date.now(), machine: cpuTicks(), sim: cpuTicks(simPid), csms: cpuTicks(csms.pid) };
    const deadline = Date.now() + (300 + rampS + HOLD_S + 180) * 1000;
    let exited = false;
    void simExit.then(() => (exited = true));
    await csms.stats(); // starts the CPU window
    while (!exited) {
      await Promise.race([simExit, sleep(SAMPLE_EVERY_MS)]);
      simPeak = Math.max(simPeak, peakRssMb(simPid) ?? 0);
      if (exited) break;
      const now = { at: Date.now(), machine: cpuTicks(), sim: cpuTicks(simPid), csms: cpuTicks(csms.pid) };
      const pct = (d: number) => d / ((now.at - ticks.at) / 1000); // 100 ticks a second = one core
      const m = { machinePct: pct(now.machine - ticks.machine), simPct: pct(now.sim - ticks.sim), csmsPct: pct(now.csms - ticks.csms) };
      if (Number.isFinite(m.simPct)) machineSamples.push({ at: now.at, phase, ...m, othersPct: m.machinePct - m.simPct - m.csmsPct });
      ticks = now;
      csmsSamples.push({ ...(await csms.stats()), at: Date.now(), phase });
      if (Date.now() > deadline) {
        log(`  ev-sim still running past its deadline: SIGINT (pid ${simPid})`);
        sim.kill('SIGINT');
        if (!(await waitExit(sim, 60_000))) {
          log(`  SIGKILL (pid ${simPid})`);
          sim.kill('SIGKILL');
        }
      }
    }
    const exitCode = await simExit;
    children.delete(sim);
    simLog.end();
    const csmsPeak = peakRssMb(csms.pid) ?? 0;
    await cleanup();

    const report: RunResult | null = existsSync(join(reportDir, 'report.json')) ? JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) : null;
    const inHold = <T extends { phase: Phase }>(xs: T[]) => xs.filter((x) => x.phase === 'hold');
    const holdSim = inHold(simSamples);
    const holdCsms = inHold(csmsSamples).slice(1); // the first covers part of ramp-up
    simPeak = Math.max(simPeak, ...simSamples.map((s) => s.rssMb));

    let ocppMsgPerS: number | null = null;
    if (report && holdStart !== null && holdEnd !== null) {
      const t0 = Date.parse(report.startedAt);
      const from = (holdStart - t0) / 1000;
      const to = (holdEnd - t0) / 1000;
      const points = report.timeline.filter((p) => p.t >= from && p.t <= to);
      ocppMsgPerS = mean(points.map((p) => p.rates.ocppSent + p.rates.ocppReceived));
    }
    let processedPerS: number | null = null;
    if (holdCsms.length >= 2) {
      const a = holdCsms[0];
      const b = holdCsms.at(-1)!;
      processedPerS = (b.processed - a.processed) / ((b.at - a.at) / 1000);
    }
    const csmsLog = readFileSync(join(dir, 'csms.log'), 'utf8').split('\n').filter(Boolean);
    const levels = csmsLog.map((l) => {
      try {
        const j = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
        return { level: j.level ?? 0, msg: `${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}` };
      } catch {
        return { level: 50, msg: l.slice(0, 200) };
      }
    });
    const topLog = [...levels.filter((l) => l.level >= 40).reduce((m, l) => m.set(l.msg, (m.get(l.msg) ?? 0) + 1), new Map<string, number>())]
      .sort((x, y) => y[1] - x[1]).slice(0, 5).map(([msg, n]) => `${n}× ${msg}`);

    const meter = report?.final.latency['notify.meter.values'];
    const loop = loopWindow as { p50Ms: number; p99Ms: number; maxMs: number; count: number } | null;
    const failures: string[] = [];
    if (simPeak >= LIMITS.simRssMb) failures.push(`sim RSS ${Math.round(simPeak)} MB ≥ ${LIMITS.simRssMb}`);
    if (!loop) failures.push('no steady window measured');
    else if (loop.p99Ms >= LIMITS.simLoopP99Ms) failures.push(`sim loop p99 ${loop.p99Ms.toFixed(1)} ms ≥ ${LIMITS.simLoopP99Ms}`);
    const result: FleetResult = {
      chargers,
      customers,
      mode,
      holdS: holdStart !== null && holdEnd !== null ? Math.round((holdEnd - holdStart) / 1000) : 0,
      sim: {
        rssPeakMb: Math.round(simPeak),
        rssPerChargerKb: Math.round((simPeak * 1024) / chargers),
        rssHoldAvgMb: round1(mean(holdSim.map((x) => x.rssMb))),
        loopP99Ms: loop ? round1(loop.p99Ms) : null,
        loopMaxMs: loop ? round1(loop.maxMs) : null,
        worstSecondLoopP99Ms: round1(max(simSamples.filter((s) => s.phase === 'ramp-up' || s.phase === 'hold').map((s) => s.loopP99Ms))),
        cpuPctAvg: round1(mean(holdSim.map((s) => s.cpuPct))),
        exitCode,
        reason: report?.reason ?? `no report (ev-sim exit ${exitCode}); see ${join(dir, 'sim.log')}`,
      },
      csms: {
        rssPeakMb: Math.round(Math.max(csmsPeak, ...csmsSamples.map((s) => s.rssMb))),
        cpuPctAvg: round1(mean(holdCsms.map((s) => s.cpuPct))),
        cpuPctMax: round1(max(holdCsms.map((s) => s.cpuPct))),
        loopP99MsMax: round1(max(holdCsms.map((s) => s.loopP99Ms))),
        processedPerS: round1(processedPerS),
        failed: csmsSamples.at(-1)?.failed ?? 0,
        errorLogLines: levels.filter((l) => l.level >= 50).length,
        warnLogLines: levels.filter((l) => l.level === 40).length,
        topLog,
      },
      machine: {
        cores: availableParallelism(),
        busyPctAvg: round1(mean(inHold(machineSamples).map((x) => x.machinePct))),
        othersPctAvg: round1(mean(inHold(machineSamples).map((x) => x.othersPct))),
        othersPctMax: round1(max(inHold(machineSamples).map((x) => x.othersPct))),
      },
      ocppMsgPerS: round1(ocppMsgPerS),
      notifyMeterValues: meter ? { count: meter.count, p50: meter.p50, p99: meter.p99 } : null,
      notifications: report?.final.notifications ?? null,
      errors: report?.final.errors ?? null,
      leaks: report?.final.isolation.leaks ?? null,
      thresholds: (report?.thresholds ?? []).map((t) => ({ expression: t.expression, ok: t.ok, message: t.message })),
      pass: failures.length === 0,
      verdict: failures.length === 0 ? 'PASS' : `FAIL: ${failures.join(', ')}`,
    };
    if (args.keep) {
      writeFileSync(join(dir, 'samples.json'), `${JSON.stringify({ holdStart, holdEnd, sim: simSamples, csms: csmsSamples, machine: machineSamples }, null, 1)}\n`);
      log(`  kept ${dir}`);
    } else rmSync(dir, { recursive: true, force: true });
    return result;
  } finally {
    await cleanup();
    cleanupCurrent = null;
  }
}

function round1(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : Math.round(x * 10) / 10;
}

const HEADER = [
  'chargers', 'customers', 'mode', 'sim RSS peak MB', 'sim KB/charger (peak / N)', 'sim loop p99 ms', 'CSMS RSS peak MB', 'CSMS CPU avg %',
  'OCPP msg/s', 'notify.meter.values p50 / p99 ms', 'errors: sim unexpected / CSMS', 'ev-sim exit', 'other processes CPU % avg / max', 'RSS < 1 GB, loop p99 < 50 ms',
];

function row(r: FleetResult): string {
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '-' : String(x));
  const cells = [
    r.chargers, r.customers, r.mode, `${r.sim.rssPeakMb} (hold avg ${f(r.sim.rssHoldAvgMb)})`, r.sim.rssPerChargerKb,
    `${f(r.sim.loopP99Ms)} (worst 1 s: ${f(r.sim.worstSecondLoopP99Ms)})`, r.csms.rssPeakMb, f(r.csms.cpuPctAvg), f(r.ocppMsgPerS),
    r.notifyMeterValues ? `${round1(r.notifyMeterValues.p50)} / ${round1(r.notifyMeterValues.p99)} (n=${r.notifyMeterValues.count})` : '-',
    `${f(r.errors?.unexpected)} / ${r.csms.errorLogLines + r.csms.failed}`, f(r.sim.exitCode), `${f(r.machine.othersPctAvg)} / ${f(r.machine.othersPctMax)}`, r.verdict,
  ];
  return `| ${cells.join(' | ')} |`;
}

async function main(): Promise<void> {
  const counts = args.chargers.split(',').map(Number);
  const modes = args.modes.split(',') as Mode[];
  if (counts.some((n) => !(Number.isInteger(n) && n > 0)) || modes.some((m) => m !== 'polling' && m !== 'rabbitmq') || !(HOLD_S > 0)) {
    process.stderr.write('usage: bench/fleet.ts [--chargers 1000,5000] [--modes polling,rabbitmq] [--duration 90] [--customers N] [--out FILE] [--keep]\n');
    process.exit(2);
  }
  const results: FleetResult[] = [];
  for (const n of counts) {
    for (const mode of modes) {
      const r = await runOne(n, mode);
      results.push(r);
      log(`  ${row(r)}`);
      log(`  sim: ${JSON.stringify(r.sim)}`);
      log(`  csms: ${JSON.stringify(r.csms)}`);
      log(`  errors: ${JSON.stringify(r.errors)} notifications: ${JSON.stringify(r.notifications)} leaks: ${r.leaks}`);
      if (args.out) writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
      await sleep(3000); // let the machine settle between runs
    }
  }
  process.stdout.write(`\n| ${HEADER.join(' | ')} |\n|${HEADER.map(() => ' --- ').join('|')}|\n${results.map(row).join('\n')}\n`);
  process.stdout.write(`\nsim loop p99: the steady window (phase hold), as monitorEventLoopDelay measures it with a 10 ms resolution (the floor is ~10 ms).\n`);
  process.stdout.write(`CSMS errors: error lines in its log plus events its processor failed.\n`);
  process.stdout.write(`CPU: % of one core (the machine has ${availableParallelism()}), averaged over the hold; other processes: the machine's busy time less the simulator's and the CSMS's (RabbitMQ, this script, anything else running).\n`);
  process.exitCode = results.every((r) => r.pass) ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
