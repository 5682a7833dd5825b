import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OcppHandshakeError, connectOcpp } from '../../src/ocpp/index.ts';
import { closeAll, startServer, track } from './helpers.ts';

afterEach(closeAll);

describe('connectOcpp', () => {
  it('percent-encodes the identity into the URL and offers ocpp1.6', async () => {
    const { endpoint, requests } = await startServer();
    const connection = track(await connectOcpp(`${endpoint}/`, 'RDAM 123/ä'));
    expect(requests[0].url).toBe('/ocpp/RDAM%20123%2F%C3%A4');
    expect(requests[0].headers['sec-websocket-protocol']).toBe('ocpp1.6');
    expect(connection.socket.protocol).toBe('ocpp1.6');
  });

  it('sends HTTP Basic with the identity as user and a password that may hold ":" or raw bytes', async () => {
    const { endpoint, requests } = await startServer();
    track(await connectOcpp(endpoint, 'CP1', { basicAuth: { password: 'a:b:c' } }));
    const binary = Buffer.from([0x00, 0xff, 0x3a, 0x10]);
    track(await connectOcpp(endpoint, 'CP2', { basicAuth: { password: binary } }));

    const decode = (header: string | undefined) => Buffer.from(header!.replace(/^Basic /, ''), 'base64');
    expect(decode(requests[0].headers.authorization).toString()).toBe('CP1:a:b:c');
    expect(decode(requests[1].headers.authorization)).toEqual(Buffer.concat([Buffer.from('CP2:'), binary]));
  });

  it('rejects when the server completes the handshake without agreeing on ocpp1.6', async () => {
    const { endpoint } = await startServer({}, { handleProtocols: () => false });
    const error = await connectOcpp(endpoint, 'CP1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcppHandshakeError);
    expect((error as Error).message).toMatch(/none of the subprotocols ocpp1\.6/);
  });

  for (const status of [404, 401]) {
    it(`rejects with the status code when the server answers HTTP ${status}`, async () => {
      const server: Server = createServer();
      server.on('upgrade', (_request, socket) => {
        socket.end(`HTTP/1.1 ${status} Nope\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const error = await connectOcpp(`ws://127.0.0.1:${port}/ocpp`, 'CP-unknown').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OcppHandshakeError);
        expect(error).toMatchObject({ statusCode: status });
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});
