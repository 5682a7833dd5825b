import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/simulator/report/index.ts';
import { aReconciliation, aRunResult, aSnapshot, aThreshold } from './builders.ts';

interface Case { '@_name': string; '@_classname': string; failure?: { '@_message': string; '#text': string }; skipped?: { '@_message': string } }

function parse(xml: string) {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testcase' || name === 'testsuite' }).parse(xml);
  const suites = doc.testsuites.testsuite as Record<string, unknown>[];
  return { root: doc.testsuites as Record<string, string>, suites, cases: (suites[0].testcase ?? []) as Case[] };
}

describe('renderJunit', () => {
  it('is well-formed with one testsuite and one testcase per threshold', () => {
    const result = aRunResult();
    const { suites, cases, root } = parse(renderJunit(result));
    expect(suites).toHaveLength(1);
    expect(cases.map((c) => c['@_name'])).toEqual(result.thresholds.map((t) => t.expression));
    expect(cases.every((c) => c.failure === undefined)).toBe(true);
    expect(root['@_tests']).toBe('3');
    expect(root['@_failures']).toBe('0');
    expect(suites[0]['@_timestamp']).toBe('2025-05-01T10:00:00');
  });

  it('gives a failing threshold a failure whose message holds the measured value and the limit', () => {
    const result = aRunResult({
      thresholds: [
        aThreshold({ expression: 'ocpp.StartTransaction.p99 < 200ms', ok: false, value: 231, message: 'ocpp.StartTransaction.p99 = 231 ms, limit < 200 ms' }),
        aThreshold({ expression: 'notify.lost <= 0', ok: false, value: 4, message: 'lost 4 notifications' }),
        aThreshold({ expression: 'rest.GET /api/user/stations.p95 < 50ms', ok: null, value: null, message: 'no requests yet' }),
      ],
    });
    const { cases, suites } = parse(renderJunit(result));
    expect(cases).toHaveLength(3);
    expect(cases[0].failure?.['@_message']).toContain('231');
    expect(cases[0].failure?.['@_message']).toContain('200');
    // A message without the limit gets the expression (which holds it) and the value appended.
    expect(cases[1].failure?.['@_message']).toContain('measured 4');
    expect(cases[1].failure?.['@_message']).toContain('notify.lost <= 0');
    expect(cases[2].skipped?.['@_message']).toContain('not enough data');
    expect(suites[0]['@_failures']).toBe('2');
    expect(suites[0]['@_skipped']).toBe('1');
  });

  it('escapes what XML cannot hold as is', () => {
    const nasty = 'rest.GET /api/x?a=1&b=<2> "q" \'s\' \u0007';
    const result = aRunResult({ scenario: { name: 'a&b <c>', file: null, seed: 1 }, thresholds: [aThreshold({ expression: nasty, ok: false, value: 3, message: `${nasty} = 3, limit < 2` })] });
    const { cases, suites } = parse(renderJunit(result));
    // The parser decodes the entities: the round trip gives the text back, less the BEL XML forbids.
    expect(cases[0]['@_name'].trim()).toBe('rest.GET /api/x?a=1&b=<2> "q" \'s\'');
    expect(suites[0]['@_name']).toBe('ev-sim.a&b <c>');
  });

  it('adds a failing generator testcase on overload and an infrastructure one on exit 3', () => {
    const overloaded = aRunResult({ exitCode: 3, reason: 'generator overloaded', final: aSnapshot({ generator: { overloaded: true, reason: 'event loop p99 300 ms' } }) });
    const a = parse(renderJunit(overloaded));
    expect(a.cases).toHaveLength(overloaded.thresholds.length + 1);
    expect(a.cases.at(-1)?.['@_name']).toBe('generator');
    expect(a.cases.at(-1)?.failure?.['@_message']).toContain('event loop p99 300 ms');

    const infra = aRunResult({ exitCode: 3, reason: 'CSMS unreachable: ECONNREFUSED' });
    const b = parse(renderJunit(infra));
    expect(b.cases.at(-1)?.['@_name']).toBe('infrastructure');
    expect(b.cases.at(-1)?.failure?.['@_message']).toBe('CSMS unreachable: ECONNREFUSED');
    expect(b.root['@_failures']).toBe('1');
  });

  it('carries the reconciliation figures as properties and its findings in system-out', () => {
    const xml = renderJunit(aRunResult({ final: aSnapshot({ phase: 'done', reconciliation: aReconciliation() }) }));
    const { suites } = parse(xml);
    const props = (suites[0].properties as { property: { '@_name': string; '@_value': string }[] }).property;
    expect(Object.fromEntries(props.map((p) => [p['@_name'], p['@_value']]))).toMatchObject({ 'ocpp.acked_lost': '1', 'sessions.stuck': '1', 'billing.mismatches': '0' });
    expect(String(suites[0]['system-out'])).toContain('reconciliation: session 7 on SIM-0003 is still active');
  });
});
