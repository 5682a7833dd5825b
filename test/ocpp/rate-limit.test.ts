import { afterEach, describe, expect, it } from 'vitest';
import type { OcppFloodInfo, OcppMessageInfo, OcppProtocolErrorInfo } from '../../src/ocpp/index.ts';
import { FrameLimiter, peekCallId } from '../../src/ocpp/rate-limit.ts';
import { closeAll, connectRaw, startServer, type RawPeer } from './helpers.ts';

afterEach(closeAll);

const heartbeatAnswer = () => ({ currentTime: new Date().toISOString() });

/** Sends `frame()` in batches every 10 ms until the socket closes; resolves with the close code and reason. */
function flood(peer: RawPeer, frame: (i: number) => string): Promise<{ code: number; reason: string; sent: number }> {
  let sent = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < 50 && peer.socket.readyState === peer.socket.OPEN; k++) peer.socket.send(frame(sent++));
  }, 10);
  return new Promise((resolve) => {
    peer.socket.once('close', (code, reason) => {
      clearInterval(timer);
      resolve({ code, reason: reason.toString(), sent });
    });
  });
}

describe('rate limit on every frame', () => {
  it('counts answers and broken frames against the same bucket as CALLs, and reports only those within it', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const messages: OcppMessageInfo[] = [];
    const { endpoint } = await startServer({
      rateLimit: { perSecond: 1, burst: 3, closeAfterSeconds: 0 },
      handlers: { Heartbeat: heartbeatAnswer },
      onProtocolError: (info) => protocolErrors.push(info),
      onMessage: (info) => messages.push(info),
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    for (let i = 0; i < 3; i++) peer.send([3, `x${i}`, {}]);
    peer.send('not json');
    peer.send([4, 'y', 'GenericError', '', {}]);
    peer.send([2, 'h1', 'Heartbeat', {}]);

    expect(await peer.nextFrame()).toEqual([4, 'h1', 'GenericError', 'rate limit exceeded', {}]);
    expect(protocolErrors.map((e) => [e.kind, e.messageId])).toEqual([
      ['unexpected-response', 'x0'], ['unexpected-response', 'x1'], ['unexpected-response', 'x2'],
    ]);
    expect(messages.map((m) => m.messageId)).toEqual(['x0', 'x1', 'x2']);
  });

  it('drops a CALL over the limit unanswered while too much waits in the send buffer', async () => {
    const { endpoint } = await startServer({
      rateLimit: { perSecond: 1, burst: 2, closeAfterSeconds: 0, maxBufferedBytes: 0 },
      handlers: { Heartbeat: heartbeatAnswer },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    for (let i = 0; i < 4; i++) peer.send([2, `h${i}`, 'Heartbeat', {}]);
    expect((await peer.nextFrame())[1]).toBe('h0');
    expect((await peer.nextFrame())[1]).toBe('h1');
    await new Promise((r) => setTimeout(r, 1100)); // one token back
    peer.send([2, 'h4', 'Heartbeat', {}]);
    // Frames are handled in order: h4's answer comes after whatever h2 and h3 got, which is nothing.
    expect((await peer.nextFrame())[1]).toBe('h4');
    expect(peer.received.map((f) => (f as unknown[])[1])).toEqual(['h0', 'h1', 'h4']);
  });

  it('completes a close handshake while the socket is paused for excess', async () => {
    const { endpoint, nextConnection } = await startServer({ rateLimit: { perSecond: 1, burst: 1, closeAfterSeconds: 0 } });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const server = await nextConnection();
    peer.send([3, 'x', {}]);
    peer.send([2, 'h1', 'Heartbeat', {}]);
    expect(await peer.nextFrame()).toEqual([4, 'h1', 'GenericError', 'rate limit exceeded', {}]);
    // Paused now: our close frame goes out, and the peer's answer must still be read (not 1006 after 30 s).
    const closed = new Promise<number>((resolve) => server.socket.once('close', resolve));
    server.close(1000, 'bye');
    expect(await closed).toBe(1000);
  }, 10_000);

  const kinds: [string, (i: number) => string][] = [
    ['CALLRESULT to an unknown id', () => '[3,"x",{}]'],
    ['CALLERROR', (i) => `[4,"e${i}","GenericError","",{}]`],
    ['CALL', (i) => `[2,"c${i}","Heartbeat",{}]`],
    ['undecodable frame', () => 'not json'],
    ['ignored message type', () => '[7,"x",{}]'],
  ];
  it.each(kinds)('closes a connection flooding %s with 1008 after a sustained excess, reporting it once', async (_kind, frame) => {
    const floods: OcppFloodInfo[] = [];
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const { endpoint, nextConnection } = await startServer({
      rateLimit: { perSecond: 20, burst: 20, closeAfterSeconds: 2 },
      handlers: { Heartbeat: heartbeatAnswer },
      onFlood: (info) => floods.push(info),
      onProtocolError: (info) => protocolErrors.push(info),
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const server = await nextConnection();
    const closed = await flood(peer, frame);

    expect(closed).toMatchObject({ code: 1008, reason: 'rate limit exceeded' });
    expect(server.isClosed).toBe(true);
    expect(floods).toHaveLength(1);
    const [info] = floods;
    expect(info.excessSeconds).toBe(2);
    expect(info.limitPerSecond).toBe(20);
    expect(info.framesOverLimit).toBeGreaterThan(0);
    expect(info.framesReceived).toBeLessThanOrEqual(closed.sent);
    expect(info.framesReceived - info.framesOverLimit).toBeGreaterThanOrEqual(20);
    // Only frames within the limit are reported one by one.
    expect(protocolErrors.length).toBeLessThanOrEqual(info.framesReceived - info.framesOverLimit);
    if (frame(0).startsWith('[2,"c')) {
      expect(info.callsRefused).toBeGreaterThan(0);
      expect(peer.received).toContainEqual([4, expect.any(String), 'GenericError', 'rate limit exceeded', {}]);
    } else {
      expect(info.callsRefused).toBe(0);
    }
  });
});

describe('FrameLimiter', () => {
  /** Feeds `perSecond` frames, evenly spread, in each of `seconds` seconds from `start` ms. */
  function feed(limiter: FrameLimiter, start: number, seconds: number, perSecond: number): boolean {
    let closing = false;
    for (let s = 0; s < seconds; s++) {
      for (let k = 0; k < perSecond; k++) {
        const now = start + s * 1000 + (k * 1000) / perSecond;
        if (!limiter.take(now) && limiter.excess(now)) closing = true;
      }
    }
    return closing;
  }

  it('asks to close only after closeAfterSeconds consecutive seconds in excess', () => {
    const limiter = new FrameLimiter({ perSecond: 10, burst: 10, closeAfterSeconds: 3 });
    expect(feed(limiter, 0, 2, 100)).toBe(false);
    expect(feed(limiter, 2000, 1, 100)).toBe(true);
    expect(limiter.floodInfo(3000)).toMatchObject({ excessSeconds: 3, limitPerSecond: 10, callsRefused: 0 });
  });

  it('starts over after a second without excess', () => {
    const limiter = new FrameLimiter({ perSecond: 10, burst: 10, closeAfterSeconds: 3 });
    expect(feed(limiter, 0, 2, 100)).toBe(false);
    // Second 2: nothing arrives.
    expect(feed(limiter, 3000, 2, 100)).toBe(false);
    expect(feed(limiter, 5000, 1, 100)).toBe(true);
  });

  it('counts a second only once minExcessPerSecond frames of it were over', () => {
    const limiter = new FrameLimiter({ perSecond: 10, burst: 10, closeAfterSeconds: 2, minExcessPerSecond: 50 });
    expect(feed(limiter, 0, 5, 40)).toBe(false);
    expect(feed(limiter, 5000, 2, 100)).toBe(true);
  });

  it('never asks to close with closeAfterSeconds 0, yet still limits', () => {
    const limiter = new FrameLimiter({ perSecond: 10, burst: 10, closeAfterSeconds: 0 });
    expect(feed(limiter, 0, 30, 1000)).toBe(false);
    expect(limiter.overLimit).toBeGreaterThan(29_000);
  });

  it('reports the rate over the seconds in excess', () => {
    const limiter = new FrameLimiter({ perSecond: 10, burst: 10, closeAfterSeconds: 2 });
    feed(limiter, 0, 2, 1000);
    expect(limiter.floodInfo(2000).framesPerSecond).toBeGreaterThan(900);
    expect(limiter.floodInfo(2000).framesPerSecond).toBeLessThan(1100);
  });
});

describe('peekCallId', () => {
  const peek = (text: string) => peekCallId(Buffer.from(text));
  it('reads the id of anything that starts like a CALL', () => {
    expect(peek('[2,"abc","Heartbeat",{}]')).toBe('abc');
    expect(peek(' [ 2 ,\n "id-1" , "x"')).toBe('id-1');
    expect(peek('[2,"","Heartbeat",{}]')).toBe('');
    expect(peek('[2,"ünï","Heartbeat",{}]')).toBe('ünï');
  });
  it('gives null for other frames and for ids it cannot read cheaply', () => {
    for (const text of ['[3,"x",{}]', '[22,"x"]', '[2,x]', '{"a":1}', '[2,"esc\\"aped","H",{}]', `[2,"${'i'.repeat(37)}","H",{}]`, '[2,"unterminated', '']) {
      expect(peek(text)).toBeNull();
    }
  });
});
