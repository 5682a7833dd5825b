/**
 * Composition root: the only module that wires adapters together. Start reading here.
 *
 *   charger → gateway → broker → processor → store
 *                                    ↓
 *                              notifications → notifier (Socket.io) → browser
 *   browser → api → store / commands → gateway → charger
 *   payment provider → api (webhook) → store (wallet ledger)
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { createApi, ensureAdmin } from './api/app.ts';
import { createMemoryBroker } from './broker/memory.ts';
import type { DeadLetterQueue } from './broker/rabbitmq/dead-letters.ts';
import { ENV_NAMES, filesDirOf, kebab, type CsmsConfig } from './config.ts';
import { createFileStore, type FileStore } from './api/file-store.ts';
import { createCharging, type AutoStop } from './domain/charging.ts';
import { createLoadManager, type LoadManager } from './domain/load-manager.ts';
import { createSmartCharging } from './domain/smart-charging.ts';
import { CsmsError } from './domain/errors.ts';
import { CHANGE_SETTLE_MS, createLocalListSync, type LocalListSync } from './domain/local-list.ts';
import { systemClock, type Broker, type BrokerQueueStats, type Clock, type Store } from './domain/ports.ts';
import { createReservations, type Reservations } from './domain/reservations.ts';
import { createWallet } from './domain/wallet.ts';
import { seedDemo, type DemoInfo } from './demo.ts';
import { createGateway, type Gateway, type GatewayStats } from './gateway/gateway.ts';
import type { Notifier, NotifierStats } from './notifier/notifier.ts';
import { paymentProviderFor } from './payments/index.ts';
import { createProcessor, type Processor, type ProcessorStats } from './processor/processor.ts';
import { startCheckpointer, type Checkpointer } from './store/sqlite/checkpointer.ts';
import { createSqliteStore, openPostgresStore } from './store/index.ts';
import { isMemory } from './store/sqlite/sqlite-store.ts';
import { loadWebAssets } from './web/build.ts';

export interface CsmsInfo {
  nodeId: string;
  httpPort: number;
  ocppPort: number;
  httpUrl: string;
  ocppUrl: string;
  mode: 'rabbitmq' | 'embedded';
  /** Where the data lives, without credentials: `sqlite ./data/csms.db`, `postgres db:5432/csms`. */
  store: string;
  admin: { email: string; generatedPassword: string | null };
  demo: DemoInfo | null;
}

/** A read-only snapshot of the CSMS's counters (the server dashboard, benchmarks, tests). */
export interface CsmsStats {
  /** Charger connections and OCPP CALLs per action, since start. */
  readonly gateway: Readonly<Omit<GatewayStats, 'callsIn' | 'callsOut'>> & { readonly callsIn: Readonly<Record<string, number>>; readonly callsOut: Readonly<Record<string, number>> };
  /** Events applied, failed, and recognised as redeliveries, since start. */
  readonly processor: Readonly<ProcessorStats>;
  readonly broker: {
    readonly kind: 'memory' | 'rabbitmq';
    /** Events accepted but not yet processed. */
    readonly backlog: number;
    /** RabbitMQ's own queue figures; null for the embedded broker. */
    readonly queues: Readonly<BrokerQueueStats> | null;
  };
  /** Messages waiting in the outbox (of every node sharing the database) for the broker to confirm them; null while the database does not answer. */
  readonly outbox: number | null;
  /** Socket.io counters; null when there is no notifier (embedded mode). */
  readonly notifier: Readonly<NotifierStats> | null;
}

/** What /ready reports: whether the database answers and the broker is usable. */
export interface CsmsHealth {
  readonly database: boolean;
  readonly broker: { readonly ok: boolean; readonly detail: string };
}

export interface CsmsOptions {
  logger?: Logger;
  clock?: Clock;
}

/**
 * Builds a CSMS from one config object; nothing opens until start(). Its whole surface: info,
 * stats(), health(), dropRealtimeClients(), start(), close(); the adapters stay inside.
 */
export function createCsms(config: CsmsConfig, options: CsmsOptions = {}) {
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = options.logger ?? pino({ level: config.logLevel, base: { node: nodeId } });
  const clock = options.clock ?? systemClock;
  let store: Store | null = null;
  let checkpointer: Checkpointer | null = null;
  let broker: Broker | null = null;
  let processor: Processor | null = null;
  let gateway: Gateway | null = null;
  let api: ReturnType<typeof createApi> | null = null;
  let files: FileStore | null = null;
  let notifier: Notifier | null = null;
  let loadManager: LoadManager | null = null;
  let info: CsmsInfo | null = null;
  let reservationSweep: NodeJS.Timeout | null = null;
  let localListTimer: NodeJS.Timeout | null = null;
  let localListKick: NodeJS.Timeout | null = null;

  return {
    get info(): CsmsInfo {
      if (!info) throw notReady();
      return info;
    },
    /** A snapshot of the counters; throws CSMS_ERR_NOT_READY unless started. */
    async stats(): Promise<CsmsStats> {
      if (!store || !broker || !processor || !gateway) throw notReady();
      const g = gateway.stats;
      const queues = broker.queueStats?.() ?? null;
      return {
        gateway: { connected: g.connected, accepted: g.accepted, rejectedUpgrades: g.rejectedUpgrades, replaced: g.replaced, callsIn: { ...g.callsIn }, callsOut: { ...g.callsOut } },
        processor: { ...processor.stats },
        broker: { kind: broker.kind, backlog: broker.backlog(), queues: queues && { ...queues } },
        // The counters must answer while the database does not (the dashboard shows the outage).
        outbox: await store.outbox.count().catch(() => null),
        notifier: notifier?.stats() ?? null,
      };
    },
    /** Database and broker health, as /ready reports them; throws CSMS_ERR_NOT_READY unless started. */
    async health(): Promise<CsmsHealth> {
      if (!store || !broker) throw notReady();
      return { database: await store.ping(), broker: broker.health() };
    },
    /**
     * Closes every Socket.io connection at the transport level, as a network blip would; clients
     * reconnect and refetch. For drills and tests; returns how many were closed (0 in embedded mode).
     */
    dropRealtimeClients(): number {
      if (!notifier) return 0;
      let n = 0;
      for (const socket of notifier.io.sockets.sockets.values()) {
        socket.conn.close();
        n++;
      }
      return n;
    },

    /**
     * Opens everything, in order. If a step fails (a port in use, an unreachable dependency, a bad
     * database), what the earlier steps opened is closed again before the error is rethrown, so the
     * process is left with no open port, worker or database handle and can exit.
     */
    async start(): Promise<CsmsInfo> {
      try {
        return await open();
      } catch (err) {
        await closeAll().catch((closeErr: unknown) => logger.error({ err: closeErr }, 'cleanup after a failed start failed'));
        throw err;
      }
    },

    /** Stops accepting, drains what was accepted, then closes the database. Safe to call twice. */
    close: closeAll,
  };

  async function open(): Promise<CsmsInfo> {
    if (config.databaseUrl !== undefined) {
      // 'public' is the server's default: left to the search_path, as a DBA would expect.
      const schema = config.databaseSchema === 'public' ? undefined : config.databaseSchema;
      store = await openPostgresStore(config.databaseUrl, { schema, poolSize: config.databasePoolSize, now: () => clock.now() });
    } else {
      const sqlite = createSqliteStore(config.dbPath, { now: () => clock.now() });
      store = sqlite;
      if (!isMemory(config.dbPath)) checkpointer = startCheckpointer(sqlite.db, config.dbPath);
    }
    // One node owns every connection in embedded mode; with a shared broker, other nodes may hold some.
    if (!config.enableRabbitmq) await store.chargePoints.setAllOffline();
    // amqplib and socket.io load only in RabbitMQ mode: an embedded server starts without them.
    const rabbitmq = config.enableRabbitmq ? await import('./broker/rabbitmq/index.ts') : null;
    broker = rabbitmq
      ? rabbitmq.createRabbitBroker({
          url: config.rabbitmqUrl,
          namespace: config.rabbitmqNamespace,
          nodeId,
          outbox: store.outbox,
          nodes: store.nodes,
          prefetch: config.rabbitmqPrefetch,
          shards: config.eventShards,
          ordering: config.eventOrdering,
          rebalanceIntervalMs: config.eventRebalanceIntervalMs,
          maxAttempts: config.processingMaxAttempts,
          retryDelayMs: config.processingRetryDelayMs,
          logger: logger.child({ component: 'rabbitmq' }),
          clock,
        })
      : createMemoryBroker({ clock, journal: store.journal, maxAttempts: config.processingMaxAttempts, retryDelayMs: config.processingRetryDelayMs, onError: (err) => logger.error({ err }, 'event processing failed') });
    await broker.start();
    const charging = createCharging({
      store,
      clock,
      currency: config.currency,
      minStartBalance: config.minStartBalance,
      holdMinor: config.walletHoldMinor,
      staleAfterMs: config.sessionStaleAfterS * 1000,
    });
    const stopsBeforeGateway: AutoStop[] = [];
    const sendStop = (g: Gateway, stop: AutoStop) => {
      g.commands
        .send(stop.chargePointId, 'RemoteStopTransaction', { transactionId: stop.transactionId }, { requestedBy: 'csms: balance used up' })
        .then(
          (outcome) => logger.info({ ...stop, status: outcome.status }, 'asked the charger to stop: balance used up'),
          (err) => logger.warn({ err, ...stop }, 'could not ask the charger to stop (balance used up); asking again at a later reading'),
        );
    };
    processor = createProcessor({
      store,
      charging,
      broker,
      clock,
      messageLogRetention: config.messageLogRetention,
      // Half the PostgreSQL pool at most: the other half serves chargers' answers and the API.
      concurrency: config.databaseUrl !== undefined ? Math.max(1, Math.floor(config.databasePoolSize / 2)) : 1,
      // Only the Socket.io notifier delivers dashboard.stats; polling pages read GET /api/cms/dashboard.
      statsIntervalMs: config.enableRabbitmq ? 5000 : 0,
      onError: (err, event) => logger.error({ err, eventId: event.eventId, kind: event.kind }, 'event failed'),
      // The gateway starts after the processor: a stop asked for before it exists waits for it.
      requestStop: (stop) => (gateway ? sendStop(gateway, stop) : stopsBeforeGateway.push(stop)),
      // Sessions applied before the gateway exists are divided at their next change.
      sessionsChanged: (ids) => void loadManager?.sessionsChanged(ids),
    });
    processor.start();
    const demo = config.demo ? await seedDemo(store, clock, config.currency) : null;
    // LOCAL_LIST=on: each charger's Local Authorization List follows the cards, at boot and every interval.
    let localLists: LocalListSync | null = null;
    let onCustomersChanged: (() => void) | undefined;
    const onBooted = config.localList === 'on' ? (id: string) => void localLists?.sync(id, { check: true }) : undefined;
    gateway = createGateway({ config, store, charging, broker, clock, logger: logger.child({ component: 'gateway' }), nodeId, onBooted });
    if (config.localList === 'on') {
      const g = gateway;
      const lists = createLocalListSync({ store, commands: g.commands, broker, clock, onError: (err, chargePointId) => logger.warn({ err, chargePointId }, 'local list not brought up to date') });
      localLists = lists;
      localListTimer = setInterval(() => void lists.syncAll(g.connectedIds()), config.localListSyncIntervalS * 1000);
      localListTimer.unref();
      // A customer or card changed through the API: the connected chargers follow now, not at the next tick.
      onCustomersChanged = () => {
        if (localListKick) return;
        localListKick = setTimeout(() => {
          localListKick = null;
          void lists.syncAll(g.connectedIds());
        }, CHANGE_SETTLE_MS);
        localListKick.unref();
      };
    }
    for (const stop of stopsBeforeGateway.splice(0)) sendStop(gateway, stop);
    if (config.loadManagement === 'on') {
      const published = broker;
      const smartCharging = createSmartCharging({ store, commands: gateway.commands, clock, publish: (n) => published.publishNotification(n) });
      const log = logger.child({ component: 'load-management' });
      loadManager = createLoadManager({ store, smartCharging, clock, onError: (err, stationId) => log.warn({ err, stationId }, 'load management: a division or a profile failed; the next change tries again') });
    }
    const ocppPort = await gateway.listen(config.ocppPort, config.host).catch((err: unknown) => {
      throw listenFailure('OCPP', 'ocppPort', err);
    });
    const admin = await ensureAdmin(store, config);
    const readyStore = store;
    const readyBroker = broker;
    const web = await loadWebAssets();
    if (web.built) logger.info({ files: web.assets.size }, 'web pages bundled in memory (dist/web missing or older than src/csms/web)');
    const payments = paymentProviderFor(config, clock);
    const reservations = createReservations({ store, clock, commands: gateway.commands, minutes: config.reservationMinutes, feeMinor: config.reservationFee });
    reservationSweep = startReservationSweep(reservations, readyBroker);
    files = createFileStore(filesDirOf(config));
    await files.start();
    api = createApi({
      files,
      config,
      web: web.assets,
      store,
      charging,
      reservations,
      commands: gateway.commands,
      broker,
      clock,
      logger: logger.child({ component: 'api' }),
      payments,
      wallet: createWallet({ store, clock, currency: config.currency, payments }),
      readiness: async () => ({ database: await readyStore.ping(), broker: readyBroker.health() }),
      storeInfo: { kind: store.kind, location: store.location },
      onCustomersChanged,
    });
    await api.listen({ port: config.port, host: config.host }).catch((err: unknown) => {
      throw listenFailure('HTTP', 'port', err);
    });
    if (config.enableRabbitmq) {
      const app = api;
      const { createNotifier } = await import('./notifier/notifier.ts');
      notifier = createNotifier({
        httpServer: app.server,
        verifyToken: (token) => {
          try {
            const claims = app.jwt.verify<{ sub: string; role: string }>(token, { clockTimestamp: clock.now().getTime() });
            return { sub: String(claims.sub), role: claims.role };
          } catch {
            return null;
          }
        },
        store,
        broker,
        logger: logger.child({ component: 'notifier' }),
      });
      notifier.start();
    }
    const address = api.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : config.port;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    info = {
      nodeId,
      httpPort,
      ocppPort,
      httpUrl: `http://${shownHost}:${httpPort}`,
      ocppUrl: `ws://${shownHost}:${ocppPort}/ocpp`,
      mode: config.enableRabbitmq ? 'rabbitmq' : 'embedded',
      store: store.location,
      admin,
      demo,
    };
    logger.info({ httpPort, ocppPort, mode: info.mode, db: store.location, walletSelfTopup: config.walletSelfTopup, checkout: Boolean(config.paymentCheckoutUrl) }, 'ev-csms started');
    return info;
  }

  /** Stops accepting, drains what was accepted, then closes the database; each step runs even if one before it failed. */
  async function closeAll(): Promise<void> {
    const steps: (() => unknown)[] = [
      // Open sockets would keep the HTTP server from closing: the notifier goes first.
      () => reservationSweep && clearInterval(reservationSweep),
      () => {
        if (localListTimer) clearInterval(localListTimer);
        if (localListKick) clearTimeout(localListKick);
        localListTimer = localListKick = null;
      },
      () => notifier?.close(),
      () => api?.close(),
      () => files?.close(),
      () => gateway?.close(),
      // After the gateway: what it still sends finds the chargers gone at once.
      () => loadManager?.close(),
      () => broker?.close(),
      () => processor?.close(),
      () => checkpointer?.stop(),
      () => store?.close(),
    ];
    let failure: unknown = null;
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        failure ??= err;
      }
    }
    checkpointer = null;
    reservationSweep = null;
    loadManager = null;
    api = null;
    files = null;
    notifier = null;
    gateway = null;
    broker = null;
    processor = null;
    store = null;
    if (failure !== null) throw failure;
  }

  /**
   * Every node sweeps: ending a reservation is a conditional update, so each is expired (and
   * announced) once. Every second: one indexed read of the few active reservations due.
   */
  function startReservationSweep(reservations: Reservations, b: Broker): NodeJS.Timeout {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      reservations.expireDue()
        .then((notes) => { for (const n of notes) b.publishNotification(n); })
        .catch((err: unknown) => logger.warn({ err }, 'reservation expiry sweep failed; trying again in a second'))
        .finally(() => (running = false));
    }, 1000);
    timer.unref();
    return timer;
  }

  function notReady(): CsmsError {
    return new CsmsError('CSMS_ERR_NOT_READY', 'the CSMS has not started');
  }

  /** A port that cannot be opened, named by the setting that chose it; other errors pass unchanged. */
  function listenFailure(server: 'HTTP' | 'OCPP', key: 'port' | 'ocppPort', err: unknown): unknown {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'may not be opened by this user' : null;
    if (why === null) return err;
    const port = config[key];
    return new CsmsError(
      'CSMS_ERR_PORT_UNAVAILABLE',
      `the ${server} port ${port} on ${config.host} ${why}: free it, or choose another with ${ENV_NAMES[key]} or --${kebab(key)} (0 = any free port)`,
      { server: server.toLowerCase(), host: config.host, port, reason: code },
    );
  }
}

export type Csms = ReturnType<typeof createCsms>;
export type { DeadLetterQueue };

/**
 * Deletes the durable queues and exchanges of a RabbitMQ namespace that a CSMS used (the simulator's
 * cleanup after an embedded run). Loaded when called, like the rest of the RabbitMQ broker.
 */
export async function deleteRabbitmqNamespace(url: string, namespace: string): Promise<void> {
  const { deleteNamespace } = await import('./broker/rabbitmq/topology.ts');
  await deleteNamespace(url, namespace);
}

/**
 * Opens a RabbitMQ namespace's dead-letter queue without starting a CSMS (`ev-csms dlq list|replay`).
 * Loaded when called, like the rest of the RabbitMQ broker.
 */
export async function openDeadLetterQueue(url: string, namespace: string): Promise<DeadLetterQueue> {
  const { openDeadLetterQueue: open } = await import('./broker/rabbitmq/dead-letters.ts');
  return open(url, namespace);
}
