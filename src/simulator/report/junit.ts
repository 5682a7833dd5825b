/**
 * junit.xml for CI: one testsuite, one testcase per threshold. A generator overload or an
 * infrastructure failure adds one failing testcase (`generator` / `infrastructure`), so the CI view
 * shows why a run is inconclusive rather than passing it silently.
 */
import type { RunResult, ThresholdState } from '../types.ts';
import { escapeXml } from './xml.ts';

const attr = (name: string, value: unknown) => `${name}="${escapeXml(value)}"`;

/** Renders the RunResult as JUnit XML (the Ant/Jenkins dialect GitLab, GitHub and Jenkins all read). */
export function renderJunit(result: RunResult): string {
  const suite = `ev-sim.${result.scenario.name}`;
  const cases = result.thresholds.map((t) => thresholdCase(suite, t));
  const extra = extraFailure(result);
  if (extra) cases.push(`    <testcase ${attr('classname', suite)} ${attr('name', extra.name)} time="0">\n      <failure ${attr('message', extra.message)} ${attr('type', extra.name)}>${escapeXml(extra.message)}</failure>\n    </testcase>`);
  const failures = result.thresholds.filter((t) => t.ok === false).length + (extra ? 1 : 0);
  const skipped = result.thresholds.filter((t) => t.ok === null).length;
  const tests = cases.length;
  const time = result.durationS.toFixed(3);
  const props = [
    ['scenario', result.scenario.name],
    ['scenario.file', result.scenario.file ?? ''],
    ['seed', result.scenario.seed],
    ['target', `${result.final.target.kind} ${result.final.target.httpUrl}`],
    ['exitCode', result.exitCode],
    ['reason', result.reason],
    // The reconciliation's figures, whether or not a threshold names them.
    ...(result.final.reconciliation
      ? [['ocpp.acked_lost', result.final.reconciliation.ackedLost], ['sessions.stuck', result.final.reconciliation.sessionsStuck], ['billing.mismatches', result.final.reconciliation.billingMismatches], ['billing.negative_balances', result.final.reconciliation.negativeBalances]]
      : []),
  ]
    .map(([n, v]) => `      <property ${attr('name', n)} ${attr('value', v)}/>`)
    .join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attr('name', 'ev-sim')} ${attr('tests', tests)} ${attr('failures', failures)} errors="0" ${attr('skipped', skipped)} ${attr('time', time)}>`,
    // JUnit's timestamp is ISO 8601 without a zone (the XSD type); the report's times are UTC.
    `  <testsuite ${attr('name', suite)} ${attr('tests', tests)} ${attr('failures', failures)} errors="0" ${attr('skipped', skipped)} ${attr('time', time)} ${attr('timestamp', result.startedAt.replace(/(\.\d+)?Z$/, ''))} hostname="localhost">`,
    '    <properties>',
    props,
    '    </properties>',
    ...cases,
    `    <system-out>${escapeXml(`${result.reason}\n${(result.final.reconciliation?.findings ?? []).map((f) => `reconciliation: ${f}\n`).join('')}`)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function thresholdCase(suite: string, t: ThresholdState): string {
  const open = `    <testcase ${attr('classname', `${suite}.thresholds`)} ${attr('name', t.expression)} time="0"`;
  if (t.ok === true) return `${open}/>`;
  if (t.ok === null) return `${open}>\n      <skipped ${attr('message', `not enough data to judge: ${t.message}`)}/>\n    </testcase>`;
  const measured = t.value === null ? 'no value' : String(t.value);
  // The engine's line normally names value and limit; when it does not, the expression carries the limit.
  const message = t.message.includes('limit') && t.value !== null ? t.message : `${t.message} (measured ${measured}; threshold ${t.expression})`;
  return `${open}>\n      <failure ${attr('message', message)} type="threshold">${escapeXml(`${t.expression}\nmeasured: ${measured}\n${t.message}`)}</failure>\n    </testcase>`;
}

function extraFailure(result: RunResult): { name: 'generator' | 'infrastructure'; message: string } | null {
  const g = result.final.generator;
  if (g.overloaded) return { name: 'generator', message: `generator overloaded: ${g.reason ?? result.reason} (loop p99 ${g.eventLoopP99Ms} ms, CPU ${Math.round(g.cpuPct)}%, RSS ${Math.round(g.rssMb)} MB)` };
  if (result.exitCode === 3) return { name: 'infrastructure', message: result.reason };
  return null;
}
