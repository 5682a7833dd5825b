/**
 * How long the CLIs take to start: `ev-sim --help`, `ev-csms --help`, and `ev-csms serve` until its
 * --ready-file appears on an empty database. Each is timed from spawn, median of --runs, next to a
 * floor measured in the same run (`node -e ''`: Node's own start) and, for the helps, the sources
 * run through tsx as bin/ did before dist/cli existed.
 *
 *   npm run build && npm run bench:startup -- --runs 9
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const RUNS = Number(values.runs);

/** Spawns `node args` and resolves with the milliseconds until it exits (or until `ready()` holds, then stops it). */
function timeOnce(args: string[], ready?: () => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    let readyMs: number | null = null;
    const timer = ready
      ? setInterval(() => {
          if (!ready()) return;
          readyMs = performance.now() - started;
          clearInterval(timer);
          child.kill('SIGTERM');
        }, 2)
      : undefined;
    child.once('exit', (code) => {
      clearInterval(timer);
      const ms = ready ? readyMs : code === 0 ? performance.now() - started : null;
      if (ms === null) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The sources through tsx, as bin/*.js ran them before the build: the comparison for the helps. */
const viaTsx = (cli: string, argv: string[]): string[] => [
  '--input-type=module',
  '-e',
  `const { register } = await import('tsx/esm/api'); register(); const { main } = await import('./src/cli/${cli}.ts'); process.exitCode = await main(${JSON.stringify(['node', cli, ...argv])});`,
];

async function serveOnce(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ev-startup-'));
  try {
    const readyFile = join(dir, 'ready.json');
    const args = ['bin/ev-csms.js', 'serve', '--db-path', join(dir, 'csms.db'), '--port', '0', '--ocpp-port', '0', '--host', '127.0.0.1', '--ready-file', readyFile];
    return await timeOnce(args, () => existsSync(readyFile));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases: { name: string; run: () => Promise<number> }[] = [
  { name: "floor: node -e ''", run: () => timeOnce(['-e', '']) },
  { name: 'ev-sim --help', run: () => timeOnce(['bin/ev-sim.js', '--help']) },
  { name: 'ev-csms --help', run: () => timeOnce(['bin/ev-csms.js', '--help']) },
  { name: 'ev-csms serve, until ready (empty database)', run: serveOnce },
  { name: 'ev-sim --help, sources through tsx', run: () => timeOnce(viaTsx('ev-sim', ['--help'])) },
  { name: 'ev-csms --help, sources through tsx', run: () => timeOnce(viaTsx('ev-csms', ['--help'])) },
];

if (!existsSync(join(ROOT, 'dist', 'cli', 'ev-sim.js'))) console.error('dist/cli is missing: bin/ will run the sources through tsx (npm run build first)');
const results = new Map<string, number[]>(cases.map((c) => [c.name, []]));
// Interleaved, so that a burst of load elsewhere on the machine touches every case alike.
for (let i = 0; i < RUNS; i++) for (const c of cases) results.get(c.name)!.push(await c.run());

const floor = median(results.get(cases[0]!.name)!);
console.log(`${RUNS} runs each, node ${process.version}; ms from spawn to exit (serve: to its ready file)\n`);
console.log(`${'case'.padEnd(46)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'÷ floor'.padStart(8)}`);
for (const [name, xs] of results) {
  const m = median(xs);
  console.log(`${name.padEnd(46)} ${m.toFixed(0).padStart(8)} ${Math.min(...xs).toFixed(0).padStart(8)} ${Math.max(...xs).toFixed(0).padStart(8)} ${(m / floor).toFixed(1).padStart(8)}`);
}
