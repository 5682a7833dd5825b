/**
 * Comments and docs cite only what is in the repository: no numbered points of notes kept
 * elsewhere, no documents outside it, and every `docs/*.md` they name exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIRS = ['src', 'test', 'bench', 'docs', 'scripts', 'scenarios'];
const TEXT = /\.(ts|tsx|md|yaml|yml|json|css|html)$/;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return TEXT.test(name) ? [path] : [];
  });
}

const all = [...DIRS.flatMap((d) => files(join(ROOT, d))), join(ROOT, 'README.md')];
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

it('cites only docs that exist', () => {
  const missing = all.flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(/\bdocs\/([a-z0-9-]+\.md)/g)]
      .filter((m) => !existsSync(join(ROOT, 'docs', m[1])))
      .map((m) => `${relative(ROOT, path)}: docs/${m[1]}`));
  expect(missing).toEqual([]);
});
