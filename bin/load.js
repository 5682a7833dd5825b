// Picks what bin/ev-csms.js and bin/ev-sim.js run: the compiled CLI in dist/cli (`npm run build`,
// which `npm install` runs as `prepare`), or the TypeScript sources through tsx when that build is
// missing or older than a file under src/ (a checkout being edited: no rebuild between an edit and a run).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Newest mtime of a file or directory below `dir` (a directory's changes when a file is added or removed). */
function newestMtime(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// `ev-sim --help | head`: a reader that stops reading is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** The CLI module `name` (`ev-csms`, `ev-sim`): its `main(argv)` returns the exit code. */
export async function loadCli(name) {
  const compiled = join(ROOT, 'dist', 'cli', `${name}.js`);
  const sources = join(ROOT, 'src');
  const builtAt = existsSync(compiled) ? statSync(compiled).mtimeMs : null;
  // An install without sources (the Docker image) has only the build.
  if (builtAt !== null && (!existsSync(sources) || newestMtime(sources) <= builtAt)) return import(pathToFileURL(compiled).href);
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    if (builtAt !== null) return import(pathToFileURL(compiled).href); // tsx not installed (--omit=dev): the older build
    throw new Error(`${name}: no build in dist/cli and no tsx to run the sources; run \`npm run build\``, { cause: err });
  }
  register();
  return import(pathToFileURL(join(sources, 'cli', `${name}.ts`)).href);
}
