/**
 * The flooding chargers of `bench/flood.ts`, in a process of their own so that their send loop
 * does not slow down the quiet chargers' measurement. Each connection sends one kind of frame as
 * fast as the socket takes it, for a bounded time, and reports how many it sent and when (if ever)
 * the CSMS closed it.
 */
import WebSocket from 'ws';
import { encodeCall, encodeCallError, encodeCallResult } from '../../src/ocpp/frames.ts';

export type FloodKind = 'result' | 'error' | 'call';

export interface FloodRequest {
  type: 'run';
  /** One `ws://127.0.0.1:…/ocpp/{id}` per flooding connection. */
  urls: string[];
  kind: FloodKind;
  durationS: number;
  /** Connect again when closed, until the time is up (an attacker would). */
  reconnect: boolean;
  /** Read what the CSMS sends (false: the socket is paused, as a peer that never reads). */
  read: boolean;
}

export interface FloodConnectionResult {
  url: string;
  sent: number;
  answers: number;
  connectedMs: number;
  closes: { atMs: number; code: number; reason: string }[];
}

const FRAMES: Record<FloodKind, (i: number) => string> = {
  result: () => encodeCallResult('x'),
  error: (i) => encodeCallError(`e${i}`, 'GenericError'),
  call: (i) => encodeCall(`c${i}`, 'Heartbeat'),
};
/** Frames handed to one socket per turn of the loop, and the send buffer we let build up. */
const BATCH = 500;
const HIGH_WATER = 256 * 1024;

function floodOne(url: string, req: FloodRequest, startedAt: number, until: number): Promise<FloodConnectionResult> {
  const frame = FRAMES[req.kind];
  const result: FloodConnectionResult = { url, sent: 0, answers: 0, connectedMs: 0, closes: [] };
  return new Promise((resolve) => {
    const connect = () => {
      const ws = new WebSocket(url, ['ocpp1.6'], { perMessageDeflate: false });
      let openedAt = 0;
      ws.on('message', () => result.answers++);
      ws.on('error', () => {}); // 'close' follows
      ws.on('open', () => {
        openedAt = performance.now();
        if (!req.read) ws.pause();
        const pump = () => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (performance.now() >= until) return ws.terminate();
          if (ws.bufferedAmount >= HIGH_WATER) return void setTimeout(pump, 1); // full: no busy loop on a shared CPU
          for (let k = 0; k < BATCH && ws.bufferedAmount < HIGH_WATER; k++) ws.send(frame(result.sent++));
          setImmediate(pump);
        };
        pump();
      });
      ws.on('close', (code, reason) => {
        const now = performance.now();
        if (openedAt > 0) result.connectedMs += now - openedAt;
        if (now < until) {
          result.closes.push({ atMs: Math.round(now - startedAt), code, reason: reason.toString() });
          if (req.reconnect) return void setTimeout(connect, 100);
        }
        resolve(result);
      });
    };
    connect();
  });
}

process.on('message', (req: FloodRequest) => {
  if (req.type !== 'run') return;
  const startedAt = performance.now();
  const until = startedAt + req.durationS * 1000;
  void Promise.all(req.urls.map((url) => floodOne(url, req, startedAt, until))).then((connections) => {
    process.send!({ type: 'done', connections });
  });
});
process.send!({ type: 'ready' }); // stays for the next run until the bench kills it
