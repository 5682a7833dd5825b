/** The pieces of a Local Authorization List within a charger's limits (E2 §9.1, §9.3). */
import { expect, it } from 'vitest';
import { chunks, limitsFrom } from '../../../src/csms/domain/local-list.ts';

it('limits from a GetConfiguration answer: missing, unknown or malformed keys are no limit', () => {
  expect(limitsFrom({ configurationKey: [{ key: 'SendLocalListMaxLength', readonly: true, value: '3' }, { key: 'LocalAuthListMaxLength', readonly: true, value: '5' }] })).toEqual({ perMessage: 3, held: 5 });
  expect(limitsFrom({ configurationKey: [{ key: 'SendLocalListMaxLength', readonly: true, value: 'many' }], unknownKey: ['LocalAuthListMaxLength'] })).toEqual({ perMessage: Infinity, held: Infinity });
  expect(limitsFrom({ configurationKey: [{ key: 'LocalAuthListMaxLength', readonly: true, value: '0' }] })).toEqual({ perMessage: Infinity, held: Infinity });
  expect(limitsFrom({})).toEqual({ perMessage: Infinity, held: Infinity });
});

it('chunks: pieces of at most the size, in order; one empty piece for none (an empty Full still empties the list)', () => {
  expect(chunks([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  expect(chunks([1, 2], Infinity)).toEqual([[1, 2]]);
  expect(chunks([], 3)).toEqual([[]]);
});
