import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import {
  createOcppConnection, type ActionMap, type ChargePointToCsms, type CsmsToChargePoint, type OcppConnection,
  type OcppConnectionOptions,
} from '../../src/ocpp/index.ts';
import { openRawPeer } from '../../src/simulator/raw-peer.ts';

const cleanups: Array<() => Promise<void> | void> = [];

/** Closes everything the helpers opened; call from `afterEach`. */
export async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export type CsmsSide = OcppConnection<ChargePointToCsms, CsmsToChargePoint>;

export interface TestServer {
  /** `ws://127.0.0.1:PORT/ocpp` */
  endpoint: string;
  server: WebSocketServer;
  /** Requests of the accepted upgrades, in order. */
  requests: IncomingMessage[];
  /** The server side of the next (or an already waiting) connection. */
  nextConnection(): Promise<CsmsSide>;
}

/** A real `ws` server on port 0 that agrees on `ocpp1.6` and wraps every socket in our connection. */
export async function startServer(
  options: OcppConnectionOptions<ChargePointToCsms> = {},
  wsOptions: Partial<ServerOptions> = {},
): Promise<TestServer> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has('ocpp1.6') ? 'ocpp1.6' : false),
    ...wsOptions,
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const ready: CsmsSide[] = [];
  const waiting: Array<(connection: CsmsSide) => void> = [];
  const requests: IncomingMessage[] = [];
  server.on('connection', (socket, request) => {
    requests.push(request);
    const connection = createOcppConnection<ChargePointToCsms, CsmsToChargePoint>(socket, options);
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else ready.push(connection);
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `ws://127.0.0.1:${port}/ocpp`,
    server,
    requests,
    nextConnection: () => {
      const connection = ready.shift();
      return connection ? Promise.resolve(connection) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** Registers a connection made by the code under test so that `closeAll` closes it. */
export function track<C extends OcppConnection<ActionMap, ActionMap, unknown>>(connection: C): C {
  cleanups.push(() => connection.socket.terminate());
  return connection;
}

/** A bare WebSocket peer that speaks raw frames, to see exactly what our connection sends. */
export interface RawPeer {
  socket: WebSocket;
  /** Every frame received so far, parsed. */
  received: unknown[];
  /** Resolves with the next frame not yet taken by `nextFrame`. */
  nextFrame(): Promise<unknown[]>;
  send(frame: unknown): void;
  /** Sends a Heartbeat CALL and waits for its answer: every frame sent to us before it has arrived. */
  roundTrip(): Promise<void>;
}

/** Connects a raw peer (src/simulator/raw-peer.ts) to `url` offering `ocpp1.6`. */
export async function connectRaw(url: string): Promise<RawPeer> {
  const slash = url.lastIndexOf('/');
  const peer = await openRawPeer(url.slice(0, slash), decodeURIComponent(url.slice(slash + 1)), { perMessageDeflate: true });
  cleanups.push(() => peer.ws.terminate());
  return {
    socket: peer.ws,
    received: peer.received,
    // No timeout of its own: the test's bounds it.
    nextFrame: () => peer.next(Infinity),
    send: (frame) => (typeof frame === 'string' ? peer.sendText(frame) : peer.send(frame)),
    // A round trip's own answer is not a frame the test asked for (call() keeps it out of `received`).
    roundTrip: async () => {
      await peer.call('Heartbeat', {});
    },
  };
}

/** A promise plus its resolve function, to hold a handler until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
