/**
 * Bundles the web pages (user panel and CMS) with esbuild. `npm install` runs it through the
 * `prepare` script (scripts/build.ts) and writes `dist/web/`; `loadWebAssets` serves that build, or
 * bundles in memory when it is missing or older than the sources (an install with --ignore-scripts,
 * a source edit).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory above this module with a package.json: the same from src/csms/web/ and from the compiled dist/cli/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const ROOT = packageRoot();
const SOURCE_DIR = join(ROOT, 'src', 'csms', 'web');
export const DEFAULT_OUT_DIR = join(ROOT, 'dist', 'web');

/** The two apps: URL prefix, entry point and page title. */
const APPS = [
  { name: 'app', entry: 'app/main.tsx', title: 'ev-csms · Charging' },
  { name: 'cms', entry: 'cms/main.tsx', title: 'ev-csms · CMS' },
] as const;

export interface WebAsset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Path below the mount point (`app/app.js`, `cms/index.html`) → asset. */
export type WebAssets = Map<string, WebAsset>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

function html(app: (typeof APPS)[number]): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${app.title}</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath fill='%2316a34a' d='M9 0 2 9h5l-1 7 7-9H8z'/%3E%3C/svg%3E">
<link rel="stylesheet" href="main.css">
</head>
<body>
<div id="root"></div>
<script type="module" src="main.js"></script>
</body>
</html>
`;
}

function asset(path: string, body: Buffer): [string, WebAsset] {
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
  return [path, { body, type: TYPES[extname(path)] ?? 'application/octet-stream', etag }];
}

/** 0 when the sources are absent (an install of the build alone): then dist/web is served as it is. */
function newestSourceMtime(dir = SOURCE_DIR): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (/\.(tsx?|css)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Bundles both apps; returns every output file by its path below the mount point. */
export async function bundleWeb(): Promise<WebAssets> {
  // A build-time tool (a devDependency): an install of the build alone serves dist/web and never gets here.
  const { build } = await import('esbuild').catch((err: unknown) => {
    throw new Error(`dist/web is missing or older than src/csms/web, and esbuild is not installed to bundle the pages: run \`npm run build\` (${(err as Error).message})`);
  });
  const assets: WebAssets = new Map();
  for (const app of APPS) {
    const result = await build({
      entryPoints: { main: join(SOURCE_DIR, app.entry) },
      bundle: true,
      format: 'esm',
      target: ['chrome110', 'firefox110', 'safari16'],
      minify: true,
      sourcemap: 'linked',
      write: false,
      outdir: join(SOURCE_DIR, '__out__', app.name),
      logLevel: 'silent',
      legalComments: 'none',
    });
    for (const file of result.outputFiles) {
      const path = relative(join(SOURCE_DIR, '__out__'), file.path).split('\\').join('/');
      assets.set(...asset(path, Buffer.from(file.contents)));
    }
    assets.set(...asset(`${app.name}/index.html`, Buffer.from(html(app))));
  }
  return assets;
}

/** Writes a fresh bundle to `outDir` (the `prepare` script). */
export async function writeWeb(outDir = DEFAULT_OUT_DIR): Promise<number> {
  const assets = await bundleWeb();
  rmSync(outDir, { recursive: true, force: true });
  for (const [path, { body }] of assets) {
    mkdirSync(dirname(join(outDir, path)), { recursive: true });
    writeFileSync(join(outDir, path), body);
  }
  return assets.size;
}

function readDir(root: string, dir = root, into: WebAssets = new Map()): WebAssets {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readDir(root, path, into);
    else into.set(...asset(relative(root, path).split('\\').join('/'), readFileSync(path)));
  }
  return into;
}

/**
 * The pages to serve: `outDir` when it is complete and newer than every source file, else a fresh
 * in-memory bundle (so a server never serves pages older than its code). `built` says which.
 */
export async function loadWebAssets(outDir = DEFAULT_OUT_DIR): Promise<{ assets: WebAssets; built: boolean }> {
  const sourceMtime = newestSourceMtime();
  const complete = APPS.every((app) => existsSync(join(outDir, app.name, 'main.js')));
  if (complete && statSync(join(outDir, APPS[0].name, 'main.js')).mtimeMs >= sourceMtime) {
    return { assets: readDir(outDir), built: false };
  }
  // A process that starts several servers (tests, the simulator's restarts) bundles once per source state.
  if (inMemory?.sourceMtime !== sourceMtime) {
    const assets = bundleWeb();
    inMemory = { sourceMtime, assets };
    assets.catch(() => {
      if (inMemory?.assets === assets) inMemory = null; // a failed bundle is not kept: the next start tries again
    });
  }
  return { assets: await inMemory.assets, built: true };
}

let inMemory: { sourceMtime: number; assets: Promise<WebAssets> } | null = null;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const count = await writeWeb();
  console.log(`web pages bundled: ${count} files in ${relative(process.cwd(), DEFAULT_OUT_DIR) || '.'} (${Math.round(performance.now() - started)} ms)`);
}
