/** A bare WebSocket charger for sending frames byte for byte and reading exactly what comes back. */
import WebSocket from 'ws';
import { MessageType } from '../../src/ocpp/index.ts';

export interface RawCharger {
  ws: WebSocket;
  send(frame: unknown): void;
  sendText(text: string): void;
  /** The next frame from the server, parsed; rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<unknown[]>;
  /** Resolves true if no frame arrives within `ms`. */
  silentFor(ms: number): Promise<boolean>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export function openRawCharger(ocppUrl: string, identity: string, protocols: string[] = ['ocpp1.6'], headers: Record<string, string> = {}): Promise<RawCharger> {
  const ws = new WebSocket(`${ocppUrl}/${encodeURIComponent(identity)}`, protocols, { headers });
  const inbox: unknown[][] = [];
  const waiters: ((f: unknown[]) => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as unknown[];
    const w = waiters.shift();
    if (w) w(frame);
    else inbox.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('open', () =>
      resolve({
        ws,
        closed,
        send: (frame) => ws.send(JSON.stringify(frame)),
        sendText: (text) => ws.send(text),
        next(timeoutMs = 2000) {
          const queued = inbox.shift();
          if (queued) return Promise.resolve(queued);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error('no frame from the server')), timeoutMs);
            waiters.push((f) => {
              clearTimeout(t);
              res(f);
            });
          });
        },
        async silentFor(ms) {
          if (inbox.length) return false;
          await new Promise((r) => setTimeout(r, ms));
          return inbox.length === 0;
        },
        close: () => ws.close(),
      }),
    );
  });
}

/** Opens a raw charger and gets its BootNotification accepted. */
export async function bootedRawCharger(ocppUrl: string, identity: string): Promise<RawCharger> {
  const c = await openRawCharger(ocppUrl, identity);
  c.send([MessageType.CALL, 'boot-1', 'BootNotification', { chargePointVendor: 'Raw', chargePointModel: 'R1' }]);
  const answer = await c.next();
  if ((answer[2] as { status: string }).status !== 'Accepted') throw new Error(`boot not accepted: ${JSON.stringify(answer)}`);
  return c;
}
