import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultReportDir, renderHtml, writeReports } from '../../../src/simulator/report/index.ts';
import { aReconciliation, aRunResult, aSnapshot, aThreshold } from './builders.ts';

describe('renderHtml', () => {
  it('is one self-contained file: inline style and SVG, no script, no external reference', () => {
    const html = renderHtml(aRunResult());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href|xlink:href)\s*=/i);
    // The only http text is the target URL, shown as text inside <code>.
    const httpMentions = html.match(/https?:\/\/[^\s<"]+/g) ?? [];
    expect(httpMentions.every((u) => u.startsWith('http://127.0.0.1:40001'))).toBe(true);
  });

  it('draws latency over time and percentile distributions as well-formed inline SVG', () => {
    const html = renderHtml(aRunResult());
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    // rates + (over time, distribution) for each of ocpp, ocpp.in, rest, notify
    expect(svgs).toHaveLength(9);
    for (const svg of svgs) expect(XMLValidator.validate(svg)).toBe(true);
    const notifyOverTime = svgs.find((s) => s.includes('Notifications, end to end: p99'))!;
    expect(notifyOverTime).toContain('<title>notify.meter.values p99</title>');
    expect(notifyOverTime).toContain('<title>notify.meter.values p50</title>');
    const notifyDist = svgs.find((s) => s.includes('Notifications, end to end: latency by percentile'))!;
    expect(notifyDist).toContain('p99.9');
    expect(notifyDist.match(/<path /g)).toHaveLength(2);
  });

  it('shows the thresholds table, fleet, isolation and leaks, escaping what it prints', () => {
    const html = renderHtml(
      aRunResult({
        scenario: { name: '<b>x</b>', file: null, seed: 7 },
        thresholds: [aThreshold({ expression: 'rest.GET /a?x=1&y=2 p99 < 5ms', ok: false, value: 9.25, message: 'p99 = 9.25 ms, limit < 5 ms' })],
        final: aSnapshot({ isolation: { leaks: 1, recent: [{ customerId: 12, type: 'session.updated', ids: { sessionId: 99 }, at: Date.parse('2025-05-01T10:00:10Z') }] } }),
      }),
    );
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('<td class="bad">✗</td><td><code>rest.GET /a?x=1&amp;y=2 p99 &lt; 5ms</code></td><td class="num">9.25</td>');
    expect(html).toContain('Thresholds: 0/1 held');
    expect(html).toContain('1 leak(s)');
    expect(html).toContain('{&quot;sessionId&quot;:99}');
    expect(html).toMatch(/chargers<b>50<\/b><span class="muted">38 available, 12 charging/);
  });

  it('shows the reconciliation: the three figures and the findings', () => {
    const html = renderHtml(aRunResult({ final: aSnapshot({ phase: 'done', reconciliation: aReconciliation() }) }));
    expect(html).toContain('<h2>Reconciliation</h2>');
    expect(html).toMatch(/<code>ocpp\.acked_lost<\/code><b class="bad">1<\/b>/);
    expect(html).toMatch(/<code>billing\.mismatches<\/code><b class="">0<\/b>/);
    expect(html).toContain('<li>session 7 on SIM-0003 is still active</li>');
    expect(renderHtml(aRunResult())).toContain('not run: the target could not be read');
  });

  it('says "no data" instead of drawing an empty chart', () => {
    const html = renderHtml(aRunResult({ timeline: [] }));
    expect(html).toContain('>no data</text>');
  });
});

describe('writeReports', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('writes report.json (the RunResult), junit.xml and report.html into a new directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ev-report-'));
    dirs.push(root);
    const result = aRunResult();
    const paths = await writeReports(result, join(root, 'nested', 'run'));
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(result);
    expect(readFileSync(paths.junit, 'utf8')).toContain('<testsuite ');
    expect(readFileSync(paths.html, 'utf8')).toContain('<svg');
  });

  it('names the default directory after the scenario and the UTC time', () => {
    expect(defaultReportDir('Smoke 50 / fast', new Date('2025-05-01T10:02:03.456Z'))).toBe(join('reports', 'smoke-50-fast-20250501-100203'));
  });
});
