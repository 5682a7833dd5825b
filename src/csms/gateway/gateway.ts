/**
 * The OCPP 1.6J WebSocket gateway: `ws://HOST:OCPP_PORT/ocpp/{chargePointId}`. It checks identity
 * and credentials before the upgrade, insists on the `ocpp1.6` subprotocol, answers every CALL
 * (synchronously where the answer needs the database), and publishes what happened to the broker.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { createOcppConnection, MessageType, type ChargePointToCsms, type CsmsToChargePoint, type OcppConnection } from '../../ocpp/index.ts';
import type { CsmsConfig } from '../config.ts';
import type { Charging } from '../domain/charging.ts';
import type { Broker, Clock, CommandSender, Store } from '../domain/ports.ts';
import type { ChargePoint } from '../domain/types.ts';
import { createChargerState, type ChargerState } from './charger-state.ts';
import { createCommandSender } from './commands.ts';
import { createEventPublisher } from './events.ts';
import { createHandlers, otherActions } from './handlers/index.ts';
import { decideUpgrade } from './upgrade.ts';

export interface GatewayDeps {
  config: CsmsConfig;
  store: Store;
  charging: Charging;
  broker: Broker;
  clock: Clock;
  logger: Logger;
  nodeId: string;
  /** A charger's BootNotification was answered Accepted (called after the answer). */
  onBooted?: (chargePointId: string) => void;
}

type ChargerConnection = OcppConnection<ChargePointToCsms, CsmsToChargePoint, ChargerState>;

const SUBPROTOCOL = 'ocpp1.6';
/** Close code for a connection replaced by a newer one of the same identity (4000–4999: private use). */
export const CLOSE_REPLACED = 4000;

export interface GatewayStats {
  connected: number;
  accepted: number;
  rejectedUpgrades: number;
  replaced: number;
  /** CALLs received from chargers, per action, since start (the server dashboard's rates). */
  callsIn: Record<string, number>;
  /** Commands (CALLs) sent to chargers, per action, since start. */
  callsOut: Record<string, number>;
}

export function createGateway(deps: GatewayDeps) {
  const { config, store, logger } = deps;
  const connections = new Map<string, ChargerConnection>();
  const events = createEventPublisher({ ...deps, onLost: (err, event) => logger.error({ err, kind: event.kind, chargePointId: event.chargePointId }, 'event not accepted by the broker') });
  const handlers = createHandlers({ ...deps, events });
  const stats: GatewayStats = { connected: 0, accepted: 0, rejectedUpgrades: 0, replaced: 0, callsIn: {}, callsOut: {} };
  let http: Server | null = null;
  let wss: WebSocketServer | null = null;
  let pingTimer: NodeJS.Timeout | null = null;

  const commands: CommandSender = createCommandSender({
    store,
    broker: deps.broker,
    clock: deps.clock,
    nodeId: deps.nodeId,
    defaultTimeoutMs: config.ocppCallTimeoutMs,
    connectionOf: (id) => connections.get(id),
  });

  function refuse(socket: Duplex, status: number, reason: string): void {
    stats.rejectedUpgrades++;
    const text = STATUS_CODES[status] ?? 'Bad Request';
    const extra = status === 401 ? 'WWW-Authenticate: Basic realm="ocpp"\r\n' : '';
    socket.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    let decision;
    try {
      decision = await decideUpgrade(req, store, config.ocppAutoRegister);
    } catch (err) {
      // The database did not answer: a charger that is told 503 tries again later.
      logger.error({ err }, 'upgrade check failed');
      return refuse(socket, 503, 'service unavailable');
    }
    if (!decision.ok) {
      logger.info({ url: req.url, status: decision.status }, decision.reason);
      return refuse(socket, decision.status, decision.reason);
    }
    const { identity, autoRegistered } = decision;
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    let point = decision.point;
    // Registered before the handshake completes: once it has, the charger's first frames arrive
    // at once and need the connection's handlers in place, with nothing left to wait for.
    if (autoRegistered && !point && offered.includes(SUBPROTOCOL)) {
      try {
        point = await autoRegister(identity);
        logger.info({ identity }, 'charge point auto-registered');
      } catch (err) {
        logger.error({ err, identity }, 'could not auto-register the charger');
        return refuse(socket, 503, 'service unavailable');
      }
    }
    // Closed while the checks ran: the charger tries again, elsewhere or later.
    if (!wss) return refuse(socket, 503, 'server shutting down');
    wss.handleUpgrade(req, socket, head, async (ws) => {
      // J §3: with no common subprotocol the handshake completes without one; then we close at once.
      if (ws.protocol !== SUBPROTOCOL) {
        logger.info({ identity, offered: req.headers['sec-websocket-protocol'] ?? null }, 'no ocpp1.6 subprotocol: closing');
        ws.close(1002, 'subprotocol ocpp1.6 required');
        return;
      }
      // This runs inside the http 'upgrade' listener: anything thrown here would end the process.
      try {
        await attach(identity, point, ws, req.socket.remoteAddress ?? null);
      } catch (err) {
        logger.error({ err, identity }, 'could not attach the charger');
        ws.close(1011, 'internal error');
      }
    });
  }

  /** Creates the point, or takes the one another node sharing the database created a moment ago. */
  async function autoRegister(identity: string): Promise<ChargePoint> {
    try {
      return await store.chargePoints.create({ id: identity, registrationStatus: 'Accepted' });
    } catch (err) {
      const existing = await store.chargePoints.get(identity);
      if (existing) return existing;
      throw err;
    }
  }

  function attach(identity: string, point: ChargePoint | null, ws: WebSocket, remoteAddress: string | null): void {
    const state = createChargerState(identity, point?.registrationStatus === 'Accepted' && point.lastBootAt !== null, performance.now());
    // Set when we close the connection for flooding: the disconnect then says why, not just "1006".
    let floodReason: string | null = null;
    const conn = createOcppConnection<ChargePointToCsms, CsmsToChargePoint, ChargerState>(ws, {
      context: state,
      handlers,
      onCall: otherActions,
      lenient: !config.ocppStrict || (point?.lenient ?? false),
      callTimeoutMs: config.ocppCallTimeoutMs,
      maxQueuedCalls: config.ocppMaxQueuedCalls,
      rateLimit: {
        perSecond: config.ocppRateLimitPerSecond,
        burst: config.ocppRateLimitPerSecond * 2,
        closeAfterSeconds: config.ocppRateLimitCloseAfterS,
        minExcessPerSecond: config.ocppRateLimitMinExcess,
      },
      onMessage: (info) => {
        if (info.messageType === MessageType.CALL && info.action) {
          const calls = info.direction === 'in' ? stats.callsIn : stats.callsOut;
          calls[info.action] = (calls[info.action] ?? 0) + 1;
        }
        events.onMessage(state, info);
      },
      onProtocolError: (info) => {
        logger.debug({ identity, ...info }, 'protocol error');
        events.onProtocolError(state, info);
      },
      onFlood: (info) => {
        floodReason = `1008 rate limit exceeded: ${info.framesPerSecond} frames/s for ${info.excessSeconds} s (limit ${info.limitPerSecond}/s), ${info.framesOverLimit} of ${info.framesReceived} frames dropped or refused`;
        logger.warn({ identity, remoteAddress, ...info }, 'charger over its rate limit: disconnected');
        events.flood(state, floodReason);
      },
      onHandlerError: (err, action, messageId) => logger.error({ err, identity, action, messageId }, 'handler failed'),
    });
    // Last connection wins: a charger that reconnects before its old socket died replaces it.
    const previous = connections.get(identity);
    if (previous) {
      stats.replaced++;
      previous.close(CLOSE_REPLACED, 'replaced by a new connection');
    }
    connections.set(identity, conn);
    stats.connected = connections.size;
    stats.accepted++;
    // Recorded before anything else awaits, so a command arriving at any node right after the
    // handshake finds this one; the close handler waits for it, so a fast disconnect cannot leave
    // the node recorded behind it.
    // The wall clock, not the injected one: it is compared with other nodes' connections.
    const recorded = store.chargePoints.setNode(identity, deps.nodeId, Date.now()).catch((err: unknown) => {
      logger.error({ err, identity }, 'could not record which node holds the charger');
    });
    ws.on('pong', () => {
      state.lastPongAt = performance.now();
    });
    ws.on('close', (code, reason) => {
      if (connections.get(identity) !== conn) return;
      connections.delete(identity);
      stats.connected = connections.size;
      events.connection(state, 'disconnected', remoteAddress, floodReason ?? `${code} ${reason.toString()}`.trim());
      void recorded
        .then(() => store.chargePoints.clearNode(identity, deps.nodeId))
        .catch((err: unknown) => logger.warn({ err, identity }, 'could not clear the charger\'s node'));
    });
    events.connection(state, 'connected', remoteAddress, null);
  }

  /** One timer for all connections: a charger that missed a whole ping interval is gone. */
  function pingAll(): void {
    // Measured against this timer, not the injected clock: a test that moves the clock by hours must
    // not cut every charger, and a wall-clock step (NTP) must not either. Monotonic, like latencies.
    const deadline = performance.now() - config.ocppPingIntervalS * 1000 * 2;
    for (const conn of connections.values()) {
      if (conn.context.lastPongAt < deadline) {
        conn.socket.terminate();
        continue;
      }
      try {
        conn.socket.ping();
      } catch {
        conn.socket.terminate();
      }
    }
  }

  return {
    commands,
    stats,
    isConnected: (id: string) => connections.has(id),
    /** The chargers connected to this node. */
    connectedIds: (): string[] => [...connections.keys()],

    async listen(port: number, host: string): Promise<number> {
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: config.ocppMaxFrameBytes,
        perMessageDeflate: false,
        // One message per socket per turn of the event loop: a flooding charger's buffered frames
        // are handled in turn with everyone else's, not all at once ahead of them.
        allowSynchronousEvents: false,
        handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
      });
      http = createServer((_req, res) => {
        res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
        res.end('OCPP 1.6J endpoint: connect a WebSocket to /ocpp/{chargePointId} with subprotocol ocpp1.6\n');
      });
      http.on('upgrade', async (req, socket, head) => void await onUpgrade(req, socket, head));
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(port, host, () => resolve());
      });
      if (config.ocppPingIntervalS > 0) {
        pingTimer = setInterval(pingAll, config.ocppPingIntervalS * 1000);
        pingTimer.unref();
      }
      const address = http.address();
      return typeof address === 'object' && address ? address.port : port;
    },

    /** Stops accepting, then closes every charger connection (chargers reconnect elsewhere). */
    async close(): Promise<void> {
      if (pingTimer) clearInterval(pingTimer);
      pingTimer = null;
      const leaving = [...connections];
      connections.clear();
      for (const [, conn] of leaving) {
        events.connection(conn.context, 'disconnected', null, '1001 server shutting down');
        conn.close(1001, 'server shutting down');
      }
      // The close handlers see the map emptied: the nodes are cleared here, all at once.
      await Promise.all(leaving.map(([identity]) => store.chargePoints.clearNode(identity, deps.nodeId).catch(() => {})));
      stats.connected = 0;
      await new Promise<void>((resolve) => (wss ? wss.close(() => resolve()) : resolve()));
      if (http) {
        http.closeAllConnections?.();
        await new Promise<void>((resolve) => http!.close(() => resolve()));
      }
      wss = null;
      http = null;
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
