/**
 * Where the load goes: an embedded CSMS (ephemeral ports, a temporary database, with RabbitMQ a
 * namespace of its own on the shared broker or a private RabbitMQ node), run in this process
 * (createCsms) or as a child process (`ev-csms serve`); or a CSMS already running elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type CsmsConfig } from '../csms/config.ts';
import { createCsms, deleteRabbitmqNamespace, type Csms } from '../csms/server.ts';
import { createCsmsChild } from './csms-child.ts';
import { startPrivateRabbit, type PrivateRabbit } from './rabbit-node.ts';
import type { Target } from './scenario/schema.ts';

export interface RunningTarget {
  kind: 'embedded' | 'remote';
  /** How the embedded CSMS runs; null for a remote one. */
  process: 'in-process' | 'child' | null;
  httpUrl: string;
  /** The OCPP endpoints in failover order (one for an embedded CSMS). */
  ocppUrls: string[];
  admin: { email: string; password: string };
  /** The in-process CSMS (null for a child process or a remote one). */
  csms: Csms | null;
  /** The child process's PID (child target only, null while it is down). */
  readonly pid: number | null;
  /** `node`: the private node's name for rabbitmqctl -n; null: the local default (shared) node. */
  rabbitmq: { url: string; namespace: string; node: string | null } | null;
  /** Embedded only: stop the CSMS (TERM: graceful close; KILL: kill -9, child only), wait `downtimeMs`, start it again on the same ports and database. */
  restart(downtimeMs: number, signal?: 'TERM' | 'KILL'): Promise<void>;
  /** Called when the CSMS dies on its own or cannot be started again: the run cannot go on. */
  onFailure(listener: (reason: string) => void): void;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Where the child process's log goes (the run's report directory); a temporary directory otherwise. */
  artifactDir?: string | null;
  log?(line: string): void;
}

/** Starts (embedded) or describes (remote) the target. Throws when an embedded CSMS cannot start; nothing is left running then. */
export async function startTarget(target: Target, opts: TargetOptions = {}): Promise<RunningTarget> {
  const log = opts.log ?? (() => {});
  if (target.kind === 'remote') {
    return {
      kind: 'remote',
      process: null,
      httpUrl: target.httpUrl.replace(/\/+$/, ''),
      ocppUrls: target.ocppUrl,
      admin: target.admin,
      csms: null,
      pid: null,
      rabbitmq: null,
      async restart() {
        throw new Error('restart-csms needs the embedded target');
      },
      onFailure() {},
      async close() {},
    };
  }
  const spec = target.csms;
  const dir = await mkdtemp(join(tmpdir(), 'ev-sim-'));
  const namespace = `ev-sim-${randomBytes(5).toString('hex')}`;
  const admin = { email: 'admin@ev-sim.local', password: randomBytes(12).toString('hex') };
  const listeners: ((reason: string) => void)[] = [];
  const fail = (reason: string): void => {
    for (const l of listeners) l(reason);
  };
  let broker: PrivateRabbit | null = null;
  let rabbitmq: RunningTarget['rabbitmq'] = null;
  // A second Ctrl-C exits at once: the database goes with us all the same.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const cleanup = async (): Promise<void> => {
    await broker?.stop().catch((error) => log(`stopping the private RabbitMQ node failed: ${(error as Error).message}`));
    if (rabbitmq && !broker) await deleteRabbitmqNamespace(rabbitmq.url, rabbitmq.namespace).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    process.off('exit', removeDir);
  };

  try {
    if (spec.rabbitmq && spec.broker === 'private') {
      broker = await startPrivateRabbit({ log });
      rabbitmq = { url: broker.url, namespace, node: broker.node };
    } else if (spec.rabbitmq) {
      rabbitmq = { url: spec.rabbitmqUrl, namespace, node: null };
    }
    const base: CsmsConfig = loadConfig({
      host: '127.0.0.1',
      port: 0,
      ocppPort: 0,
      dbPath: join(dir, 'csms.db'),
      enableRabbitmq: spec.rabbitmq,
      rabbitmqUrl: rabbitmq?.url ?? spec.rabbitmqUrl,
      rabbitmqNamespace: namespace,
      // Fixed for the run, so tokens survive a restart-csms.
      jwtSecret: randomBytes(24).toString('hex'),
      adminEmail: admin.email,
      adminPassword: admin.password,
      // Every simulated customer signs up from this one address: the per-address limit is for people.
      registrationsPerAddressPerHour: 0,
      // Simulated customers add money themselves (opening balance, customers.topUps): there is no provider to pay.
      walletSelfTopup: spec.walletSelfTopup,
      reservationMinutes: spec.reservationMinutes,
      loadManagement: spec.loadManagement,
      localList: spec.localList,
      // New customers reach the chargers' lists within a second or two in a short run.
      localListSyncIntervalS: 1,
      // The in-process CSMS would write into ev-sim's own output; the child writes to its log file.
      logLevel: spec.process === 'child' ? 'warn' : 'silent',
    }, {});
    const running = spec.process === 'child' ? await startChild(base) : await startInProcess(base);
    return running;
  } catch (error) {
    await cleanup();
    throw error;
  }

  async function startInProcess(first: CsmsConfig): Promise<RunningTarget> {
    let config = first;
    let csms: Csms | null = createCsms(config);
    let info;
    try {
      info = await csms.start();
    } catch (error) {
      await csms.close().catch(() => {});
      throw error;
    }
    // A restart reuses the ports the first start got, so chargers and customers find it again.
    config = Object.freeze({ ...config, port: info.httpPort, ocppPort: info.ocppPort });
    const running: RunningTarget = {
      kind: 'embedded',
      process: 'in-process',
      httpUrl: info.httpUrl,
      ocppUrls: [info.ocppUrl],
      admin,
      csms,
      pid: null,
      rabbitmq,
      async restart(downtimeMs, signal = 'TERM') {
        if (signal === 'KILL') throw new Error('signal KILL needs the CSMS in a child process (target.csms.process: child)');
        await csms?.close();
        csms = null;
        running.csms = null;
        await new Promise((r) => setTimeout(r, downtimeMs));
        const next = createCsms(config);
        try {
          await next.start();
        } catch (error) {
          await next.close().catch(() => {});
          fail(`the embedded CSMS did not start again: ${(error as Error).message}`);
          throw error;
        }
        csms = next;
        running.csms = next;
      },
      onFailure: (l) => void listeners.push(l),
      async close() {
        try {
          await csms?.close();
        } finally {
          csms = null;
          running.csms = null;
          await cleanup();
        }
      },
    };
    return running;
  }

  async function startChild(first: CsmsConfig): Promise<RunningTarget> {
    let logDir = dir;
    if (opts.artifactDir) {
      await mkdir(opts.artifactDir, { recursive: true });
      logDir = opts.artifactDir;
    }
    const logFile = join(logDir, 'csms.log');
    const child = createCsmsChild({ logFile, readyFile: join(dir, 'ready.json') });
    child.onUnexpectedExit(fail);
    const ready = await child.start(first);
    log(`CSMS child process pid ${ready.pid} (${ready.mode} mode), log ${logFile}`);
    const config = Object.freeze({ ...first, port: ready.httpPort, ocppPort: ready.ocppPort });
    return {
      kind: 'embedded',
      process: 'child',
      httpUrl: ready.httpUrl,
      ocppUrls: [ready.ocppUrl],
      admin,
      csms: null,
      get pid() {
        return child.pid;
      },
      rabbitmq,
      async restart(downtimeMs, signal = 'TERM') {
        await child.stop(signal);
        await new Promise((r) => setTimeout(r, downtimeMs));
        try {
          await child.start(config);
        } catch (error) {
          fail(`the CSMS child process did not start again: ${(error as Error).message}`);
          throw error;
        }
      },
      onFailure: (l) => void listeners.push(l),
      async close() {
        try {
          await child.stop('TERM');
        } finally {
          await cleanup();
        }
      },
    };
  }
}
