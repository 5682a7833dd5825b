/**
 * Comments and docs cite only what is in the repository: no numbered points of notes kept
 * elsewhere, no documents outside it, no numbered issues of a tracker (outside it too: a comment
 * states the reason itself), and every `docs/*.md` they name exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIRS = ['src', 'test', 'bench', 'docs', 'scripts', 'scenarios', 'bin'];
const TEXT = /\.(ts|tsx|js|mjs|cjs|sh|md|yaml|yml|json|css|html)$/;
/** The configuration files at the root (eslint.config.js, vitest.config.ts, …) and the Dockerfile. */
const ROOT_FILES = readdirSync(ROOT).filter((name) => /\.config\.(js|ts|mjs)$|^Dockerfile/.test(name));

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return TEXT.test(name) ? [path] : [];
  });
}

const code = [...DIRS.flatMap((d) => files(join(ROOT, d))), ...ROOT_FILES.map((name) => join(ROOT, name))];
const all = [...code, join(ROOT, 'README.md')];
// Spelled in pieces so that this file does not match itself.
const outside = [
  new RegExp(['design', 'points?\\s+\\d'].join(' '), 'i'),
  new RegExp(['design', 'notes'].join(' '), 'i'),
  new RegExp(['PERFORMANCE', 'md'].join('\\.')),
  new RegExp(['OCPP16', 'md'].join('\\.')),
  new RegExp(['STYLE', 'md'].join('\\.')),
  new RegExp(['\\.\\./shared/', '[A-Z]+\\.md'].join('')),
  new RegExp(['seed', '(notes|design)'].join(' '), 'i'),
];

it('cites nothing kept outside the repository', () => {
  const hits = all.flatMap((path) =>
    readFileSync(path, 'utf8').split('\n').flatMap((line, i) =>
      outside.some((re) => re.test(line)) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`] : []));
  expect(hits).toEqual([]);
});

// An issue number means nothing without the tracker, which is not in the repository. The README may
// still tell the project's history; the code, tests, scenarios, scripts and docs say why, not where.
const issue = new RegExp(['\\bissues?', '#?\\d+\\b'].join('\\s+'), 'i');

it('cites no numbered issue in code, tests, scenarios, scripts or docs', () => {
  // Spelled in pieces, like the patterns above.
  expect([['issue', '9'], ['Issue', '#12'], ['issues', '3']].map((p) => issue.test(`(${p.join(' ')})`))).toEqual([true, true, true]);
  expect(issue.test('parsed.error.issues.flatMap((issue) => toErrors(issue, doc, 1))')).toBe(false);
  const scanned = code.map((path) => relative(ROOT, path));
  expect(scanned).toEqual(expect.arrayContaining(['eslint.config.js', 'vitest.config.ts', 'bin/ev-sim.js', 'scripts/test-under-load.sh']));
  const hits = code.flatMap((path) =>
    readFileSync(path, 'utf8').split('\n').flatMap((line, i) =>
      issue.test(line) ? [`${relative(ROOT, path)}:${i + 1}: ${line.trim()}`] : []));
  expect(hits).toEqual([]);
});

it('cites only docs that exist', () => {
  const missing = all.flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(/\bdocs\/([a-z0-9-]+\.md)/g)]
      .filter((m) => !existsSync(join(ROOT, 'docs', m[1])))
      .map((m) => `${relative(ROOT, path)}: docs/${m[1]}`));
  expect(missing).toEqual([]);
});
