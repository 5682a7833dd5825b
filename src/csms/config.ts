/**
 * The one place that reads process.env. Environment and CLI flags map onto one zod schema;
 * the result is frozen and passed down: createCsms(config).
 */
import { z } from 'zod';
import { passwordProblem } from './domain/passwords.ts';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);

export const configSchema = z.object({
  host: z.string().default('0.0.0.0'),
  /** REST API, web pages and Socket.io. 0 picks a free port. */
  port: port.default(3000),
  /** OCPP WebSocket endpoint for chargers. 0 picks a free port. */
  ocppPort: port.default(9000),
  /** The SQLite file: the store unless `databaseUrl` is set. */
  dbPath: z.string().min(1).default('./data/csms.db'),
  /** PostgreSQL (postgres://user:password@host:5432/db): the store for nodes on several hosts; wins over dbPath. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL, e.g. postgres://user:password@db.example:5432/csms')
    .optional(),
  /** The PostgreSQL schema the tables live in (created if missing): several deployments can share a database. */
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier: letters, digits and "_"').default('public'),
  /** Connections each node keeps to PostgreSQL. */
  databasePoolSize: z.coerce.number().int().min(2).max(100).default(10),
  enableRabbitmq: bool.default(false),
  rabbitmqUrl: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
  /** Prefix of every exchange and queue name: several deployments (or tests) can share a broker. */
  rabbitmqNamespace: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only').default('csms'),
  /** Unacknowledged OCPP events per work queue (each shard and the shared queue has its own channel). */
  rabbitmqPrefetch: z.coerce.number().int().positive().default(200),
  /** Shard queues the OCPP events are spread over by charger; every node of a namespace must use the same number. */
  eventShards: z.coerce.number().int().min(1).max(256).default(16),
  /** 'per-charger': one charger's events are applied in the order they were accepted. 'none' (diagnostic only): one shared queue, no order. */
  eventOrdering: z.enum(['per-charger', 'none']).default('per-charger'),
  /** How often a node checks whether it holds event shards another live node should have and hands them over; 0 = never. */
  eventRebalanceIntervalMs: z.coerce.number().int().min(0).default(2000),
  /** Attempts to process an event before it goes to the dead-letter queue. */
  processingMaxAttempts: z.coerce.number().int().min(1).default(5),
  /** Delay before a failed event is tried again (grows with each attempt). */
  processingRetryDelayMs: z.coerce.number().int().min(10).default(1000),
  /** Signs the API's tokens. Unset: a random secret per process (tokens die with a restart). */
  jwtSecret: z.string().min(16, 'JWT_SECRET must be at least 16 characters').optional(),
  jwtExpiresIn: z.string().default('12h'),
  adminEmail: z.string().email().default('admin@ev-csms.local'),
  /** Unset: a random password is generated and printed once, at the first start. Same policy as customers'. */
  adminPassword: z
    .string()
    .superRefine((password, ctx) => {
      const problem = passwordProblem(password);
      if (problem) ctx.addIssue({ code: 'custom', message: `too weak: ${problem}` });
    })
    .optional(),
  /** Failed logins of one account from one address before each further one makes that pair wait. */
  loginBackoffAfter: z.coerce.number().int().min(1).default(5),
  /** The first wait; it doubles with each further failure. */
  loginBackoffBaseMs: z.coerce.number().int().min(1).default(1000),
  /** The longest wait of one account and address. */
  loginBackoffMaxMs: z.coerce.number().int().min(1).default(900_000),
  /** The window of the per-account and per-address failure caps. */
  loginFailureWindowS: z.coerce.number().int().positive().default(900),
  /** Failures for one account from all addresses within the window; over it, addresses that failed for it wait. 0 = off. */
  loginAccountMaxFailures: z.coerce.number().int().min(0).default(50),
  /** Failures from one address for any accounts within the window (password spraying). 0 = off. */
  loginAddressMaxFailures: z.coerce.number().int().min(0).default(20),
  /** Customer self-registrations per address and hour. 0 = off. */
  registrationsPerAddressPerHour: z.coerce.number().int().min(0).default(5),
  ocppAutoRegister: bool.default(false),
  /** Strict schema validation of charger payloads; a charger can be made lenient on its own. */
  ocppStrict: bool.default(true),
  ocppCallTimeoutMs: z.coerce.number().int().positive().default(30_000),
  ocppHeartbeatIntervalS: z.coerce.number().int().positive().default(300),
  ocppPingIntervalS: z.coerce.number().int().min(0).default(60),
  ocppMaxFrameBytes: z.coerce.number().int().min(1024).default(65_536),
  ocppMaxQueuedCalls: z.coerce.number().int().positive().default(50),
  /** Frames of any type per second from one charger (burst 2×); excess CALLs get GenericError, the rest are dropped. */
  ocppRateLimitPerSecond: z.coerce.number().int().positive().default(200),
  /** Consecutive seconds over the rate limit after which the charger is disconnected (1008); 0 = never. */
  ocppRateLimitCloseAfterS: z.coerce.number().int().min(0).default(5),
  /** Frames over the limit within one second for that second to count towards the disconnect. */
  ocppRateLimitMinExcess: z.coerce.number().int().positive().default(1),
  /** OCPP message log rows kept per charge point. */
  messageLogRetention: z.coerce.number().int().min(10).default(1000),
  /** Minimum wallet balance (minor units) to start a session, on top of the tariff's session fee. */
  minStartBalance: z.coerce.number().int().min(0).default(100),
  /** The network's currency (ISO 4217): every tariff, wallet and bill is in it. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code in capitals, e.g. EUR').default('EUR'),
  /** Minor units a session reserves of its customer's wallet at the start (at most what is there); 0: all the customer may spend. */
  walletHoldMinor: z.coerce.number().int().min(0).default(5000),
  /** How long a reservation holds a connector (ReserveNow's expiryDate = now + this); decimals allowed. */
  reservationMinutes: z.coerce.number().positive().max(24 * 60).default(15),
  /** What a reservation costs, in minor units, debited from the wallet once (0: free); see docs/reservation.md. */
  reservationFee: z.coerce.number().int().min(0).default(0),
  /** An active session from which nothing arrived for this long is flagged stale in the CMS. */
  sessionStaleAfterS: z.coerce.number().int().positive().default(1800),
  /** 'on': the CSMS keeps each charger's Local Authorization List in step with its customers' cards (docs/local-auth-list.md). */
  localList: z.enum(['on', 'off']).default('off'),
  /** How often the lists of the connected chargers are compared with the customers' cards (changes reach chargers within it). */
  localListSyncIntervalS: z.coerce.number().positive().default(10),
  pollActiveSessionMs: z.coerce.number().int().positive().default(1000),
  pollDetailMs: z.coerce.number().int().positive().default(3000),
  pollListMs: z.coerce.number().int().positive().default(10_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  nodeId: z.string().optional(),
  /** Seeds a demo station, charge points, tariff and customer on an empty database. */
  demo: bool.default(false),
  /** Customers may credit their own wallets without paying. Unset: on with `demo`, off otherwise. */
  walletSelfTopup: bool.optional(),
  /** Shared secret of the signed-webhook payment provider (HMAC-SHA256); with paymentCheckoutUrl, turns checkout on. */
  paymentWebhookSecret: z.string().min(16, 'PAYMENT_WEBHOOK_SECRET must be at least 16 characters').optional(),
  /** The provider's hosted checkout page; the CSMS adds the payment's details to its query string. */
  paymentCheckoutUrl: z.string().url().regex(/^https?:\/\//, 'an http(s) URL').optional(),
  /** How old (or how far ahead) a webhook's signed timestamp may be: older deliveries are replays. */
  paymentWebhookToleranceS: z.coerce.number().int().min(1).default(300),
  /**
   * Where uploaded firmware images and diagnostics files are kept (`firmware/`, `diagnostics/`).
   * Unset: `files/` beside the SQLite file, `./data/files` with PostgreSQL, and a temporary directory
   * (deleted at close) with an in-memory database. Several nodes must share it (one volume).
   */
  firmwareDir: z.string().min(1).optional(),
  /** The largest firmware image an admin may upload, bytes. */
  firmwareMaxBytes: z.coerce.number().int().positive().default(256 * 1024 * 1024),
  /** The largest diagnostics file a charger may upload, bytes (larger: HTTP 413). */
  diagnosticsMaxBytes: z.coerce.number().int().positive().default(32 * 1024 * 1024),
  /**
   * The REST port's URL as chargers reach it, for the download and upload URLs put into UpdateFirmware
   * and GetDiagnostics. Unset: the address the admin's request came to.
   */
  publicUrl: z.string().regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http(s) URL, e.g. https://csms.example:3000').optional(),
  /** Divide each station's grid limit among its running sessions with TxProfiles (docs/smart-charging.md). */
  loadManagement: z.enum(['on', 'off']).default('on'),
});

type ParsedConfig = z.output<typeof configSchema>;
export type CsmsConfig = Readonly<Omit<ParsedConfig, 'walletSelfTopup'> & { walletSelfTopup: boolean }>;
export type CsmsConfigInput = z.input<typeof configSchema>;

/** Environment variable for each config key; CLI flags use the kebab-case key instead. */
export const ENV_NAMES: Record<keyof ParsedConfig, string> = {
  host: 'HOST',
  port: 'PORT',
  ocppPort: 'OCPP_PORT',
  dbPath: 'DB_PATH',
  databaseUrl: 'DATABASE_URL',
  databaseSchema: 'DATABASE_SCHEMA',
  databasePoolSize: 'DATABASE_POOL_SIZE',
  enableRabbitmq: 'ENABLE_RABBITMQ',
  rabbitmqUrl: 'RABBITMQ_URL',
  rabbitmqNamespace: 'RABBITMQ_NAMESPACE',
  rabbitmqPrefetch: 'RABBITMQ_PREFETCH',
  eventShards: 'EVENT_SHARDS',
  eventOrdering: 'EVENT_ORDERING',
  eventRebalanceIntervalMs: 'EVENT_REBALANCE_INTERVAL_MS',
  processingMaxAttempts: 'PROCESSING_MAX_ATTEMPTS',
  processingRetryDelayMs: 'PROCESSING_RETRY_DELAY_MS',
  jwtSecret: 'JWT_SECRET',
  jwtExpiresIn: 'JWT_EXPIRES_IN',
  adminEmail: 'ADMIN_EMAIL',
  adminPassword: 'ADMIN_PASSWORD',
  loginBackoffAfter: 'LOGIN_BACKOFF_AFTER',
  loginBackoffBaseMs: 'LOGIN_BACKOFF_BASE_MS',
  loginBackoffMaxMs: 'LOGIN_BACKOFF_MAX_MS',
  loginFailureWindowS: 'LOGIN_FAILURE_WINDOW_S',
  loginAccountMaxFailures: 'LOGIN_ACCOUNT_MAX_FAILURES',
  loginAddressMaxFailures: 'LOGIN_ADDRESS_MAX_FAILURES',
  registrationsPerAddressPerHour: 'REGISTRATIONS_PER_ADDRESS_PER_HOUR',
  ocppAutoRegister: 'OCPP_AUTO_REGISTER',
  ocppStrict: 'OCPP_STRICT',
  ocppCallTimeoutMs: 'OCPP_CALL_TIMEOUT_MS',
  ocppHeartbeatIntervalS: 'OCPP_HEARTBEAT_INTERVAL_S',
  ocppPingIntervalS: 'OCPP_PING_INTERVAL_S',
  ocppMaxFrameBytes: 'OCPP_MAX_FRAME_BYTES',
  ocppMaxQueuedCalls: 'OCPP_MAX_QUEUED_CALLS',
  ocppRateLimitPerSecond: 'OCPP_RATE_LIMIT_PER_SECOND',
  ocppRateLimitCloseAfterS: 'OCPP_RATE_LIMIT_CLOSE_AFTER_S',
  ocppRateLimitMinExcess: 'OCPP_RATE_LIMIT_MIN_EXCESS',
  messageLogRetention: 'MESSAGE_LOG_RETENTION',
  minStartBalance: 'MIN_START_BALANCE',
  currency: 'CURRENCY',
  walletHoldMinor: 'WALLET_HOLD_MINOR',
  reservationMinutes: 'RESERVATION_MINUTES',
  reservationFee: 'RESERVATION_FEE',
  sessionStaleAfterS: 'SESSION_STALE_AFTER_S',
  localList: 'LOCAL_LIST',
  localListSyncIntervalS: 'LOCAL_LIST_SYNC_INTERVAL_S',
  pollActiveSessionMs: 'POLL_ACTIVE_SESSION_MS',
  pollDetailMs: 'POLL_DETAIL_MS',
  pollListMs: 'POLL_LIST_MS',
  logLevel: 'LOG_LEVEL',
  nodeId: 'NODE_ID',
  demo: 'CSMS_DEMO',
  walletSelfTopup: 'WALLET_SELF_TOPUP',
  paymentWebhookSecret: 'PAYMENT_WEBHOOK_SECRET',
  paymentCheckoutUrl: 'PAYMENT_CHECKOUT_URL',
  paymentWebhookToleranceS: 'PAYMENT_WEBHOOK_TOLERANCE_S',
  firmwareDir: 'FIRMWARE_DIR',
  firmwareMaxBytes: 'FIRMWARE_MAX_BYTES',
  diagnosticsMaxBytes: 'DIAGNOSTICS_MAX_BYTES',
  publicUrl: 'PUBLIC_URL',
  loadManagement: 'LOAD_MANAGEMENT',
};

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the config: defaults < environment < explicit overrides (CLI flags, tests).
 * Throws ConfigError naming the variable or flag of every bad value.
 */
export function loadConfig(overrides: CsmsConfigInput = {}, env: NodeJS.ProcessEnv = process.env): CsmsConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = configSchema.safeParse({ ...fromEnv, ...defined });
  const source = (key: string) => (key in defined ? `--${kebab(key)}` : (ENV_NAMES as Record<string, string>)[key] ?? key);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${source(String(i.path[0] ?? ''))}: ${i.message}`));
  }
  const data = parsed.data;
  // A provider needs both: where customers pay, and the secret its webhooks are signed with.
  if ((data.paymentWebhookSecret === undefined) !== (data.paymentCheckoutUrl === undefined)) {
    const missing = data.paymentWebhookSecret === undefined ? 'paymentWebhookSecret' : 'paymentCheckoutUrl';
    const given = missing === 'paymentWebhookSecret' ? 'paymentCheckoutUrl' : 'paymentWebhookSecret';
    throw new ConfigError([`${source(missing)}: required when ${source(given)} is set`]);
  }
  // The demo lets its customers add money: there is no payment provider to pay with.
  return Object.freeze({ ...data, walletSelfTopup: data.walletSelfTopup ?? data.demo });
}

/** Config for tests and the simulator's embedded target: ephemeral ports, in-memory database. */
export function testConfig(overrides: CsmsConfigInput = {}): CsmsConfig {
  return loadConfig({ port: 0, ocppPort: 0, dbPath: ':memory:', logLevel: 'silent', host: '127.0.0.1', jwtSecret: 'test-secret-test-secret', adminPassword: 'admin-password', ...overrides }, {});
}

/**
 * The files directory (firmware images, diagnostics uploads): FIRMWARE_DIR, else `files/` beside the
 * SQLite file or `./data/files` with PostgreSQL; null with an in-memory SQLite database (the server
 * then uses a temporary directory it deletes at close).
 */
export function filesDirOf(config: Pick<CsmsConfig, 'firmwareDir' | 'databaseUrl' | 'dbPath'>): string | null {
  if (config.firmwareDir !== undefined) return config.firmwareDir;
  if (config.databaseUrl !== undefined) return './data/files';
  const path = config.dbPath;
  if (path === ':memory:' || path === '' || path.startsWith('file::memory:')) return null;
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return `${slash < 0 ? '.' : path.slice(0, slash)}/files`;
}

export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
