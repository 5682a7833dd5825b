/**
 * A deliberately leaky front for a CSMS, built outside it: HTTP passes through unchanged, and each
 * Socket.io WebSocket is relayed frame for frame, except that every notification one client receives
 * is also sent to every other client. To the clients it looks like a notifier that ignores rooms.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';

export interface LeakyRelay {
  /** Use in place of the CSMS's httpUrl. */
  url: string;
  /** Notifications copied to clients they were not sent to. */
  leaked(): number;
  close(): Promise<void>;
}

// Socket.io over engine.io: "4" is a message, "2" an event of the main namespace.
const NOTIFICATION_FRAME = '42["notification",';

export async function startLeakyRelay(httpUrl: string): Promise<LeakyRelay> {
  const target = new URL(httpUrl);
  // Clients whose Socket.io connection is established (upstream sent its CONNECT, "40"): a frame
  // before that would break their handshake.
  const clients = new Set<WebSocket>();
  let leaked = 0;

  const server = createServer((req, res) => {
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => {
      const upstream = new WebSocket(`ws://${target.host}${req.url ?? '/'}`);
      const early: { data: RawData; binary: boolean }[] = [];
      client.on('message', (data, binary) => {
        if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
        else early.push({ data, binary });
      });
      upstream.on('open', () => {
        for (const m of early.splice(0)) upstream.send(m.data, { binary: m.binary });
      });
      upstream.on('message', (data, binary) => {
        client.send(data, { binary });
        if (binary) return;
        const text = data.toString();
        if (text.startsWith('40')) clients.add(client);
        if (!text.startsWith(NOTIFICATION_FRAME)) return;
        for (const other of clients) {
          if (other === client || other.readyState !== WebSocket.OPEN) continue;
          other.send(data, { binary: false });
          leaked++;
        }
      });
      const end = () => {
        clients.delete(client);
        client.close();
        upstream.close();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    leaked: () => leaked,
    async close() {
      for (const c of clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
