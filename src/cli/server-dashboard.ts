/**
 * `ev-csms serve --dashboard`: the server's own live terminal view. Reads only what the CSMS already
 * exposes (csms.stats() and csms.health()): gateway, processor, broker and notifier counters, the
 * outbox, and the gateway's per-action CALL counts for rates. Warnings and errors come from a pino stream into a ring buffer.
 */
import { render, type Instance } from 'ink';
import pino, { type Logger } from 'pino';
import { createElement } from 'react';
import type { CsmsConfig } from '../csms/config.ts';
import { CsmsError } from '../csms/domain/errors.ts';
import type { Csms, CsmsHealth, CsmsInfo, CsmsStats } from '../csms/server.ts';
import { LiveServerDashboard } from './views/ServerDashboard.tsx';

export interface LogEntry {
  at: number;
  level: 'warn' | 'error' | 'fatal';
  msg: string;
  component: string | null;
}

export interface ActionRate {
  action: string;
  /** in: charger → CSMS; out: CSMS → charger (commands). */
  direction: 'in' | 'out';
  perS: number;
}

export interface ServerSample {
  at: number;
  uptimeS: number;
  info: Pick<CsmsInfo, 'nodeId' | 'mode' | 'httpUrl' | 'ocppUrl'>;
  chargers: { connected: number; accepted: number; rejectedUpgrades: number; replaced: number };
  /** CALLs per second by action (in: from chargers; out: our commands), from the gateway's counters. */
  actions: ActionRate[];
  processor: { processedPerS: number; processed: number; failed: number; duplicates: number };
  broker: { kind: 'memory' | 'rabbitmq'; backlog: number; ok: boolean; detail: string; queueDepth: number | null; retryDepth: number | null; unconfirmed: number | null };
  outbox: number | null;
  notifier: { connected: number; clientsByRoomKind: Record<string, number>; emittedPerS: number; noAudience: number; refusedJoins: number; byType: { type: string; perS: number }[] } | null;
  errors: LogEntry[];
}

const PINO_LEVELS: Record<number, LogEntry['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** A fixed-size list of the latest warnings and errors, fed by a pino destination. */
export function createErrorRing(size = 20) {
  const entries: LogEntry[] = [];
  return {
    entries: () => [...entries],
    /** pino destination: one JSON line per call. */
    write(line: string) {
      try {
        const rec = JSON.parse(line) as { level: number; time: number; msg?: string; component?: string; err?: { message?: string } };
        const level = PINO_LEVELS[rec.level];
        if (!level) return;
        entries.push({ at: rec.time, level, msg: [rec.msg, rec.err?.message].filter(Boolean).join(': '), component: rec.component ?? null });
        if (entries.length > size) entries.shift();
      } catch {
        // Not a JSON line: not ours to show.
      }
    },
  };
}

/** Builds a sampler that turns the CSMS's counters into rates since its previous call. */
export function createServerSampler(csms: Csms, errors: () => LogEntry[], clock: () => number = Date.now) {
  const started = clock();
  let prev: { at: number; processed: number; emitted: number; byType: Record<string, number>; callsIn: Record<string, number>; callsOut: Record<string, number> } | null = null;

  /** Calls per second per action since the previous sample, from the gateway's counters. */
  function rates(direction: 'in' | 'out', now: Record<string, number>, before: Record<string, number> | undefined, dt: number): ActionRate[] {
    if (!before) return [];
    return Object.entries(now)
      .map(([action, n]) => ({ action, direction, perS: (n - (before[action] ?? 0)) / dt }))
      .filter((r) => r.perS > 0);
  }

  return async function sample(): Promise<ServerSample | null> {
    let stats: CsmsStats;
    let health: CsmsHealth;
    try {
      stats = await csms.stats();
      health = await csms.health();
    } catch (err) {
      if (err instanceof CsmsError && err.code === 'CSMS_ERR_NOT_READY') return null; // not started yet, or closed
      throw err;
    }
    const { gateway, processor, broker } = stats;
    const now = clock();
    const nstats = stats.notifier;
    const dt = prev ? Math.max((now - prev.at) / 1000, 0.001) : 1;
    const { callsIn, callsOut } = gateway;
    const actions = [...rates('in', callsIn, prev?.callsIn, dt), ...rates('out', callsOut, prev?.callsOut, dt)].sort((x, y) => y.perS - x.perS);
    const rabbit = broker.queues;
    const s: ServerSample = {
      at: now,
      uptimeS: (now - started) / 1000,
      info: csms.info,
      chargers: { connected: gateway.connected, accepted: gateway.accepted, rejectedUpgrades: gateway.rejectedUpgrades, replaced: gateway.replaced },
      actions,
      processor: { ...processor, processedPerS: prev ? (processor.processed - prev.processed) / dt : 0 },
      broker: { kind: broker.kind, backlog: broker.backlog, ok: health.broker.ok, detail: health.broker.detail, queueDepth: rabbit?.queueDepth ?? null, retryDepth: rabbit?.retryDepth ?? null, unconfirmed: rabbit?.unconfirmed ?? null },
      outbox: stats.outbox,
      notifier: nstats && {
        connected: nstats.connected,
        clientsByRoomKind: nstats.clientsByRoomKind,
        emittedPerS: prev ? (nstats.emitted - prev.emitted) / dt : 0,
        noAudience: nstats.noAudience,
        refusedJoins: nstats.refusedJoins,
        byType: Object.entries(nstats.emittedByType)
          .map(([type, n]) => ({ type, perS: prev ? (n - (prev.byType[type] ?? 0)) / dt : 0 }))
          .filter((t) => t.perS > 0)
          .sort((a, b) => b.perS - a.perS),
      },
      errors: errors(),
    };
    prev = { at: now, processed: processor.processed, emitted: nstats?.emitted ?? 0, byType: { ...(nstats?.emittedByType ?? {}) }, callsIn: { ...callsIn }, callsOut: { ...callsOut } };
    return s;
  };
}

export interface ServerDashboard {
  /** Give this logger to createCsms: its warnings and errors show in the view instead of tearing it. */
  logger: Logger;
  show(csms: Csms): void;
  stop(): void;
}

/**
 * The dashboard for `serve --dashboard`, or null (after printing a note) when stdout is not a terminal.
 * While it runs, log lines below warn are dropped: they would scroll the view away.
 */
export function prepareServerDashboard(config: Pick<CsmsConfig, 'logLevel' | 'nodeId'>, stdout: NodeJS.WriteStream = process.stdout): ServerDashboard | null {
  if (!stdout.isTTY) {
    process.stderr.write('ev-csms: --dashboard needs a terminal; stdout is not one, so the server runs with plain logs\n');
    return null;
  }
  const ring = createErrorRing();
  const quiet = config.logLevel === 'silent' || config.logLevel === 'fatal' || config.logLevel === 'error';
  const logger = pino({ level: quiet ? config.logLevel : 'warn', base: { node: config.nodeId } }, ring);
  let instance: Instance | null = null;
  return {
    logger,
    show(csms) {
      const sample = createServerSampler(csms, ring.entries);
      instance = render(createElement(LiveServerDashboard, { sample, intervalMs: 500 }), { stdout, exitOnCtrlC: false, maxFps: 4 });
    },
    stop() {
      instance?.unmount();
      instance = null;
    },
  };
}
