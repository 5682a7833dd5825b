import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../../src/csms/domain/errors.ts';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

/** Table rows of docs/errors.md: code → HTTP status as documented. */
function documented(): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\|\s*`(CSMS_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|/gm)) rows.set(m[1], Number(m[2]));
  return rows;
}

describe('docs/errors.md', () => {
  it('documents every code in ERRORS with its HTTP status', () => {
    const rows = documented();
    const missing = Object.keys(ERRORS).filter((code) => !rows.has(code));
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    const wrong = Object.entries(ERRORS).filter(([code, e]) => rows.get(code) !== e.status).map(([code]) => code);
    expect(wrong, 'codes documented with the wrong status').toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const stale = [...documented().keys()].filter((code) => !(code in ERRORS));
    expect(stale).toEqual([]);
  });
});
