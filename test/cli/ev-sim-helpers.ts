/** Spawns bin/ev-sim.js for a CLI test: the real process, stdout is a pipe (so no ink dashboard). */
import { spawn } from 'node:child_process';

const BIN = new URL('../../bin/ev-sim.js', import.meta.url).pathname;

export function evSim(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return { child, exited, out: () => stdout, err: () => stderr };
}
