/**
 * A bare OCPP-J peer over `ws`, not a charger: frames go out byte for byte and come back parsed, so
 * protocol tests and benchmarks can send what a well-behaved charger never would (bad JSON, floods,
 * answers to nothing) and see exactly what the CSMS sends back. Chargers that behave are SimCharger.
 */
import WebSocket from 'ws';
import { MessageType } from '../ocpp/frames.ts';

export interface RawPeer {
  readonly ws: WebSocket;
  /** Sends `frame` as JSON. */
  send(frame: unknown): void;
  /** Sends `text` as it is (it need not be JSON). */
  sendText(text: string): void;
  /** Sends a CALL and resolves with the frame that answers it (CALLRESULT or CALLERROR). */
  call(action: string, payload: unknown): Promise<unknown[]>;
  /** Every frame from the server that answers no `call()`, parsed, in order (`next()` takes from the same). */
  readonly received: unknown[][];
  /**
   * The next frame from the server that answers no `call()` and was not taken yet; rejects after
   * `timeoutMs` (default 30 s, which only reports a hang: a busy machine may answer late; Infinity: never).
   */
  next(timeoutMs?: number): Promise<unknown[]>;
  /** Resolves true if no frame arrives within `ms`. */
  silentFor(ms: number): Promise<boolean>;
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export interface RawPeerOptions {
  /** Subprotocols offered; default `['ocpp1.6']`. */
  protocols?: string[];
  headers?: Record<string, string>;
  /** Default false: a benchmark's thousand sockets need no compression state. */
  perMessageDeflate?: boolean;
  /** Takes the frames that answer no `call()` as they arrive, instead of `next()` (a benchmark's hot path). */
  onFrame?(frame: unknown[]): void;
}

/** Connects to `${ocppUrl}/${identity}`; rejects with the HTTP status when the upgrade is refused. */
export function openRawPeer(ocppUrl: string, identity: string, opts: RawPeerOptions = {}): Promise<RawPeer> {
  const ws = new WebSocket(`${ocppUrl}/${encodeURIComponent(identity)}`, opts.protocols ?? ['ocpp1.6'], {
    headers: opts.headers ?? {},
    perMessageDeflate: opts.perMessageDeflate ?? false,
  });
  const received: unknown[][] = [];
  const inbox: unknown[][] = [];
  const waiters: ((f: unknown[]) => void)[] = [];
  const calls = new Map<string, (f: unknown[]) => void>();
  let seq = 0;
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as unknown[];
    const answer = frame[0] !== MessageType.CALL ? calls.get(frame[1] as string) : undefined;
    if (answer) {
      calls.delete(frame[1] as string);
      return answer(frame);
    }
    if (opts.onFrame) return opts.onFrame(frame);
    received.push(frame);
    const w = waiters.shift();
    if (w) w(frame);
    else inbox.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const peer: RawPeer = {
    ws,
    closed,
    received,
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendText: (text) => ws.send(text),
    call(action, payload) {
      const id = `raw-${seq++}`;
      return new Promise((resolve) => {
        calls.set(id, resolve);
        ws.send(JSON.stringify([MessageType.CALL, id, action, payload]));
      });
    },
    next(timeoutMs = 30_000) {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const t = Number.isFinite(timeoutMs) ? setTimeout(() => reject(new Error('no frame from the server')), timeoutMs) : undefined;
        waiters.push((f) => {
          clearTimeout(t);
          resolve(f);
        });
      });
    },
    async silentFor(ms) {
      if (inbox.length) return false;
      await new Promise((r) => setTimeout(r, ms));
      return inbox.length === 0;
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('open', () => resolve(peer));
  });
}

/** Opens a raw peer and gets its BootNotification accepted. */
export async function bootRawPeer(ocppUrl: string, identity: string, opts: RawPeerOptions = {}): Promise<RawPeer> {
  const peer = await openRawPeer(ocppUrl, identity, opts);
  const answer = await peer.call('BootNotification', { chargePointVendor: 'Raw', chargePointModel: 'R1' });
  if ((answer[2] as { status?: string }).status !== 'Accepted') throw new Error(`boot not accepted: ${JSON.stringify(answer)}`);
  return peer;
}
