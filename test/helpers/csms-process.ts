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

/** Starts `ev-csms serve` on `dbPath` with `flags` (kebab-case, as on the command line). */
export async function spawnCsms(dbPath: string, flags: Record<string, string | number | boolean> = {}): Promise<CsmsProcess> {
  const args = [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--ocpp-port', '0', '--db-path', dbPath, '--log-level', 'warn',
    '--jwt-secret', 'crash-test-secret-crash-test', '--admin-email', PROCESS_ADMIN.email, '--admin-password', PROCESS_ADMIN.password,
    '--ocpp-ping-interval-s', '0'];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, String(v));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: process.env.CI ?? '' } });
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
        httpUrl: http[1],
        ocppUrl: ocpp[1],
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
