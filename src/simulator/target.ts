/**
 * Where the load goes: an embedded CSMS (createCsms on ephemeral ports, a temporary database, with
 * RabbitMQ a namespace of its own that is deleted afterwards) or a CSMS already running elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type CsmsConfig } from '../csms/config.ts';
import { createCsms, type Csms } from '../csms/server.ts';
import { deleteNamespace } from '../csms/broker/rabbitmq/topology.ts';
import type { Target } from './scenario/schema.ts';

export interface RunningTarget {
  kind: 'embedded' | 'remote';
  httpUrl: string;
  ocppUrl: string;
  admin: { email: string; password: string };
  /** The embedded CSMS (null for a remote one). */
  csms: Csms | null;
  rabbitmq: { url: string; namespace: string } | null;
  /** Embedded only: close the CSMS, wait `downtimeMs`, start it again on the same ports and database. */
  restart(downtimeMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts (embedded) or describes (remote) the target. Throws when an embedded CSMS cannot start. */
export async function startTarget(target: Target): Promise<RunningTarget> {
  if (target.kind === 'remote') {
    return {
      kind: 'remote',
      httpUrl: target.httpUrl.replace(/\/+$/, ''),
      ocppUrl: target.ocppUrl.replace(/\/+$/, ''),
      admin: target.admin,
      csms: null,
      rabbitmq: null,
      async restart() {
        throw new Error('restart-csms needs the embedded target');
      },
      async close() {},
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'ev-sim-'));
  const namespace = `ev-sim-${randomBytes(5).toString('hex')}`;
  const admin = { email: 'admin@ev-sim.local', password: randomBytes(12).toString('hex') };
  let config: CsmsConfig = loadConfig({
    host: '127.0.0.1',
    port: 0,
    ocppPort: 0,
    dbPath: join(dir, 'csms.db'),
    enableRabbitmq: target.csms.rabbitmq,
    rabbitmqUrl: target.csms.rabbitmqUrl,
    rabbitmqNamespace: namespace,
    // Fixed for the run, so tokens survive a restart-csms.
    jwtSecret: randomBytes(24).toString('hex'),
    adminEmail: admin.email,
    adminPassword: admin.password,
    logLevel: 'silent',
  }, {});
  let csms: Csms | null = createCsms(config);
  let info;
  try {
    info = await csms.start();
  } catch (error) {
    await csms.close().catch(() => {});
    await cleanup(dir, target.csms.rabbitmq ? { url: target.csms.rabbitmqUrl, namespace } : null);
    throw error;
  }
  // A restart reuses the ports the first start got, so chargers and customers find it again.
  config = Object.freeze({ ...config, port: info.httpPort, ocppPort: info.ocppPort });
  const rabbitmq = target.csms.rabbitmq ? { url: target.csms.rabbitmqUrl, namespace } : null;
  const running: RunningTarget = {
    kind: 'embedded',
    httpUrl: info.httpUrl,
    ocppUrl: info.ocppUrl,
    admin,
    csms,
    rabbitmq,
    async restart(downtimeMs) {
      await csms?.close();
      csms = null;
      running.csms = null;
      await new Promise((r) => setTimeout(r, downtimeMs));
      const next = createCsms(config);
      await next.start();
      csms = next;
      running.csms = next;
    },
    async close() {
      await csms?.close();
      csms = null;
      running.csms = null;
      await cleanup(dir, rabbitmq);
    },
  };
  return running;
}

async function cleanup(dir: string, rabbitmq: { url: string; namespace: string } | null): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  if (!rabbitmq) return;
  await deleteNamespace(rabbitmq.url, rabbitmq.namespace);
}
