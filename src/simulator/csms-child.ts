/**
 * The embedded CSMS as a child process (`ev-csms serve`), so that chaos can `kill -9` it as an
 * operator's crash would, and so the load generator does not share its event loop. Its ports come
 * from `--ready-file` (not from the human banner); stdout and stderr go to a log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_NAMES, kebab, type CsmsConfig } from '../csms/config.ts';
import { inheritedEnv } from './config.ts';

/** The nearest directory above this module with a package.json: the same from src/simulator/ and from the compiled dist/cli/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const BIN = join(packageRoot(), 'bin', 'ev-csms.js');

/** What `ev-csms serve --ready-file` writes once it listens. */
export interface ChildReady {
  pid: number;
  nodeId: string;
  mode: 'embedded' | 'rabbitmq';
  httpUrl: string;
  ocppUrl: string;
  httpPort: number;
  ocppPort: number;
}

export interface CsmsChild {
  /** The running process's PID, null while none runs. */
  readonly pid: number | null;
  /** Spawns `ev-csms serve` with `config` and resolves once it listens. Throws (with its log's tail) if it exits or times out first. */
  start(config: CsmsConfig): Promise<ChildReady>;
  /** Ends the process: SIGTERM (graceful, SIGKILL after `graceMs`) or SIGKILL at once. */
  stop(signal: 'TERM' | 'KILL', graceMs?: number): Promise<void>;
  /** Called when the process exits while nobody asked it to. */
  onUnexpectedExit(listener: (reason: string) => void): void;
}

/** The last `bytes` of a file as lines, for an error message. */
export function tailOf(file: string, bytes = 2000): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8').split('\n').filter((l) => l.trim()).slice(-8).join('\n');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** `--key value` for every set config key: the child gets exactly the config the in-process target would. */
export function configFlags(config: CsmsConfig): string[] {
  const flags: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    flags.push(`--${kebab(key)}`, String(value));
  }
  return flags;
}

/** A child CSMS that logs to `logFile` and signals readiness through `readyFile`. */
export function createCsmsChild(opts: { logFile: string; readyFile: string; startTimeoutMs?: number }): CsmsChild {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let expected = true;
  let starts = 0;
  const listeners: ((reason: string) => void)[] = [];
  // The config comes from flags alone: a CSMS variable in ev-sim's environment must not change it.
  const env = inheritedEnv();
  for (const name of Object.values(ENV_NAMES)) delete env[name];

  const killOnExit = (): void => {
    try {
      child?.kill('SIGKILL');
    } catch {
      // gone
    }
  };

  const describe = (code: number | null, signal: NodeJS.Signals | null): string => (signal ? `signal ${signal}` : `exit code ${code}`);

  return {
    get pid() {
      return child?.pid ?? null;
    },

    async start(config) {
      await rm(opts.readyFile, { force: true });
      // A new run starts a new log; restarts append, each under a line that says when.
      // O_APPEND for the child too: our marker lines and its output interleave without overwriting.
      if (starts++ === 0) writeFileSync(opts.logFile, '');
      const log = openSync(opts.logFile, 'a');
      writeSync(log, `--- ev-sim: starting ev-csms serve${starts > 1 ? ` again (start ${starts})` : ''} at ${new Date().toISOString()} ---\n`);
      const proc = spawn(process.execPath, [BIN, 'serve', ...configFlags(config), '--ready-file', opts.readyFile], { env, stdio: ['ignore', log, log] });
      closeSync(log);
      child = proc;
      // Until it is ready, an exit is start()'s failure, not an unexpected one.
      expected = true;
      process.on('exit', killOnExit);
      const state: { exitInfo: string | null } = { exitInfo: null };
      exited = new Promise<void>((resolve) => {
        proc.once('exit', (code, signal) => {
          state.exitInfo = describe(code, signal);
          process.off('exit', killOnExit);
          if (child === proc) child = null;
          if (!expected) {
            const tail = tailOf(opts.logFile);
            for (const l of listeners) l(`the CSMS child process (pid ${proc.pid}) exited unexpectedly (${state.exitInfo}); log ${opts.logFile}${tail ? `, last lines:\n${tail}` : ''}`);
          }
          resolve();
        });
      });
      proc.once('error', (error) => {
        state.exitInfo = `could not spawn: ${error.message}`;
      });
      const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
      while (Date.now() < deadline) {
        const text = await readFile(opts.readyFile, 'utf8').catch(() => null);
        if (text && !state.exitInfo) {
          expected = false;
          return JSON.parse(text) as ChildReady;
        }
        if (state.exitInfo) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!state.exitInfo) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`ev-csms serve (pid ${proc.pid}) did not report ready within ${Math.round((opts.startTimeoutMs ?? 60_000) / 1000)} s; log ${opts.logFile}`);
      }
      const tail = tailOf(opts.logFile);
      throw new Error(`ev-csms serve (pid ${proc.pid}) exited before it was ready (${state.exitInfo})${tail ? `:\n${tail}` : ''}`);
    },

    async stop(signal, graceMs = 15_000) {
      const proc = child;
      expected = true;
      if (!proc) return;
      appendFileSync(opts.logFile, `--- ev-sim: SIG${signal} to pid ${proc.pid} at ${new Date().toISOString()} ---\n`);
      proc.kill(signal === 'KILL' ? 'SIGKILL' : 'SIGTERM');
      if (signal === 'TERM') {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)));
        const tooLate = await Promise.race([exited.then(() => false), late]);
        clearTimeout(timer);
        if (tooLate) proc.kill('SIGKILL');
      }
      await exited;
    },

    onUnexpectedExit(listener) {
      listeners.push(listener);
    },
  };
}
