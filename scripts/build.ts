/**
 * `npm run build` (and `prepare`, so `npm install` runs it): the two CLIs compiled to dist/cli, the
 * web pages to dist/web. esbuild bundles each CLI with our sources inlined and the packages left as
 * imports (native better-sqlite3 among them); code that a command loads with `import()` goes to
 * chunks of its own, so `--help` loads little more than commander and the command definitions.
 */
import { readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeWeb } from '../src/csms/web/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const INLINED = new Set(['zod']);
export const CLI_OUT_DIR = join(ROOT, 'dist', 'cli');

/** Compiles bin's two entry points; returns the number of files written. */
export async function buildCli(): Promise<number> {
  // Stamped with the time the build read the sources, so that bin/ sees a source saved during it as newer.
  const started = new Date();
  rmSync(CLI_OUT_DIR, { recursive: true, force: true });
  const result = await build({
    entryPoints: { 'ev-csms': join(ROOT, 'src/cli/ev-csms.ts'), 'ev-sim': join(ROOT, 'src/cli/ev-sim.ts') },
    outdir: CLI_OUT_DIR,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Packages stay imports from node_modules (better-sqlite3 is native; others read files beside
    // them, or are CommonJS, which an ES module bundle cannot inline without a require shim), except
    // zod, which every start loads: inlined, Node no longer resolves and reads its many modules one by one.
    external: Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
      .filter((name) => !INLINED.has(name))
      .flatMap((name) => [name, `${name}/*`]),
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  // A package imported without being in package.json would be inlined, CommonJS or not: refuse it.
  const inlined = Object.keys(result.metafile.inputs).filter((path) => path.includes('node_modules/') && ![...INLINED].some((name) => path.includes(`node_modules/${name}/`)));
  if (inlined.length > 0) throw new Error(`inlined by accident (add the package to package.json): ${inlined.slice(0, 5).join(', ')}`);
  const files = Object.keys(result.metafile.outputs);
  for (const entry of ['ev-csms.js', 'ev-sim.js']) utimesSync(join(CLI_OUT_DIR, entry), started, started);
  return files.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const cli = await buildCli();
  const web = await writeWeb();
  console.log(`built: ${cli} files in dist/cli, ${web} in dist/web (${Math.round(performance.now() - started)} ms)`);
}
