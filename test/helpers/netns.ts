/**
 * Separate hosts on this one machine, for tests of several CSMS nodes that must not share a loopback:
 * Linux network namespaces behind a bridge. The root namespace (the test process) is the "services
 * host": the bridge carries its address, and `forward()` makes a service that listens on its
 * loopback (RabbitMQ, PostgreSQL) reachable there. Each namespace is a host with its own address,
 * its own loopback and its own ports, and reaches the others over the bridge.
 *
 *   root namespace   bridge evnh<sfx>b  10.X.0.1/24  (forwarders: 10.X.0.1:5672 → 127.0.0.1:5672, …)
 *   namespace #0     veth               10.X.0.2/24  default via 10.X.0.1
 *   namespace #1     veth               10.X.0.3/24  …
 *
 * Needs root and iproute2. Everything it creates is named `evnh…` and labelled with the PID of the
 * test process that made it (namespace names carry it, interfaces carry it as their alias), so that
 * a later run removes what a killed run left; a run that ends normally or by a signal removes its
 * own (process exit hooks).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, TestRunner } from 'vitest';

const PREFIX = 'evnh';
const OWNER_ALIAS = /^evnh owner=(\d+)$/;
const NS_NAME = /^evnh-[0-9a-f]+-(\d+)-/;

export interface NetnsHost {
  /** The name the test gave it ('a', 'b'). */
  name: string;
  /** The network namespace (for `ip netns exec`). */
  ns: string;
  /** Its address on the bridge. */
  address: string;
}

export interface Netns {
  /** The root namespace's address on the bridge: the services host, where `forward()` listens. */
  bridgeAddress: string;
  hosts: Record<string, NetnsHost>;
  /** A directory of the run's own on the shared filesystem (a shared SQLite file, logs): removed with the rest. */
  tmpDir: string;
  /**
   * Starts `cmd args` inside `host`'s namespace (`ip netns exec`, which execs the command: the
   * child's PID is the command's). Stdout and stderr are piped. Killed by `cleanup()` if still running.
   */
  exec(host: NetnsHost | string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Listens on bridgeAddress:`port` and pipes each connection to `targetHost`:`targetPort` (default 127.0.0.1, same port). */
  forward(port: number, targetPort?: number, targetHost?: string): Promise<void>;
  /** Connections the forwarders accepted so far, per listening port. */
  forwarded(): Record<number, number>;
  /** Kills what `exec` started (by PID), closes the forwarders, removes the namespaces, veths and bridge. */
  cleanup(): Promise<void>;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited meanwhile
  }
}

/** Kills the processes still inside `ns` (by PID) and deletes it. */
function removeNamespace(ns: string): void {
  let pids: number[] = [];
  try {
    pids = ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
  } catch {
    // no such namespace
  }
  for (const pid of pids) killPid(pid);
  tryIp('netns', 'del', ns);
}

/**
 * Removes what runs of this harness left behind whose test process is gone: namespaces named
 * `evnh-<sfx>-<pid>-…` (and the processes still in them), interfaces whose alias is
 * `evnh owner=<pid>` and temporary directories `evnh-<sfx>-<pid>`, for a dead `pid`.
 */
export function removeStale(): string[] {
  const removed: string[] = [];
  const namespaces = (JSON.parse(ip('-j', 'netns', 'list') || '[]') as { name: string }[]).map((n) => n.name);
  for (const ns of namespaces) {
    const m = NS_NAME.exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  const links = JSON.parse(ip('-j', 'link', 'show') || '[]') as { ifname: string; ifalias?: string }[];
  for (const link of links) {
    const m = link.ifname.startsWith(PREFIX) ? OWNER_ALIAS.exec(link.ifalias ?? '') : null;
    if (!m || alive(Number(m[1]))) continue;
    tryIp('link', 'del', link.ifname);
    removed.push(link.ifname);
  }
  for (const dir of readdirSync(tmpdir())) {
    const m = /^evnh-[0-9a-f]+-(\d+)$/.exec(dir);
    if (!m || alive(Number(m[1]))) continue;
    rmSync(join(tmpdir(), dir), { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Why network namespaces cannot be used here, or null when they can: needs root, iproute2, and a
 * kernel (or container) that lets us add a namespace, a bridge and a veth pair.
 */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  const sfx = randomBytes(2).toString('hex');
  const ns = `${PREFIX}-${sfx}-${process.pid}-probe`;
  const link = `${PREFIX}${sfx}p`;
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', link, 'type', 'bridge');
    return null;
  } catch (e) {
    return `ip netns/ip link refused: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`;
  } finally {
    tryIp('link', 'del', link);
    tryIp('netns', 'del', ns);
  }
}

/** A 10.X.0.0/24 that no address or route on this machine touches. */
function freeSubnet(): number {
  const used = `${ip('-4', 'addr', 'show')}\n${ip('-4', 'route', 'show', 'table', 'all')}`;
  for (let i = 0; i < 50; i++) {
    const x = randomInt(100, 250);
    if (!new RegExp(`\\b10\\.${x}\\.`).test(used)) return x;
  }
  throw new Error('no free 10.X.0.0/24 subnet for the test network');
}

const live = new Set<{ cleanupSync(): void }>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const h of live) h.cleanupSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      for (const h of live) h.cleanupSync();
      // Then die of the signal as we would have without this handler.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}

/**
 * Creates one namespace per name in `names` (hosts 10.X.0.2, .3, … in that order), a bridge in the
 * root namespace (10.X.0.1) and a veth from each namespace into it. Stale leftovers of killed runs
 * are removed first.
 */
export async function createNetns(names: string[]): Promise<Netns> {
  removeStale();
  hookExit();
  const sfx = randomBytes(2).toString('hex');
  const owner = `${PREFIX} owner=${process.pid}`;
  const bridge = `${PREFIX}${sfx}b`;
  const x = freeSubnet();
  const bridgeAddress = `10.${x}.0.1`;
  const hosts: Record<string, NetnsHost> = {};
  const tmpDir = join(tmpdir(), `${PREFIX}-${sfx}-${process.pid}`);
  const veths: string[] = [];
  const children = new Set<ChildProcess>();
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const accepted: Record<number, number> = {};
  let removed = false;

  const cleanupSync = () => {
    if (removed) return;
    removed = true;
    live.delete(handle);
    for (const c of children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) killPid(c.pid);
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    for (const h of Object.values(hosts)) removeNamespace(h.ns);
    for (const v of veths) tryIp('link', 'del', v);
    tryIp('link', 'del', bridge);
    rmSync(tmpDir, { recursive: true, force: true });
  };
  const handle = { cleanupSync };
  live.add(handle);

  try {
    mkdirSync(tmpDir);
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('link', 'set', bridge, 'alias', owner);
    ip('addr', 'add', `${bridgeAddress}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    names.forEach((name, i) => {
      const ns = `${PREFIX}-${sfx}-${process.pid}-${name}`;
      const outside = `${PREFIX}${sfx}h${i}`;
      const inside = `${PREFIX}${sfx}n${i}`;
      const address = `10.${x}.0.${i + 2}`;
      ip('netns', 'add', ns);
      hosts[name] = { name, ns, address };
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', ns);
      veths.push(outside);
      ip('link', 'set', outside, 'alias', owner);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', inside);
      ip('-n', ns, 'link', 'set', inside, 'up');
      ip('-n', ns, 'route', 'add', 'default', 'via', bridgeAddress);
    });
  } catch (e) {
    cleanupSync();
    throw e;
  }

  const hostOf = (h: NetnsHost | string) => {
    const host = typeof h === 'string' ? hosts[h] : h;
    if (!host) throw new Error(`no host ${String(h)} (hosts: ${Object.keys(hosts).join(', ')})`);
    return host;
  };

  return {
    bridgeAddress,
    hosts,
    tmpDir,
    exec(h, cmd, args, env = process.env) {
      if (removed) throw new Error('the test network is already removed');
      const child = spawn('ip', ['netns', 'exec', hostOf(h).ns, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async forward(port, targetPort = port, targetHost = '127.0.0.1') {
      const server = createServer((client) => {
        accepted[port] = (accepted[port] ?? 0) + 1;
        const upstream = createConnection(targetPort, targetHost);
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        // An error or close on either side ends both: a killed node's broker connection ends at the broker too.
        for (const s of [client, upstream]) {
          s.on('error', end);
          s.on('close', end);
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, bridgeAddress, () => resolve());
      });
    },
    forwarded: () => ({ ...accepted }),
    async cleanup() {
      const exits = [...children].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
      for (const c of children) if (c.pid !== undefined) killPid(c.pid);
      await Promise.all(exits);
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        for (const sock of sockets) sock.destroy();
      })));
      servers.length = 0;
      cleanupSync();
    },
  };
}

const unavailable = netnsUnavailable();

/** Why the suite cannot run here (network namespaces), or null. */
export const NETNS_UNAVAILABLE = unavailable;

/**
 * `describe` for suites that need network namespaces (and whatever else `missing` names): skipped
 * loudly without them, failed in CI (CI=true).
 */
export function describeNetns(name: string, fn: () => void, missing: string | null = null): void {
  const reason = unavailable ?? missing;
  if (reason === null) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') throw new Error(`${reason}: CI=true, so "${name}" fails instead of skipping`);
  describe.skip(name, () => {
    fn();
    const n = TestRunner.getCurrentSuite().tasks.length;
    console.warn(`\n*** ${reason}: skipping ${n} tests of "${name}" ***\n`);
  });
}
