/**
 * createCsms().start() either opens everything or leaves nothing open: a step that fails (here a
 * port someone else holds) closes what the earlier steps opened and rethrows.
 */
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/csms/config.ts';
import { CsmsError } from '../../src/csms/domain/errors.ts';
import { createCsms } from '../../src/csms/server.ts';
import { createSqliteStore } from '../../src/csms/store/index.ts';

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nobody listens on right now: the OS picks it, we let it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await closeServer(probe);
  return port;
}

/** Resolves true when something accepts a TCP connection on the port, false when it is refused. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Files of this process's open descriptors (Linux): the database must not be among them. */
function openFiles(): string[] {
  if (!existsSync('/proc/self/fd')) return [];
  const files: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      files.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // The descriptor readdir itself used is gone already.
    }
  }
  return files;
}

describe('createCsms start()', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup() {
    const dir = mkdtempSync(join(tmpdir(), 'ev-start-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const blocker = createServer();
    const busy = await listen(blocker);
    cleanup.push(() => closeServer(blocker));
    return { dbPath: join(dir, 'csms.db'), busy };
  }

  it('with the HTTP port in use: closes the OCPP port and the database it had opened, and rethrows', async () => {
    const { dbPath, busy } = await setup();
    const ocppPort = await freePort();
    const csms = createCsms(testConfig({ dbPath, port: busy, ocppPort }));
    const err = await csms.start().catch((e: unknown) => e);

    expect(err).toBeInstanceOf(CsmsError);
    expect(err).toMatchObject({ code: 'CSMS_ERR_PORT_UNAVAILABLE', data: { server: 'http', host: '127.0.0.1', port: busy, reason: 'EADDRINUSE' } });
    expect((err as Error).message).toContain(`the HTTP port ${busy} on 127.0.0.1 is already in use`);
    expect((err as Error).message).toContain('PORT or --port');
    // The OCPP port was open before the HTTP listen failed; now nothing answers there and it can be taken.
    expect(await accepts(ocppPort)).toBe(false);
    const reuse = createServer();
    expect(await listen(reuse, ocppPort)).toBe(ocppPort);
    await closeServer(reuse);
    // The database and its WAL are closed (the checkpointer's worker too), and the file opens again.
    expect(openFiles().filter((f) => f.startsWith(dbPath))).toEqual([]);
    await expect(csms.stats()).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_NOT_READY' }));
    await expect(csms.health()).rejects.toThrow(expect.objectContaining({ code: 'CSMS_ERR_NOT_READY' }));
    const store = createSqliteStore(dbPath);
    expect(await store.ping()).toBe(true);
    await store.close();
    // close() after a failed start is harmless.
    await csms.close();
  });

  it('with the OCPP port in use: names it, and leaves the HTTP port and the database closed', async () => {
    const { dbPath, busy } = await setup();
    const httpPort = await freePort();
    const csms = createCsms(testConfig({ dbPath, port: httpPort, ocppPort: busy }));
    const err = await csms.start().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'CSMS_ERR_PORT_UNAVAILABLE', data: { server: 'ocpp', port: busy, reason: 'EADDRINUSE' } });
    expect((err as Error).message).toContain(`the OCPP port ${busy} on 127.0.0.1 is already in use`);
    expect((err as Error).message).toContain('OCPP_PORT or --ocpp-port');
    expect(await accepts(httpPort)).toBe(false);
    expect(openFiles().filter((f) => f.startsWith(dbPath))).toEqual([]);

    // The database is usable again: a CSMS on free ports starts on it.
    const again = createCsms(testConfig({ dbPath, port: 0, ocppPort: 0 }));
    const info = await again.start();
    cleanup.push(() => again.close());
    expect((await fetch(`${info.httpUrl}/health`)).status).toBe(200);
  });
});
