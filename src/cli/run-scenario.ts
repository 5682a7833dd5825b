/**
 * `ev-sim run`: load and validate, run with a live view, write the reports, print the summary.
 * The exit code is the RunResult's: 0 thresholds held, 1 one failed, 2 invalid, 3 generator/infrastructure.
 */
import { formatScenarioErrors, loadScenario } from '../simulator/scenario/loader.ts';
import { targetSchema, type Target } from '../simulator/scenario/schema.ts';
import { defaultReportDir, renderSummary, writeReports } from '../simulator/report/index.ts';
import type { runScenario } from '../simulator/runner.ts';
import type { ExitCode, RunResult } from '../simulator/types.ts';
import { createLiveOutput } from './live-output.ts';

/** The engine's entry point; injected so the command can be driven by any runner with that shape. */
export type RunScenario = typeof runScenario;

export interface RunFlags {
  json?: boolean;
  reportDir?: string;
  duration?: string;
  target?: string;
  /** `embedded` or `rabbitmq`: the embedded CSMS's mode, whatever the scenario says. */
  csmsMode?: string;
  dashboard?: boolean;
  adminEmail?: string;
  adminPassword?: string;
}

export interface RunIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Running under CI (CI=true): plain progress lines, never the dashboard. */
  ci?: boolean;
}

/** Seconds from `30s`, `2m`, `500ms`, `1h` or a bare number of seconds; null when unreadable. */
export function parseDurationS(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const s = Number(m[1]) * factor;
  return s > 0 ? s : null;
}

/**
 * `embedded`, or `<httpUrl>[,<ocppUrl>...]` (the OCPP URL defaults to the same host, port 9000, /ocpp;
 * several are the chargers' failover order, as `target.ocppUrl` given as a list).
 * A remote target needs an admin account: from the flags, else from the scenario's own remote target.
 */
export function parseTarget(text: string, admin: { email: string; password: string } | null): { ok: true; target: Target } | { ok: false; error: string } {
  if (text === 'embedded') return { ok: true, target: targetSchema.parse({ kind: 'embedded' }) };
  const [httpUrl, ...ocppGiven] = text.split(',').map((s) => s.trim());
  let http: URL;
  try {
    http = new URL(httpUrl);
  } catch {
    return { ok: false, error: `--target: "${httpUrl}" is not a URL (embedded, or <httpUrl>[,<ocppUrl>,...])` };
  }
  if (http.protocol !== 'http:' && http.protocol !== 'https:') return { ok: false, error: `--target: ${httpUrl} is not an http(s) URL` };
  const ocppUrls = ocppGiven.length > 0 ? ocppGiven : [`${http.protocol === 'https:' ? 'wss' : 'ws'}://${http.hostname}:9000/ocpp`];
  const bad = ocppUrls.find((u) => !/^wss?:\/\/\S+$/.test(u));
  if (bad !== undefined) return { ok: false, error: `--target: ${bad === '' ? 'an empty OCPP URL (two commas, or one at the end)' : `${bad} is not a ws(s) URL`}` };
  if (!admin) return { ok: false, error: '--target: a remote CSMS needs an admin account: --admin-email and --admin-password' };
  return { ok: true, target: { kind: 'remote', httpUrl: httpUrl.replace(/\/+$/, ''), ocppUrl: ocppUrls.map((u) => u.replace(/\/+$/, '')), admin } };
}

/**
 * The target with its embedded CSMS switched to `mode` (`embedded`: in-process broker; `rabbitmq`),
 * so one scenario file runs in both modes. A remote CSMS's mode is its own: an error.
 */
export function withCsmsMode(target: Target, mode: string): { ok: true; target: Target } | { ok: false; error: string } {
  if (mode !== 'embedded' && mode !== 'rabbitmq') return { ok: false, error: `--csms-mode: "${mode}" is not embedded or rabbitmq` };
  if (target.kind !== 'embedded') return { ok: false, error: '--csms-mode applies to an embedded target; a remote CSMS runs in the mode it was started with' };
  return { ok: true, target: { ...target, csms: { ...target.csms, rabbitmq: mode === 'rabbitmq' } } };
}

/** Runs the `run` command; resolves to the process exit code. */
export async function runCommand(file: string, flags: RunFlags, runScenario: RunScenario, io: RunIo): Promise<ExitCode> {
  const loaded = await loadScenario(file);
  if (!loaded.ok) {
    for (const line of formatScenarioErrors(loaded.errors, loaded.file)) io.stderr.write(`${line}\n`);
    io.stderr.write(`ev-sim: ${file} is not a valid scenario (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'})\n`);
    return 2;
  }
  const scenario = loaded.scenario;
  let durationOverrideS: number | undefined;
  if (flags.duration !== undefined) {
    const d = parseDurationS(flags.duration);
    if (d === null) return usage(io, `--duration: "${flags.duration}" is not a duration (30s, 2m, or a number of seconds)`);
    durationOverrideS = d;
  }
  let targetOverride: Target | undefined;
  if (flags.target !== undefined) {
    const admin = flags.adminEmail && flags.adminPassword ? { email: flags.adminEmail, password: flags.adminPassword } : scenario.target.kind === 'remote' ? scenario.target.admin : null;
    const t = parseTarget(flags.target, admin);
    if (!t.ok) return usage(io, t.error);
    targetOverride = t.target;
  }
  if (flags.csmsMode !== undefined) {
    const t = withCsmsMode(targetOverride ?? scenario.target, flags.csmsMode);
    if (!t.ok) return usage(io, t.error);
    targetOverride = t.target;
  }

  // With --json, stdout carries the RunResult alone: everything else goes to stderr.
  const view = flags.json ? io.stderr : io.stdout;
  const live = createLiveOutput({ stream: view, logStream: io.stderr, dashboard: flags.dashboard !== false && !io.ci, scenario: scenario.name, durationS: durationOverrideS ?? scenario.duration / 1000 });
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      controller.abort(new Error('interrupted by the user'));
      live.aborting();
    } else {
      live.close();
      io.stderr.write('ev-sim: interrupted twice, quitting without reports\n');
      process.exit(130);
    }
  };
  // SIGTERM (a CI job or a supervisor stopping the run) as Ctrl-C: ramp down, stop what the run
  // started (a child CSMS, a private broker node), write the reports.
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  // Chosen before the run: the child CSMS's log goes there too.
  const dir = flags.reportDir ?? defaultReportDir(scenario.name, new Date());
  let result: RunResult;
  try {
    result = await runScenario(scenario, {
      onSnapshot: (s) => live.snapshot(s),
      snapshotIntervalMs: live.mode === 'dashboard' ? 250 : 1000,
      signal: controller.signal,
      durationOverrideS,
      targetOverride,
      artifactDir: dir,
      log: (line) => live.log(line),
    });
  } catch (error) {
    live.close();
    io.stderr.write(`ev-sim: the run failed: ${(error as Error).message ?? String(error)}\n`);
    return 3;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  live.close();

  let written: Awaited<ReturnType<typeof writeReports>> | null = null;
  try {
    written = await writeReports(result, dir);
  } catch (error) {
    io.stderr.write(`ev-sim: could not write the reports to ${dir}: ${(error as Error).message}\n`);
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    if (written) io.stderr.write(`reports: ${written.html}, ${written.junit}, ${written.json}\n`);
  } else {
    io.stdout.write(`\n${renderSummary(result)}`);
    if (written) io.stdout.write(`\nReports        ${written.html}\n               ${written.junit}\n               ${written.json}\n`);
  }
  if (controller.signal.aborted) io.stderr.write(`ev-sim: stopped early by Ctrl-C after ${Math.round(result.durationS)} s; thresholds judged on the data so far\n`);
  return result.exitCode;
}

function usage(io: RunIo, message: string): 2 {
  io.stderr.write(`ev-sim: ${message}\n`);
  return 2;
}
