/** `ev-sim`: runs load-test scenarios against a CSMS, validates and scaffolds them, benchmarks the REST API. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { isCi } from '../simulator/config.ts';
import { BENCH_LIMITS } from './bench-limits.ts';
import type { RunFlags, RunIo } from './run-scenario.ts';

const EXAMPLE_FILE = 'scenario.yaml';

/** Runs the CLI and returns the exit code: 0 ok, 1 a threshold failed, 2 bad usage or scenario, 3 inconclusive. */
export async function main(argv: string[], io: RunIo = { stdout: process.stdout, stderr: process.stderr, ci: isCi() }): Promise<number> {
  let code = 0;
  const program = new Command('ev-sim')
    .description('Simulate OCPP 1.6J chargers and customers against a CSMS and measure it')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      '\nExit codes: 0 all thresholds held, 1 a threshold failed, 2 invalid scenario or usage,\n3 generator overloaded or infrastructure error.',
    );

  program
    .command('run')
    .description('run a scenario: live dashboard (plain lines when not a terminal), then reports and a summary')
    .argument('<scenario>', 'scenario YAML file')
    .option('--json', 'print only the RunResult as JSON on stdout (views go to stderr)')
    .option('--report-dir <dir>', 'where report.json, junit.xml and report.html go (default ./reports/<name>-<time>)')
    .option('--duration <duration>', 'override the load duration: 30s, 2m or seconds')
    .option('--target <target>', 'embedded, or <httpUrl>[,<ocppUrl>,...] of a running CSMS (several OCPP URLs: the chargers\' failover order)')
    .option('--csms-mode <mode>', 'embedded or rabbitmq: run the embedded CSMS in this mode, whatever the scenario says')
    .option('--admin-email <email>', 'admin account for a remote --target')
    .option('--admin-password <password>', 'its password')
    .option('--no-dashboard', 'plain progress lines even on a terminal')
    .addHelpText('after', '\nCtrl-C ends the load early and still writes the reports: the thresholds are judged on the data\nso far (exit 0 if they held, 1 if one failed). A second Ctrl-C quits at once without reports (130).')
    .action(async (file: string, flags: RunFlags) => {
      // Each command loads what it needs when it runs: `--help` loads none of it.
      const [{ runCommand }, { runScenario }] = await Promise.all([import('./run-scenario.ts'), import('../simulator/runner.ts')]);
      code = await runCommand(file, flags, runScenario, io);
    });

  program
    .command('validate')
    .description('check a scenario file; errors name the line and the field')
    .argument('<scenario>', 'scenario YAML file')
    .action(async (file: string) => {
      const { formatScenarioErrors, loadScenario } = await import('../simulator/scenario/loader.ts');
      const loaded = await loadScenario(file);
      if (loaded.ok) {
        const s = loaded.scenario;
        const chargers = s.chargers.reduce((n, c) => n + c.count, 0);
        io.stdout.write(`valid: ${file} (${s.name}: ${chargers} chargers, ${s.customers.count} customers, ${s.thresholds.length} thresholds)\n`);
        return;
      }
      for (const line of formatScenarioErrors(loaded.errors, loaded.file)) io.stderr.write(`${line}\n`);
      io.stderr.write(`invalid: ${file} (${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'})\n`);
      code = 2;
    });

  program
    .command('init')
    .description('write a commented example scenario to start from')
    .argument('[file]', 'where to write it', EXAMPLE_FILE)
    .option('--force', 'overwrite the file if it exists')
    .action(async (file: string, flags: { force?: boolean }) => {
      if (existsSync(file) && !flags.force) {
        io.stderr.write(`ev-sim: ${file} exists; not overwriting it (use --force)\n`);
        code = 2;
        return;
      }
      const { exampleScenario } = await import('../simulator/scenario/example.ts');
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, exampleScenario());
      io.stdout.write(`wrote ${file}; check it with: ev-sim validate ${file}, run it with: ev-sim run ${file}\n`);
    });

  program.addCommand(benchCommand(io, (c) => (code = c)));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const exitCode = (err as { exitCode?: number }).exitCode;
    // commander: help and version exit 0; any other usage error is a 2.
    if (exitCode !== undefined) return exitCode === 0 ? 0 : 2;
    io.stderr.write(`ev-sim: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
  return code;
}

interface BenchFlags {
  target?: string;
  embedded?: boolean;
  connections: string;
  duration: string;
  reportDir?: string;
  email?: string;
  password?: string;
  adminEmail?: string;
  adminPassword?: string;
}

function benchCommand(io: RunIo, setCode: (code: number) => void): Command {
  const bench = new Command('bench').description('micro-benchmarks of a CSMS');
  bench
    .command('rest')
    .description('autocannon against the polled REST reads (active session, stations, CMS dashboard), with and without If-None-Match')
    .addOption(new Option('--target <httpUrl>', 'a running CSMS on localhost / 127.0.0.1').conflicts('embedded'))
    .option('--embedded', 'start a CSMS in this process with demo data')
    .option('--connections <n>', `concurrent connections (at most ${BENCH_LIMITS.maxConnections})`, '50')
    .option('--duration <seconds>', `total seconds, split over the 6 runs (at most ${BENCH_LIMITS.maxDurationS})`, '10')
    .option('--report-dir <dir>', 'where bench.json and bench.txt go (default ./reports/bench-rest-<time>)')
    .option('--email <email>', 'customer login (with --target)')
    .option('--password <password>', 'customer password')
    .option('--admin-email <email>', 'admin login (with --target)')
    .option('--admin-password <password>', 'admin password')
    .action(async (flags: BenchFlags) => {
      setCode(await benchAction(flags, io));
    });
  return bench;
}

async function benchAction(flags: BenchFlags, io: RunIo): Promise<number> {
  if (!flags.target === !flags.embedded) {
    io.stderr.write('ev-sim bench rest: give either --target <httpUrl> or --embedded\n');
    return 2;
  }
  const [{ benchRest, refuseTarget }, { defaultReportDir, renderBenchSummary }] = await Promise.all([import('./bench-rest.ts'), import('../simulator/report/index.ts')]);
  const refused = flags.target ? refuseTarget(flags.target) : null;
  if (refused) {
    io.stderr.write(`ev-sim bench rest: ${refused}\n`);
    return 2;
  }
  const connections = Number(flags.connections);
  const durationS = Number(flags.duration);
  if (!(connections >= 1 && connections <= BENCH_LIMITS.maxConnections) || !(durationS > 0 && durationS <= BENCH_LIMITS.maxDurationS)) {
    io.stderr.write(`ev-sim bench rest: --connections must be 1–${BENCH_LIMITS.maxConnections} and --duration 0–${BENCH_LIMITS.maxDurationS} seconds\n`);
    return 2;
  }
  if (flags.target && !(flags.email && flags.password && flags.adminEmail && flags.adminPassword)) {
    io.stderr.write('ev-sim bench rest: with --target, log in with --email/--password (a customer) and --admin-email/--admin-password\n');
    return 2;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const result = await benchRest({
      target: flags.target ?? null,
      connections,
      durationS,
      customer: flags.email ? { email: flags.email, password: flags.password! } : undefined,
      admin: flags.adminEmail ? { email: flags.adminEmail, password: flags.adminPassword! } : undefined,
      log: (line) => io.stderr.write(`${line}\n`),
      signal: controller.signal,
    });
    const text = renderBenchSummary(result);
    const dir = flags.reportDir ?? defaultReportDir('bench-rest', new Date(result.startedAt));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(dir, 'bench.txt'), text);
    io.stdout.write(`${text}\nReport: ${join(dir, 'bench.txt')}, ${join(dir, 'bench.json')}\n`);
    return 0;
  } catch (error) {
    io.stderr.write(`ev-sim bench rest: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
