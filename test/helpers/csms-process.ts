/**
 * `ev-csms serve` as a real child process, for tests that kill it (SIGKILL is the point: nothing
 * in the process gets a chance to clean up). It listens on free ports, on a database file the test
 * owns, and is found again through the URLs its banner prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/ev-csms.js', import.meta.url));
export const PROCESS_ADMIN = { email: 'admin@crash.test', password: 'admin-password' };

export interface CsmsProcess {
  child: ChildProcess;
  pid: number;
  httpUrl: string;
  ocppUrl: string;
  /** What it printed, both streams. */
  output(): string;
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

export interface SpawnOptions {
  /** Starts the process some other way than a plain spawn: inside a network namespace (test/helpers/netns.ts's `exec`). */
  launch?: (cmd: string, args: string[], env: NodeJS.ProcessEnv) => ChildProcess;
  /** Added to the environment (RABBITMQ_URL, DATABASE_URL, NODE_ID, …). */
  env?: Record<string, string>;
  /** The address the test reaches the process at, in place of the host its banner prints (which may be 0.0.0.0). */
  address?: string;
}

/**
 * Starts `ev-csms serve` on `dbPath` (null: none on the command line, the store comes from `opts.env`)
 * with `flags` (kebab-case, as on the command line; they replace the defaults of the same name).
 */
export async function spawnCsms(dbPath: string | null, flags: Record<string, string | number | boolean> = {}, opts: SpawnOptions = {}): Promise<CsmsProcess> {
  const options: Record<string, string | number | boolean> = {
    host: '127.0.0.1', port: 0, 'ocpp-port': 0, ...(dbPath !== null && { 'db-path': dbPath }), 'log-level': 'warn',
    'jwt-secret': 'crash-test-secret-crash-test', 'admin-email': PROCESS_ADMIN.email, 'admin-password': PROCESS_ADMIN.password,
    'ocpp-ping-interval-s': 0, ...flags,
  };
  const args = [BIN, 'serve'];
  for (const [k, v] of Object.entries(options)) args.push(`--${k}`, String(v));
  const env = { ...process.env, CI: process.env.CI ?? '', ...opts.env };
  const child = opts.launch ? opts.launch(process.execPath, args, env) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    running.delete(child);
    resolve();
  }));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const http = /REST API\s+(http:\/\/\S+)\/api/.exec(out);
    const ocpp = /OCPP 1\.6J\s+(ws:\/\/\S+\/ocpp)\//.exec(out);
    if (http && ocpp) {
      return {
        child,
        pid: child.pid!,
        httpUrl: opts.address ? withHost(http[1], opts.address) : http[1],
        ocppUrl: opts.address ? withHost(ocpp[1], opts.address) : ocpp[1],
        output: () => out,
        async kill(signal) {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`ev-csms did not start (exit ${child.exitCode}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function withHost(url: string, host: string): string {
  const u = new URL(url);
  u.hostname = host;
  return u.toString().replace(/\/$/, '');
}

/** Kills every process spawnCsms started that is still running (for afterEach). */
export async function killAllCsms(): Promise<void> {
  await Promise.all([...running].map((c) => new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  })));
}

/** An admin token for a process's REST API. */
export async function adminToken(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PROCESS_ADMIN) });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
