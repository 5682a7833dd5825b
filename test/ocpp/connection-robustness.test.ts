import { afterEach, describe, expect, it } from 'vitest';
import {
  OcppAnswerInvalidError, OcppConnectionClosedError, connectOcpp, type OcppMessageInfo, type OcppProtocolErrorInfo,
} from '../../src/ocpp/index.ts';
import { aBootNotification, aDataTransfer } from '../../src/ocpp/builders.ts';
import { closeAll, connectRaw, deferred, startServer, track } from './helpers.ts';

afterEach(closeAll);

const heartbeatAnswer = () => ({ currentTime: new Date().toISOString() });

describe('bad input', () => {
  it('answers broken CALLs that carry an id, stays silent otherwise and keeps the connection', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const messages: OcppMessageInfo[] = [];
    const { endpoint } = await startServer({
      onProtocolError: (info) => protocolErrors.push(info),
      onMessage: (info) => messages.push(info),
      handlers: { Heartbeat: heartbeatAnswer },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const longId = 'L'.repeat(37);
    for (const text of [
      'not json', '{"an":"object"}', '[5,"x","Heartbeat",{}]', '[3,"nobody-asked",{}]',
      `[2,"${longId}","Heartbeat",{}]`, '[2,"short","Heartbeat"]', '[2,"nul","Heartbeat",null]',
    ]) peer.send(text);
    await peer.roundTrip();

    expect(peer.received).toEqual([
      [4, longId, 'FormationViolation', 'message id is longer than 36 characters', {}],
      [4, 'short', 'ProtocolError', expect.stringContaining('needs 4 elements'), {}],
      [4, 'nul', 'FormationViolation', 'payload is not a JSON object', {}],
    ]);
    expect(protocolErrors.map((e) => [e.kind, e.code])).toEqual([
      ['invalid-frame', 'FormationViolation'],
      ['invalid-frame', 'FormationViolation'],
      ['ignored-frame', null],
      ['unexpected-response', null],
      ['invalid-frame', 'FormationViolation'],
      ['invalid-frame', 'ProtocolError'],
      ['invalid-frame', 'FormationViolation'],
    ]);
    expect(messages.filter((m) => m.messageType === 0).map((m) => m.raw)).toContain('not json');
  });

  it('treats a malformed answer to our CALL as answered with the decoding error', async () => {
    const { endpoint, nextConnection } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();
    const answer = csms.call('ClearCache', {});
    const [, id] = await peer.nextFrame();
    peer.send(`[3,"${id}",null]`);
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcppAnswerInvalidError);
    expect(error).toMatchObject({ code: 'FormationViolation', action: 'ClearCache', answer: `[3,"${id}",null]` });
    expect(csms.pendingCalls).toBe(0);
  });

  it('answers GenericError to CALLs beyond maxQueuedCalls while the queued ones are all answered', async () => {
    const release = deferred();
    const { endpoint } = await startServer({
      maxQueuedCalls: 3,
      handlers: {
        DataTransfer: async () => {
          await release.promise;
          return { status: 'Accepted' };
        },
      },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    for (let i = 0; i < 6; i++) peer.send([2, `d${i}`, 'DataTransfer', aDataTransfer()]);

    const rejected = [await peer.nextFrame(), await peer.nextFrame(), await peer.nextFrame()];
    expect(rejected).toEqual(['d3', 'd4', 'd5'].map((id) => [4, id, 'GenericError', 'too many pending requests', {}]));
    release.resolve();
    const answered = [await peer.nextFrame(), await peer.nextFrame(), await peer.nextFrame()];
    expect(answered).toEqual(['d0', 'd1', 'd2'].map((id) => [3, id, { status: 'Accepted' }]));
  });

  it('answers GenericError to CALLs beyond the rate limit', async () => {
    const { endpoint } = await startServer({
      rateLimit: { perSecond: 1, burst: 2 },
      handlers: { Heartbeat: heartbeatAnswer },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    for (let i = 0; i < 4; i++) peer.send([2, `h${i}`, 'Heartbeat', {}]);
    const frames = [await peer.nextFrame(), await peer.nextFrame(), await peer.nextFrame(), await peer.nextFrame()];
    const byId = Object.fromEntries(frames.map((f) => [f[1], f[0]]));
    expect(byId).toEqual({ h0: 3, h1: 3, h2: 4, h3: 4 });
  });

  it('sends raw text unchanged, so a simulator can provoke a CSMS', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const { endpoint } = await startServer({ onProtocolError: (info) => protocolErrors.push(info) });
    const chargePoint = track(await connectOcpp(endpoint, 'CP1'));
    chargePoint.sendRaw('[2,"oops","Heartbeat"');
    await expect(chargePoint.call('Heartbeat', {})).rejects.toMatchObject({ code: 'NotSupported' });
    expect(protocolErrors).toEqual([expect.objectContaining({ kind: 'invalid-frame', raw: '[2,"oops","Heartbeat"' })]);
  });
});

describe('closing', () => {
  it('rejects the outstanding and queued CALLs when the peer goes away', async () => {
    const { endpoint, nextConnection } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();
    const calls = [csms.call('ClearCache', {}), csms.call('Reset', { type: 'Hard' })];
    await peer.nextFrame();
    peer.socket.close(4000, 'bye');
    for (const call of calls) {
      await expect(call).rejects.toBeInstanceOf(OcppConnectionClosedError);
    }
    expect(csms.isClosed).toBe(true);
    await expect(csms.call('ClearCache', {})).rejects.toBeInstanceOf(OcppConnectionClosedError);
  });

  it('rejects pending CALLs at once on a local close', async () => {
    const { endpoint } = await startServer();
    const chargePoint = track(await connectOcpp(endpoint, 'CP1'));
    const boot = chargePoint.call('BootNotification', aBootNotification());
    const heartbeat = chargePoint.call('Heartbeat', {});
    chargePoint.close(1000, 'shutting down');
    await expect(boot).rejects.toThrow(/connection closed/);
    await expect(heartbeat).rejects.toBeInstanceOf(OcppConnectionClosedError);
  });

  it('survives a frame over maxPayload: the socket closes with 1009 and pending CALLs reject', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const { endpoint } = await startServer({ onProtocolError: (info) => protocolErrors.push(info) }, { maxPayload: 1024 });
    const chargePoint = track(await connectOcpp(endpoint, 'CP1'));
    const closed = new Promise<number>((resolve) => chargePoint.socket.once('close', resolve));
    const call = chargePoint.call('DataTransfer', aDataTransfer({ data: 'x'.repeat(4096) }));
    await expect(call).rejects.toBeInstanceOf(OcppConnectionClosedError);
    expect(await closed).toBe(1009);
    expect(protocolErrors).toEqual([expect.objectContaining({ kind: 'socket-error' })]);
  });
});
