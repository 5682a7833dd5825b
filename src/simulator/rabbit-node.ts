/**
 * A private RabbitMQ node for one run (or one test): its own ports, data directory and node name, so
 * an outage (`stop_app`) disturbs nobody else. The shared node is never stopped by this module.
 * The server runs as user `rabbitmq` (the package's wrapper switches to it), so this needs root or
 * that user; the node is stopped and its directory removed by `stop()`, and killed if the process
 * exits before that (a second Ctrl-C).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { inheritedEnv } from './config.ts';

const exec = promisify(execFile);

export interface PrivateRabbit {
  /** `<name>@localhost`: what `rabbitmqctl -n` takes. */
  readonly node: string;
  /** amqp://guest:guest@127.0.0.1:<port> (guest may log in over loopback). */
  readonly url: string;
  readonly amqpPort: number;
  /** Holds the node's config, data, logs and pid file; removed by stop(). */
  readonly dir: string;
  /** The beam process's PID (it runs as user rabbitmq). */
  readonly pid: number;
  /** `rabbitmqctl stop_app`: the node stays up, AMQP is gone (an outage). */
  stopApp(): Promise<void>;
  /** `rabbitmqctl start_app`, then waits until AMQP answers again. */
  startApp(): Promise<void>;
  /** Stops the node (killing it if it does not stop) and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PrivateRabbitOptions {
  /** Node name prefix; a random suffix is added. Default `ev-sim`. */
  name?: string;
  /** How long to wait for the node to accept AMQP connections. Default 90 s (a loaded machine). */
  startTimeoutMs?: number;
  log?(line: string): void;
}

/** Nodes this process started and has not stopped yet: killed on exit so none outlives us. */
const live = new Map<number, string>();
let exitHook = false;

function hookExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', killLeftovers);
}

function killLeftovers(): void {
  for (const pid of cliRuns) killTree(pid);
  for (const [pid, dir] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

/** rabbitmqctl processes under way: each runs `su rabbitmq -c …` (a new session) and then an Erlang VM. */
const cliRuns = new Set<number>();

/** Kills `pid` and every process below it (found through /proc: su puts them in a session of their own). Synchronous, for exit hooks. */
function killTree(pid: number): void {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc: only the direct child is reachable
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Runs rabbitmqctl against `node` (the local default node when null); killed with its subprocesses on timeout or when we exit. */
export function rabbitmqctl(node: string | null, args: string[], timeoutMs = 60_000): Promise<string> {
  hookExit();
  return new Promise((resolve, reject) => {
    const child = spawn('rabbitmqctl', [...(node ? ['-n', node] : []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const pid = child.pid;
    if (pid) cliRuns.add(pid);
    const timer = setTimeout(() => pid && killTree(pid), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (pid) cliRuns.delete(pid);
      if (code === 0) resolve(out);
      else reject(new Error(`rabbitmqctl ${args.join(' ')} failed (${signal ? `killed after ${timeoutMs} ms` : `exit ${code}`}): ${(err || out).trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

/** A TCP port nobody listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** True when the broker at `url` accepts an AMQP connection within two seconds. */
export async function amqpUp(url: string): Promise<boolean> {
  try {
    const conn = await connect(url, { timeout: 2000 });
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

async function waitForAmqp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await amqpUp(url)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function logTail(dir: string): Promise<string> {
  try {
    const files = (await readdir(join(dir, 'log'))).filter((f) => f.endsWith('.log'));
    const text = (await Promise.all(files.map((f) => readFile(join(dir, 'log', f), 'utf8')))).join('\n');
    return text.split('\n').filter((l) => /error|fail|eaddrinuse/i.test(l)).slice(-5).join(' | ');
  } catch {
    return '';
  }
}

/**
 * Starts a RabbitMQ node of its own on free ports and waits until it accepts AMQP connections.
 * Throws with the reason (and the node's log) when it cannot; nothing is left behind then.
 */
export async function startPrivateRabbit(opts: PrivateRabbitOptions = {}): Promise<PrivateRabbit> {
  const user = userInfo().username;
  if (process.getuid?.() !== 0 && user !== 'rabbitmq') {
    throw new Error(`a private RabbitMQ node runs as user rabbitmq: start ev-sim as root or as rabbitmq (not ${user}), or use the shared broker (csms.broker: shared)`);
  }
  const log = opts.log ?? (() => {});
  const node = `${opts.name ?? 'ev-sim'}-${randomBytes(4).toString('hex')}@localhost`;
  const [amqpPort, distPort] = [await freePort(), await freePort()];
  const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
  const dir = await mkdtemp(join(tmpdir(), 'ev-rabbit-'));
  let pid = 0;
  const cleanup = async (kill: boolean): Promise<void> => {
    if (pid && kill) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    live.delete(pid);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(join(dir, 'enabled_plugins'), '[].\n');
    // Its own listener: /etc/rabbitmq/rabbitmq.conf pins the shared node's to 5672.
    await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${amqpPort}\n`);
    if (user !== 'rabbitmq') {
      const ids = (await exec('id', ['-u', 'rabbitmq'])).stdout.trim();
      const gid = (await exec('id', ['-g', 'rabbitmq'])).stdout.trim();
      for (const f of ['', 'enabled_plugins', 'rabbitmq.conf']) await chown(join(dir, f), Number(ids), Number(gid));
    }
    await chmod(dir, 0o755);
    const env = {
      ...inheritedEnv(),
      // RABBITMQ_NODENAME overrides the NODENAME of /etc/rabbitmq/rabbitmq-env.conf.
      RABBITMQ_NODENAME: node,
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
    };
    log(`private RabbitMQ: starting node ${node} on ${url} (dir ${dir})`);
    await exec('rabbitmq-server', ['-detached'], { env, timeout: 60_000 });
    const timeoutMs = opts.startTimeoutMs ?? 90_000;
    const deadline = Date.now() + timeoutMs;
    while (!pid && Date.now() < deadline) {
      pid = Number((await readFile(join(dir, 'pid'), 'utf8').catch(() => '')).trim()) || 0;
      if (!pid) await new Promise((r) => setTimeout(r, 200));
    }
    if (pid) {
      live.set(pid, dir);
      hookExit();
    }
    if (!pid || !(await waitForAmqp(url, Math.max(1000, deadline - Date.now())))) {
      const why = await logTail(dir);
      throw new Error(`the private RabbitMQ node ${node} did not accept connections within ${Math.round(timeoutMs / 1000)} s${why ? `: ${why}` : ''}`);
    }
  } catch (error) {
    await cleanup(true);
    throw error;
  }
  log(`private RabbitMQ: node ${node} is up (pid ${pid})`);
  let stopped = false;
  return {
    node,
    url,
    amqpPort,
    dir,
    pid,
    async stopApp() {
      await rabbitmqctl(node, ['stop_app']);
    },
    async startApp() {
      await rabbitmqctl(node, ['start_app']);
      if (!(await waitForAmqp(url, 60_000))) throw new Error(`${node}: start_app done but AMQP does not answer on ${url}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // `stop <pidfile>` returns once the process is gone; only a failed stop needs the kill.
      const ok = await rabbitmqctl(node, ['stop', join(dir, 'pid')], 60_000).then(() => true, (error) => {
        log(`private RabbitMQ: rabbitmqctl stop failed (${(error as Error).message.split('\n')[0]}): killing pid ${pid}`);
        return false;
      });
      await cleanup(!ok);
      log(`private RabbitMQ: node ${node} stopped, ${dir} removed`);
    },
  };
}
