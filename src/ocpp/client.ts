import type { ClientRequest, IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { createOcppConnection } from './connection.ts';
import type { OcppConnection, OcppConnectionOptions } from './connection-types.ts';
import { OcppHandshakeError } from './errors.ts';
import type { ActionMap, ChargePointToCsms, CsmsToChargePoint } from './messages.ts';

export interface ConnectOcppOptions<In extends ActionMap = CsmsToChargePoint, Ctx = unknown>
  extends OcppConnectionOptions<In, Ctx> {
  /** Offered subprotocols, in order of preference (default `['ocpp1.6']`). */
  protocols?: string[];
  /** Security profile 1/2: HTTP Basic with the identity as user name; the key may contain `:` or be binary. */
  basicAuth?: { password: string | Buffer };
  /** Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /** Largest frame accepted from the server, bytes (ws closes with 1009 beyond it). */
  maxPayload?: number;
  /** Anything else for `ws` (TLS options, extra headers, ...). */
  wsOptions?: ClientOptions;
}

/** The URL of a charge point: endpoint + '/' + percent-encoded identity (J §3.1). */
export function chargePointUrl(endpoint: string, identity: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(identity)}`;
}

/** The `Authorization` header value for HTTP Basic with a possibly binary password. */
export function basicAuthHeader(identity: string, password: string | Buffer): string {
  const secret = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  return `Basic ${Buffer.concat([Buffer.from(`${identity}:`, 'utf8'), secret]).toString('base64')}`;
}

/**
 * Opens a charge-point connection to a CSMS. Rejects with `OcppHandshakeError` when the server
 * answers with an HTTP status instead of upgrading, or upgrades without agreeing on a subprotocol
 * (most WebSocket libraries silently go on in that case; docs/ocpp-notes.md, "Connection").
 */
export function connectOcpp<In extends ActionMap = CsmsToChargePoint, Out extends ActionMap = ChargePointToCsms, Ctx = unknown>(
  endpoint: string,
  identity: string,
  options: ConnectOcppOptions<In, Ctx> = {},
): Promise<OcppConnection<In, Out, Ctx>> {
  const { protocols = ['ocpp1.6'], basicAuth, handshakeTimeoutMs = 10_000, maxPayload, wsOptions, ...rest } = options;
  const headers: Record<string, string> = { ...(wsOptions?.headers as Record<string, string> | undefined) };
  if (basicAuth) headers.authorization = basicAuthHeader(identity, basicAuth.password);
  const socket = new WebSocket(chargePointUrl(endpoint, identity), protocols, {
    ...wsOptions,
    headers,
    handshakeTimeout: handshakeTimeoutMs,
    ...(maxPayload !== undefined && { maxPayload }),
  });

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    socket.on('unexpected-response', (request: ClientRequest, response: IncomingMessage) => {
      response.resume();
      fail(new OcppHandshakeError(`server answered HTTP ${response.statusCode} instead of upgrading`, response.statusCode));
      socket.terminate();
    });
    socket.on('error', (error: Error) => {
      // ws ≥ 8 aborts itself when the server picks no subprotocol ("Server sent no subprotocol").
      if (/subprotocol/i.test(error.message)) {
        fail(new OcppHandshakeError(`server agreed on none of the subprotocols ${protocols.join(', ')} (${error.message})`, 101));
      } else if (/handshake has timed out/i.test(error.message)) {
        fail(new OcppHandshakeError(`no handshake answer within ${handshakeTimeoutMs} ms`, undefined));
      } else fail(error);
    });
    socket.on('close', (code: number) => fail(new OcppHandshakeError(`closed during handshake (${code})`, undefined)));
    socket.once('open', () => {
      if (settled) return;
      // Older ws versions and other stacks go on silently without a subprotocol; refuse here too.
      if (protocols.length > 0 && socket.protocol === '') {
        fail(new OcppHandshakeError(`server agreed on none of the subprotocols ${protocols.join(', ')}`, 101));
        socket.close(1002, 'no subprotocol');
        return;
      }
      settled = true;
      socket.removeAllListeners('unexpected-response');
      resolve(createOcppConnection<In, Out, Ctx>(socket, rest));
    });
  });
}
