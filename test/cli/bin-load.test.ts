// bin/load.js decides what `ev-sim` and `ev-csms` run: the build in dist/cli when it is at least as new
// as every file under src/, the sources through tsx otherwise, the build alone where there are no
// sources (the Docker image). Each case runs the real bin/ev-sim.js in a copy of the package layout
// whose dist/ and src/ hold a one-line CLI that says which one ran.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ev-bin-'));
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function cli(relPath: string, said: string, mtimeS: number): void {
  const path = join(root, relPath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `export async function main(argv) { process.stdout.write(${JSON.stringify(said)} + ' ' + argv.slice(2).join(' ')); return 3; }\n`);
  utimesSync(path, mtimeS, mtimeS);
  utimesSync(join(path, '..'), mtimeS, mtimeS);
}

function withTsx(): void {
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
}

function run(args: string[], shell?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const [file, argv] = shell ? ['/bin/bash', ['-c', `set -o pipefail; ${shell}`]] : [process.execPath, [join(root, 'bin', 'ev-sim.js'), ...args]];
    execFile(file, argv, { cwd: root, timeout: 60_000 }, (error, out, err) => done({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });
}

const OLD = 1_700_000_000;
const NEW = OLD + 60;

describe('bin/load.js', () => {
  it('runs the build when it is newer than every source file, and passes argv and the exit code through', async () => {
    withTsx();
    cli('src/cli/ev-sim.ts', 'sources', OLD);
    utimesSync(join(root, 'src'), OLD, OLD);
    cli('dist/cli/ev-sim.js', 'build', NEW);
    expect(await run(['validate', 'x.yaml'])).toMatchObject({ code: 3, out: 'build validate x.yaml' });
  });

  it('runs the sources through tsx when a source file is newer than the build', async () => {
    withTsx();
    cli('dist/cli/ev-sim.js', 'build', OLD);
    cli('src/cli/ev-sim.ts', 'sources', NEW);
    utimesSync(join(root, 'src'), OLD, OLD);
    expect(await run(['--help'])).toMatchObject({ code: 3, out: 'sources --help' });
  });

  it('runs the build where there are no sources (the Docker image)', async () => {
    cli('dist/cli/ev-sim.js', 'build', OLD);
    expect(await run([])).toMatchObject({ code: 3, out: 'build ' });
  });

  it('falls back to an older build when tsx is not installed (npm ci --omit=dev)', async () => {
    cli('dist/cli/ev-sim.js', 'build', OLD);
    cli('src/cli/ev-sim.ts', 'sources', NEW);
    expect(await run([])).toMatchObject({ code: 3, out: 'build ' });
  });

  it('says what to do when there is neither a build nor tsx', async () => {
    cli('src/cli/ev-sim.ts', 'sources', NEW);
    const result = await run([]);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('ev-sim: no build in dist/cli and no tsx to run the sources; run `npm run build`');
  });

  it('ends quietly when the reader of its output goes away (ev-sim --help | head -1)', async () => {
    const path = join(root, 'dist/cli/ev-sim.js');
    mkdirSync(join(path, '..'), { recursive: true });
    // Far more than a pipe buffer, written after the reader has gone.
    writeFileSync(path, `export async function main() { await new Promise((r) => setTimeout(r, 200)); for (let i = 0; i < 2000; i++) process.stdout.write('line '.repeat(40) + '\\n'); return 0; }\n`);
    const result = await run([], 'node bin/ev-sim.js | head -c 10 >/dev/null');
    expect(result.err).not.toMatch(/EPIPE|Error/);
    expect(result.code).toBe(0);
  });
});
