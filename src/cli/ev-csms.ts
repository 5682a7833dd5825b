/** `ev-csms`: runs the CSMS. Every config key is a flag; flags win over the environment. */
import { renameSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ConfigError, ENV_NAMES, configSchema, kebab, loadConfig, type CsmsConfigInput } from '../csms/config.ts';
import { isCsmsError } from '../csms/domain/errors.ts';
import type { CsmsInfo } from '../csms/server.ts';
import { dlqCommand } from './dlq.ts';

const DESCRIPTIONS: Partial<Record<keyof typeof ENV_NAMES, string>> = {
  host: 'interface to listen on',
  port: 'REST API, web pages and Socket.io port (0 = any free port)',
  ocppPort: 'OCPP WebSocket port for chargers (0 = any free port)',
  dbPath: 'SQLite database file (":memory:" for a throw-away one); the store unless --database-url is set',
  databaseUrl: 'PostgreSQL URL (postgres://user:password@host:5432/db): the store for nodes on several hosts',
  databaseSchema: 'PostgreSQL schema of the tables (created if missing)',
  databasePoolSize: 'connections this node keeps to PostgreSQL',
  enableRabbitmq: 'use the RabbitMQ pipeline and push live updates over Socket.io',
  rabbitmqUrl: 'RabbitMQ connection URL',
  rabbitmqNamespace: 'prefix of every exchange and queue name',
  rabbitmqPrefetch: 'unacknowledged OCPP events per work queue (shard) a node consumes',
  eventShards: 'shard queues of OCPP events, by charger (the same on every node)',
  eventOrdering: 'per-charger (default) or none (diagnostic: one shared queue, no order)',
  eventRebalanceIntervalMs: 'how often a node hands event shards to the live node preferred for them (0 = never)',
  processingMaxAttempts: 'attempts before an event is dead-lettered',
  processingRetryDelayMs: 'delay before a failed event is retried (grows per attempt)',
  jwtSecret: 'secret that signs API tokens (random per process if unset)',
  jwtExpiresIn: 'token lifetime, e.g. 12h',
  adminEmail: 'email of the admin account created at first start',
  adminPassword: 'its password (a random one is printed once if unset; at least 8 characters, not a common one)',
  loginBackoffAfter: 'failed logins of one account from one address before that pair must wait',
  loginBackoffBaseMs: 'first wait after those failures; doubles with each further one',
  loginBackoffMaxMs: 'longest wait of one account and address',
  loginFailureWindowS: 'window of the per-account and per-address failure caps',
  loginAccountMaxFailures: 'failed logins of one account from all addresses within the window before addresses that failed for it wait (0 = off)',
  loginAddressMaxFailures: 'failed logins from one address within the window, whatever the account, before it waits (0 = off)',
  registrationsPerAddressPerHour: 'customer self-registrations per address and hour (0 = off)',
  ocppAutoRegister: 'accept chargers whose identity is not registered',
  ocppStrict: 'reject charger payloads that break the OCPP 1.6 schemas',
  ocppCallTimeoutMs: 'how long a command waits for the charger',
  ocppHeartbeatIntervalS: 'heartbeat interval sent in BootNotification.conf',
  ocppPingIntervalS: 'WebSocket ping interval to detect dead chargers (0 = off)',
  ocppMaxFrameBytes: 'largest frame accepted from a charger',
  ocppMaxQueuedCalls: 'CALLs queued per charger before excess ones are refused',
  ocppRateLimitPerSecond: 'frames of any type per second accepted from one charger (burst 2x)',
  ocppRateLimitCloseAfterS: 'consecutive seconds over the rate limit before the charger is disconnected (0 = never)',
  ocppRateLimitMinExcess: 'frames over the limit in one second for it to count towards the disconnect',
  messageLogRetention: 'OCPP message log rows kept per charge point',
  minStartBalance: 'wallet balance (minor units) needed beyond the session fee to start',
  sessionStaleAfterS: 'seconds without any report after which an active session is flagged stale in the CMS',
  localList: 'on | off: keep every charger\'s Local Authorization List in step with the customers\' cards',
  localListSyncIntervalS: 'seconds between comparisons of the chargers\' local lists with the cards',
  pollActiveSessionMs: 'polling interval of the active-session page',
  pollDetailMs: 'polling interval of detail pages',
  pollListMs: 'polling interval of list pages',
  logLevel: 'fatal | error | warn | info | debug | trace | silent',
  nodeId: 'name of this node (default: host, pid and a random suffix)',
  demo: 'seed a demo station, charge points, tariff and customer on an empty database (turns on wallet self top-up)',
  currency: 'ISO 4217 currency of the wallets; payments in another are refused',
  walletSelfTopup: 'customers may add money to their own wallets without paying (default: on with --demo only)',
  paymentWebhookSecret: 'shared secret the payment provider signs its webhooks with (HMAC-SHA256)',
  paymentCheckoutUrl: 'the payment provider\'s hosted checkout page (with the secret: turns checkout on)',
  paymentWebhookToleranceS: 'how many seconds a webhook\'s signed timestamp may be off (replay guard)',
  firmwareDir: 'directory of firmware images and diagnostics uploads (default: files/ beside the SQLite file)',
  firmwareMaxBytes: 'largest firmware image an admin may upload, bytes',
  diagnosticsMaxBytes: 'largest diagnostics file a charger may upload, bytes (larger: 413)',
  publicUrl: 'the REST port\'s URL as chargers reach it, for firmware download and diagnostics upload URLs',
  loadManagement: 'on | off: divide each station\'s grid limit among its sessions with charging profiles',
};

function serveCommand(): Command {
  const cmd = new Command('serve').description('start the CSMS: OCPP gateway, processor, REST API and web pages');
  for (const key of Object.keys(configSchema.shape) as (keyof typeof ENV_NAMES)[]) {
    const isBool = key === 'enableRabbitmq' || key === 'ocppAutoRegister' || key === 'ocppStrict' || key === 'demo' || key === 'walletSelfTopup';
    const flag = isBool ? `--${kebab(key)} [bool]` : `--${kebab(key)} <value>`;
    cmd.addOption(new Option(flag, `${DESCRIPTIONS[key] ?? key} (env ${ENV_NAMES[key]})`));
  }
  cmd.option('--db <path-or-url>', 'short for --db-path, or for --database-url when it is a postgres:// URL');
  cmd.option('--dashboard', 'show a live terminal view of the server (needs a terminal)');
  cmd.option('--ready-file <path>', 'once listening, write {pid, nodeId, mode, httpUrl, ocppUrl, httpPort, ocppPort} as JSON to this file (for supervisors such as ev-sim)');
  cmd.action(async (flags: Record<string, unknown>) => {
    const overrides: Record<string, unknown> = {};
    for (const key of Object.keys(ENV_NAMES)) {
      const v = flags[key];
      if (v !== undefined) overrides[key] = v === true ? 'true' : v;
    }
    if (typeof flags.db === 'string') {
      const key = /^postgres(ql)?:\/\//.test(flags.db) ? 'databaseUrl' : 'dbPath';
      if (overrides[key] === undefined) overrides[key] = flags.db;
    }
    const config = loadConfig(overrides as CsmsConfigInput);
    // Loaded here, not at the top: `--help` and `dlq` need neither the server nor ink.
    const { createCsms } = await import('../csms/server.ts');
    const dashboard = flags.dashboard ? (await import('./server-dashboard.ts')).prepareServerDashboard(config) : null;
    const csms = createCsms(config, dashboard ? { logger: dashboard.logger } : {});
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      dashboard?.stop();
      process.stdout.write(`\n${signal}: draining and stopping…\n`);
      await csms.close();
      // Exit once the line is flushed: on a pipe, exit() would cut buffered output.
      process.stdout.write('stopped.\n', () => process.exit(0));
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    // A failed start has closed what it opened (start() cleans up): nothing keeps the process alive,
    // and main() turns the error into one line and a non-zero exit code.
    let info: CsmsInfo;
    try {
      info = await csms.start();
    } catch (err) {
      dashboard?.stop();
      throw err;
    }
    if (typeof flags.readyFile === 'string') writeReadyFile(flags.readyFile, info);
    process.stdout.write(banner(info));
    dashboard?.show(csms);
  });
  return cmd;
}

/** Written whole then renamed, so a reader polling for the file never sees half of it. */
function writeReadyFile(path: string, info: CsmsInfo): void {
  const { nodeId, mode, httpUrl, ocppUrl, httpPort, ocppPort } = info;
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ pid: process.pid, nodeId, mode, httpUrl, ocppUrl, httpPort, ocppPort })}\n`);
  renameSync(`${path}.tmp`, path);
}

function banner(info: CsmsInfo): string {
  const lines = [
    '',
    `ev-csms is running (${info.mode === 'embedded' ? 'embedded broker, pages poll the REST API' : 'RabbitMQ, live updates over Socket.io'})`,
    `  web CMS       ${info.httpUrl}/cms/   (customers: ${info.httpUrl}/app/)`,
    `  REST API      ${info.httpUrl}/api   (OpenAPI: ${info.httpUrl}/docs)`,
    `  OCPP 1.6J     ${info.ocppUrl}/{chargePointId}   (subprotocol ocpp1.6)`,
    `  health        ${info.httpUrl}/health, ${info.httpUrl}/ready`,
    `  store         ${info.store}`,
    `  admin         ${info.admin.email}${info.admin.generatedPassword ? `  password: ${info.admin.generatedPassword}  (shown once: set ADMIN_PASSWORD to choose your own)` : ''}`,
  ];
  if (info.demo) {
    lines.push(`  demo          customer ${info.demo.customerEmail} / ${info.demo.customerPassword}, idTag ${info.demo.idTag}`);
    lines.push(`                chargers ${info.demo.chargePointIds.join(', ')} → ${info.ocppUrl}/${info.demo.chargePointIds[0]}`);
  }
  lines.push('  Ctrl-C stops it.', '');
  return lines.join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 2 bad usage or config, 1 failure). */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('ev-csms')
    .description('EV charging station management system (OCPP 1.6J)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.addCommand(serveCommand());
  program.addCommand(dlqCommand());
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ev-csms: ${err.message}\n`);
      return 2;
    }
    if (isCsmsError(err)) {
      process.stderr.write(`ev-csms: ${err.code}: ${err.message}\n`);
      return err.code === 'CSMS_ERR_CONFIG' ? 2 : 1;
    }
    const exitCode = (err as { exitCode?: number; code?: string }).exitCode;
    if (exitCode !== undefined) return exitCode === 0 ? 0 : 2;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      process.stderr.write(`ev-csms: port already in use (${e.message}); pick another with --port / --ocpp-port or 0 for any\n`);
      return 1;
    }
    process.stderr.write(`ev-csms: ${e.message ?? String(err)}\n`);
    return 1;
  }
}
