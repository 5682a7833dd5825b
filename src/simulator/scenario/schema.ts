/**
 * The scenario file: one zod schema, exported as JSON Schema (scenarios/schema.json) for editors.
 * Durations are numbers of seconds or strings with a unit (`500ms`, `8s`, `2m`); after parsing they
 * are milliseconds. Ranges are one duration or `[min, max]`.
 */
import { z } from 'zod';
import { configurationError, SAMPLED_MEASURANDS } from '../charger-config.ts';
import { parseThreshold } from '../thresholds.ts';

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `8s` → 8000; a bare number is seconds. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(value)!;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const duration = z
  .union([z.number().min(0), z.string().regex(DURATION, 'a duration such as 500ms, 8s, 2m or a number of seconds')])
  .transform(durationMs)
  .meta({ description: 'Seconds, or a string with a unit: 500ms, 8s, 2m, 1h' });

const range = z
  .union([duration, z.tuple([duration, duration])])
  .transform((v) => (Array.isArray(v) ? { min: Math.min(v[0], v[1]), max: Math.max(v[0], v[1]) } : { min: v, max: v }))
  .meta({ description: 'One duration or [min, max]; each occurrence picks uniformly in it' });

const numberRange = z
  .union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive()])])
  .transform((v) => (Array.isArray(v) ? { min: Math.min(v[0], v[1]), max: Math.max(v[0], v[1]) } : { min: v, max: v }));

const MEASURANDS = SAMPLED_MEASURANDS;

/** Initial values of OCPP configuration keys (E2 §9.1), e.g. `TransactionMessageAttempts: 3`; sent as strings. */
const configuration = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .superRefine((cfg, ctx) => {
    for (const [key, value] of Object.entries(cfg)) {
      const why = configurationError(key, String(value), 'template');
      if (why) ctx.addIssue({ code: 'custom', path: [key], message: why });
    }
  })
  .transform((cfg) => Object.fromEntries(Object.entries(cfg).map(([k, v]) => [k, String(v)])) as Record<string, string>)
  .meta({ description: 'OCPP configuration keys the charger starts with (E2 §9.1); they override heartbeatInterval and meterValues' });

const embeddedTarget = z.strictObject({
  kind: z.literal('embedded'),
  csms: z
    .strictObject({
      /** true: RabbitMQ pipeline + Socket.io; false: in-process broker, pages poll. */
      rabbitmq: z.boolean().default(false),
      rabbitmqUrl: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
      /** shared: the broker at rabbitmqUrl; private: a RabbitMQ node of the run's own (outages disturb nobody). */
      broker: z
        .enum(['shared', 'private'])
        .default('shared')
        .meta({ description: 'shared: the broker at rabbitmqUrl; private: ev-sim starts a RabbitMQ node for the run (needs root and rabbitmq-server), so rabbitmq-outage disturbs nobody else' }),
      /** in-process: createCsms in ev-sim; child: `ev-csms serve` as a child process (restart-csms signal KILL needs it). */
      process: z
        .enum(['in-process', 'child'])
        .default('in-process')
        .meta({ description: 'in-process: the CSMS runs inside ev-sim; child: ev-sim starts `ev-csms serve` as a child process (needed by restart-csms with signal KILL)' }),
      /** WALLET_SELF_TOPUP of the CSMS: the run's customers add money themselves (customers.topUps needs it). */
      walletSelfTopup: z
        .boolean()
        .default(true)
        .meta({ description: 'WALLET_SELF_TOPUP of the CSMS: customers may add money to their own wallets (customers.topUps needs it). false: the admin credits their opening balance' }),
      reservationMinutes: z
        .number()
        .positive()
        .optional()
        .meta({ description: 'RESERVATION_MINUTES of the CSMS: how long a reservation holds a connector (decimals allowed, e.g. 0.2 for 12 s)' }),
      loadManagement: z
        .enum(['on', 'off'])
        .default('on')
        .meta({ description: 'LOAD_MANAGEMENT of the CSMS: off, it leaves the grid limits of setup.stations alone (to see site.power.max fail without it)' }),
      /** LOCAL_LIST of the CSMS: it keeps every charger's Local Authorization List in step with the customers' cards. */
      localList: z
        .enum(['on', 'off'])
        .default('off')
        .meta({ description: "LOCAL_LIST of the CSMS: 'on' keeps every charger's Local Authorization List in step with the customers' cards (docs/local-auth-list.md)" }),
    })
    .prefault({})
    .meta({ description: 'The CSMS started by ev-sim on ephemeral ports with a temporary database' }),
});

const ocppUrl = z.string().regex(/^wss?:\/\/\S+$/, 'a ws(s) URL of the OCPP endpoint, e.g. ws://host:9000/ocpp');

/**
 * One OCPP URL, or a list of them: the chargers' failover order (a charger starts on the first and
 * moves to the next when its connection drops or a connect fails). Always a list after parsing.
 */
const ocppUrls = z
  .union([ocppUrl, z.array(ocppUrl).min(1, 'at least one OCPP URL: ocppUrl: [ws://a:9000/ocpp, ws://b:9000/ocpp]')])
  .transform((v) => (Array.isArray(v) ? v : [v]).map((u) => u.replace(/\/+$/, '')))
  .meta({ description: 'The OCPP endpoint (ws:// or wss://), or a list of them: the failover order. Each charger starts on the first and, when its connection drops or a connect fails, reconnects to the next (round robin)' });

const remoteTarget = z.strictObject({
  kind: z.literal('remote'),
  httpUrl: z.string().regex(/^https?:\/\/\S+$/, 'an http(s) URL'),
  ocppUrl: ocppUrls,
  admin: z.strictObject({ email: z.string().min(1), password: z.string().min(1) }),
});

export const targetSchema = z.discriminatedUnion('kind', [embeddedTarget, remoteTarget]);

const tariff = z.strictObject({
  name: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').default('EUR'),
  pricePerKwh: z.number().int().min(0),
  pricePerMinute: z.number().int().min(0).default(0),
  sessionFee: z.number().int().min(0).default(0),
});

const station = z
  .strictObject({
    name: z.string().min(1),
    address: z.string().optional(),
    gridLimitW: z
      .number().int().positive().optional()
      .meta({ description: 'The site\'s grid limit, W: the CSMS divides it among the sessions running at this station (load management). Sent to the CSMS only when set; judge it with the threshold site.power.max <= <limit>' }),
    minPerSessionW: z
      .number().int().min(0).optional()
      .meta({ description: 'The least power, W, the CSMS gives a session of this station when it divides gridLimitW. Sent only when set' }),
  })
  .superRefine((s, ctx) => {
    if (s.minPerSessionW === undefined) return;
    if (s.gridLimitW === undefined) ctx.addIssue({ code: 'custom', path: ['minPerSessionW'], message: 'minPerSessionW divides a gridLimitW: set gridLimitW too' });
    else if (s.minPerSessionW > s.gridLimitW) ctx.addIssue({ code: 'custom', path: ['minPerSessionW'], message: `minPerSessionW (${s.minPerSessionW}) is above gridLimitW (${s.gridLimitW})` });
  });

const chargerTemplate = z.strictObject({
  name: z.string().optional(),
  count: z.number().int().min(1),
  idPattern: z
    .string()
    .regex(/\{0+\}/, 'needs a number placeholder such as {0000}')
    .meta({ description: 'Identity of each charger; {0000} becomes its zero-padded number (from 1)' }),
  connectors: z.number().int().min(1).max(8).default(2),
  /** Charging power; a range picks one per session. */
  powerKw: numberRange.prefault(22),
  evStartDelay: range
    .prefault(0)
    .meta({ description: 'How long after its transaction starts the EV begins to draw power (its on-board charger waking up), picked per session; 0 W until then. A load-managing CSMS has this long to send the new session its TxProfile' }),
  heartbeatInterval: duration.prefault(60),
  meterValues: z
    .strictObject({ interval: duration.prefault(10), measurands: z.array(z.enum(MEASURANDS)).min(1).default(['Energy.Active.Import.Register', 'Power.Active.Import']) })
    .prefault({}),
  /** Name of a setup station / tariff; default the first one. */
  station: z.string().optional(),
  tariff: z.string().optional(),
  /** Security profile 1: the CSMS generates an AuthorizationKey at setup, the charger sends HTTP Basic. */
  basicAuth: z.boolean().default(false),
  vendor: z.string().max(20).default('EvSim'),
  model: z.string().max(20).default('Sim-22'),
  faults: z
    .strictObject({
      /** Chance per charger and minute that its connection drops. */
      disconnectPerMinute: z.number().min(0).max(60).default(0),
      reconnect: z
        .strictObject({ initial: duration.prefault(1), max: duration.prefault(30), jitter: z.number().min(0).max(1).default(0.3) })
        .prefault({}),
      /** Deliberately malformed frames per charger and minute (expected errors). */
      malformedFramesPerMinute: z.number().min(0).max(600).default(0),
      /** Chance per charger and minute that an idle connector reports Faulted (with an error code). */
      connectorFaultsPerMinute: z.number().min(0).max(60).default(0),
      /** How long a faulted connector stays Faulted before it reports Available again. */
      faultDuration: duration.prefault(30),
      /** Share of chargers that forget their open transactions when they reboot: no StopTransaction, only Available after the boot. */
      rebootLosesTransactions: z.number().min(0).max(1).default(0),
    })
    .prefault({}),
  configuration: configuration.default({}),
});

const customers = z.strictObject({
  count: z.number().int().min(0),
  /** auto: Socket.io or polling as GET /api/config says. */
  realtime: z.enum(['auto', 'socket.io', 'polling']).default('auto'),
  /** How accounts are made: self-registration or by the admin through the CMS. */
  register: z.enum(['self', 'cms']).default('self'),
  initialBalance: z.number().int().min(0).max(1_000_000).default(10_000),
  sessions: z
    .strictObject({
      /** Relative weights of sessions started from the app (REST) and by RFID at the charger. */
      mix: z.strictObject({ app: z.number().min(0).default(1), rfid: z.number().min(0).default(1) }).prefault({}),
      /** Idle time before each session. */
      interval: range.prefault([2, 5]),
      duration: range.prefault([5, 15]),
    })
    .prefault({}),
  topUps: z.strictObject({ interval: range, amount: z.number().int().min(1).max(1_000_000).default(1000) }).optional(),
  reservations: z
    .strictObject({
      share: z.number().min(0).max(1).meta({ description: 'Share of sessions the customer reserves a connector for first (POST /api/user/reservations)' }),
      hold: range.prefault([2, 5]).meta({ description: 'Time between the reservation and the customer arriving to start' }),
      noShow: z.number().min(0).max(1).default(0).meta({ description: 'Share of reservations the customer never comes for: they must expire (RESERVATION_MINUTES)' }),
    })
    .optional()
    .meta({ description: 'Customers reserve before some sessions; another customer then tries the reserved connector and must be refused' }),
});

/** Fields every chaos action has: when, and (optionally) in which CSMS mode only. */
const when = {
  at: duration,
  onlyMode: z
    .enum(['embedded', 'rabbitmq'])
    .optional()
    .meta({ description: 'Run this action only when the CSMS runs in this mode (ev-sim run --csms-mode); skipped with a log line otherwise' }),
};

const chaosAction = z.discriminatedUnion('action', [
  z.strictObject({ ...when, action: z.literal('disconnect'), share: z.number().min(0).max(1) }),
  z.strictObject({ ...when, action: z.literal('reconnect-storm'), share: z.number().min(0).max(1).default(1) }),
  z.strictObject({
    ...when,
    action: z.literal('restart-csms'),
    downtime: duration.prefault(1),
    signal: z.enum(['TERM', 'KILL']).default('TERM').meta({ description: 'TERM: graceful close; KILL: kill -9 (needs target.csms.process: child)' }),
  }),
  z.strictObject({ ...when, action: z.literal('rabbitmq-outage'), duration }),
  // Power loss mid-session: chargers with running transactions first, down for `downtime`.
  z.strictObject({ ...when, action: z.literal('reboot'), share: z.number().min(0).max(1), downtime: duration.prefault(5) }),
  // Drivers end a share of the running transactions at once: a burst of StopTransactions.
  z.strictObject({ ...when, action: z.literal('end-sessions'), share: z.number().min(0).max(1).default(1) }),
]);

const firmware = z
  .strictObject({
    rollout: z.strictObject({
      at: duration.meta({ description: 'When the admin starts the rollout, from the start of the load' }),
      share: z.number().min(0).max(1).meta({ description: 'Share of the fleet the firmware goes to' }),
      failShare: z.number().min(0).max(1).default(0).meta({ description: 'Share of the targeted chargers that fail it: half a corrupt download (DownloadFailed), half the installation (InstallationFailed)' }),
      version: z.string().min(1).max(50).regex(/^\S+$/, 'no spaces').default('2.0.0'),
      sizeKb: z.number().int().min(1).max(65_536).default(64).meta({ description: 'Size of the generated image, KiB' }),
      retries: z.number().int().min(1).max(10).default(2).meta({ description: 'UpdateFirmware.retries: download attempts' }),
      retryInterval: z.number().int().min(0).max(3600).default(1).meta({ description: 'UpdateFirmware.retryInterval, seconds' }),
    }),
  })
  .meta({ description: 'An admin rolls a generated firmware image out to part of the fleet over REST (ev-csms routes); metrics firmware.installed, firmware.failed, firmware.rollout.duration' });

const threshold = z.string().superRefine((text, ctx) => {
  const parsed = parseThreshold(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const scenarioSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().default(1),
  /** Load time from the first connection to the start of ramp-down's end (setup and drain not included). */
  duration,
  target: targetSchema.prefault({ kind: 'embedded' }),
  setup: z
    .strictObject({
      stations: z.array(station).min(1).default([{ name: 'Simulated station' }]),
      tariffs: z.array(tariff).min(1).default([{ name: 'Simulated tariff', currency: 'EUR', pricePerKwh: 30, pricePerMinute: 0, sessionFee: 0 }]),
    })
    .prefault({}),
  chargers: z.array(chargerTemplate).min(1),
  customers: customers.prefault({ count: 0 }),
  /** Customers that try to join other customers' rooms (or read their sessions when polling). */
  adversarial: z.strictObject({ count: z.number().int().min(0).default(0), interval: duration.prefault(2) }).prefault({}),
  /** Admins watching the CMS rooms; they measure StatusNotification → charger/connector.status. */
  admins: z.strictObject({ count: z.number().int().min(0).default(0) }).prefault({}),
  phases: z
    .strictObject({
      rampUp: z.strictObject({ rate: z.number().positive().default(100) }).prefault({}).meta({ description: 'New charger connections per second' }),
      rampDown: z.strictObject({ rate: z.number().positive().default(200) }).prefault({}).meta({ description: 'Charger disconnections per second at the end' }),
    })
    .prefault({}),
  chaos: z.array(chaosAction).default([]),
  firmware: firmware.optional(),
  notifications: z.strictObject({ lossDeadline: duration.prefault(10) }).prefault({}),
  generator: z
    .strictObject({ maxEventLoopP99: duration.prefault(0.1), maxCpuPct: z.number().min(1).max(100).default(98), sustain: duration.prefault(5) })
    .prefault({})
    .meta({ description: 'When the load generator itself is the bottleneck for `sustain`, the run ends with exit 3' }),
  thresholds: z.array(threshold).default([]),
}).superRefine((scenario, ctx) => {
  // Only a child process can be killed without killing ev-sim with it.
  const inProcess = scenario.target.kind === 'embedded' && scenario.target.csms.process === 'in-process';
  scenario.chaos.forEach((action, i) => {
    if (action.action === 'restart-csms' && action.signal === 'KILL' && inProcess) {
      ctx.addIssue({ code: 'custom', path: ['chaos', i, 'signal'], message: 'signal KILL needs the CSMS in a child process: set target.csms.process: child (the in-process CSMS can only be closed, TERM)' });
    }
  });
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Target = z.output<typeof targetSchema>;
export type ChargerTemplate = Scenario['chargers'][number];
export type ChaosAction = Scenario['chaos'][number];

/** The scenario file's JSON Schema (input side: what a person writes), for editors. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'ev-sim scenario', description: 'A load-test scenario for ev-sim (OCPP 1.6J CSMS simulator)' };
}
