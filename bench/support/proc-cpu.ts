/**
 * CPU of the machine's other parts during a measured window, read from /proc (Linux): the PostgreSQL
 * server (every process named `postgres`: one backend per connection), RabbitMQ (`beam.smp`), and the
 * whole machine (busy share of all cores, and the load average), so a figure can say what limited it.
 * Off Linux it reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const TICKS_PER_S = 100; // USER_HZ: 100 on Linux x86-64 and arm64
const WATCHED = ['postgres', 'beam.smp'] as const;

interface Snapshot {
  at: number;
  /** utime + stime ticks by pid, for the watched names. */
  byPid: Map<number, { comm: string; ticks: number }>;
  machine: { busy: number; total: number } | null;
}

function snapshot(): Snapshot {
  const byPid = new Map<number, { comm: string; ticks: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    // not Linux
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(open + 1, close);
    if (!(WATCHED as readonly string[]).includes(comm)) continue;
    const fields = stat.slice(close + 2).split(' ');
    // After "(comm) ": state is field 3; utime and stime are fields 14 and 15 (1-based, man 5 proc).
    byPid.set(Number(pid), { comm, ticks: Number(fields[11]) + Number(fields[12]) });
  }
  let machine: Snapshot['machine'] = null;
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3]! + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    machine = { busy: total - idle, total };
  } catch {
    // not Linux
  }
  return { at: performance.now(), byPid, machine };
}

export interface SystemCpu {
  /** Share of one core, summed over the processes (100 = one core busy). */
  postgresCpuPct: number | null;
  rabbitmqCpuPct: number | null;
  /** Busy share of all cores of the machine (100 = every core busy). */
  machineBusyPct: number | null;
  cores: number;
  /** `uptime`'s 1-minute load average at the end of the window. */
  load1: number;
}

/** Starts a window; the returned function ends it and reports the CPU used meanwhile. */
export function startCpuWindow(): () => SystemCpu {
  const a = snapshot();
  return () => {
    const b = snapshot();
    const seconds = (b.at - a.at) / 1000;
    const sum = (comm: string): number | null => {
      let ticks = 0;
      let seen = false;
      for (const [pid, p] of b.byPid) {
        if (p.comm !== comm) continue;
        seen = true;
        // A process born during the window counts from zero.
        ticks += p.ticks - (a.byPid.get(pid)?.ticks ?? 0);
      }
      return seen ? Math.round((ticks / TICKS_PER_S / seconds) * 100) : null;
    };
    const machineBusyPct = a.machine && b.machine ? Math.round(((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100) : null;
    return { postgresCpuPct: sum('postgres'), rabbitmqCpuPct: sum('beam.smp'), machineBusyPct, cores: cpus().length, load1: Number(loadavg()[0]!.toFixed(2)) };
  };
}
