import { afterEach, describe, expect, it } from 'vitest';
import {
  OcppAnswerInvalidError, OcppError, OcppRequestInvalidError, OcppTimeoutError, connectOcpp, type OcppMessageInfo, type OcppProtocolErrorInfo,
} from '../../src/ocpp/index.ts';
import { aBootNotification, aMeterValues, aRemoteStartTransaction, aStartTransaction } from '../../src/ocpp/builders.ts';
import { closeAll, connectRaw, startServer, track } from './helpers.ts';

afterEach(closeAll);

const heartbeatAnswer = () => ({ currentTime: new Date().toISOString() });

describe('outgoing CALLs', () => {
  it('sends [2, id, action, payload] and resolves with the CALLRESULT payload', async () => {
    const { endpoint, nextConnection } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    const answer = csms.call('RemoteStartTransaction', aRemoteStartTransaction({ idTag: 'ABC' }));
    const [type, id, action, payload] = await peer.nextFrame();
    expect([type, action, payload]).toEqual([2, 'RemoteStartTransaction', { idTag: 'ABC', connectorId: 1 }]);
    expect(typeof id === 'string' && id.length <= 36).toBe(true);
    peer.send([3, id, { status: 'Accepted' }]);
    await expect(answer).resolves.toEqual({ status: 'Accepted' });
  });

  it('keeps one CALL outstanding and sends the next only after the answer (J §4.1.1)', async () => {
    const { endpoint, nextConnection } = await startServer({ handlers: { Heartbeat: heartbeatAnswer } });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    const answers = [1, 2, 3].map((transactionId) => csms.call('RemoteStopTransaction', { transactionId }));
    const first = await peer.nextFrame();
    await peer.roundTrip();
    expect(peer.received).toHaveLength(1);
    expect(csms.pendingCalls).toBe(3);

    peer.send([3, first[1], { status: 'Accepted' }]);
    const second = await peer.nextFrame();
    expect(second[3]).toEqual({ transactionId: 2 });
    await peer.roundTrip();
    expect(peer.received).toHaveLength(2);

    peer.send([3, second[1], { status: 'Rejected' }]);
    const third = await peer.nextFrame();
    peer.send([3, third[1], { status: 'Accepted' }]);
    await expect(Promise.all(answers)).resolves.toEqual([{ status: 'Accepted' }, { status: 'Rejected' }, { status: 'Accepted' }]);
    expect(new Set([first[1], second[1], third[1]]).size).toBe(3);
  });

  it('lets CALLs of both directions cross, even when a handler waits on its own CALL', async () => {
    const { endpoint, nextConnection } = await startServer();
    const chargePoint = track(await connectOcpp(endpoint, 'CP1'));
    const csms = await nextConnection();
    csms.handle('BootNotification', async () => {
      // The charge point is waiting for this answer while we wait for its answer to ours.
      const config = await csms.call('GetConfiguration', { key: ['HeartbeatInterval'] });
      return { status: 'Accepted', currentTime: new Date().toISOString(), interval: config.configurationKey?.length ?? 0 };
    });
    chargePoint.handle('GetConfiguration', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }] };
    });
    csms.handle('Heartbeat', heartbeatAnswer);
    chargePoint.handle('ClearCache', () => ({ status: 'Accepted' }));

    const [boot, heartbeat, cleared] = await Promise.all([
      chargePoint.call('BootNotification', aBootNotification()),
      chargePoint.call('Heartbeat', {}),
      csms.call('ClearCache', {}),
    ]);
    expect(boot).toMatchObject({ status: 'Accepted', interval: 1 });
    expect(heartbeat.currentTime).toEqual(expect.any(String));
    expect(cleared).toEqual({ status: 'Accepted' });
  });

  it('rejects with OcppTimeoutError, moves on to the next CALL and reports a late answer', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const { endpoint, nextConnection } = await startServer({
      callTimeoutMs: 50,
      onProtocolError: (info) => protocolErrors.push(info),
      handlers: { Heartbeat: heartbeatAnswer },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    const late = csms.call('Reset', { type: 'Soft' });
    const next = csms.call('Reset', { type: 'Hard' });
    const [, lateId] = await peer.nextFrame();
    await expect(late).rejects.toBeInstanceOf(OcppTimeoutError);
    const [, nextId, , payload] = await peer.nextFrame();
    expect(payload).toEqual({ type: 'Hard' });

    peer.send([3, lateId, { status: 'Accepted' }]);
    peer.send([3, nextId, { status: 'Rejected' }]);
    await expect(next).resolves.toEqual({ status: 'Rejected' });
    expect(protocolErrors).toEqual([expect.objectContaining({ kind: 'unexpected-response', messageId: lateId })]);
  });

  it('rejects with the OcppError the peer answered', async () => {
    const { endpoint, nextConnection } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    const answer = csms.call('UnlockConnector', { connectorId: 2 });
    const [, id] = await peer.nextFrame();
    peer.send([4, id, 'NotSupported', 'no lock on this one', { connector: 2 }]);
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OcppError);
    // A CALLERROR is neither of the errors for payloads that break the schema.
    expect(error).not.toBeInstanceOf(OcppAnswerInvalidError);
    expect(error).not.toBeInstanceOf(OcppRequestInvalidError);
    expect(error).toMatchObject({ code: 'NotSupported', description: 'no lock on this one', details: { connector: 2 } });
  });

  it('refuses to send a request that breaks the schema, and rejects an answer that does', async () => {
    const { endpoint, nextConnection } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    const refused = await csms.call('Reset', { type: 'Sideways' as never }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OcppRequestInvalidError);
    expect(refused).toMatchObject({ action: 'Reset', code: 'PropertyConstraintViolation', field: 'type' });
    const answer = csms.call('Reset', { type: 'Soft' });
    // The refused CALL never went out: the first frame the peer sees is this one.
    const [, id, action, payload] = await peer.nextFrame();
    expect([action, payload]).toEqual(['Reset', { type: 'Soft' }]);
    peer.send([3, id, { status: 'Maybe' }]);
    const invalid = await answer.catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(OcppAnswerInvalidError);
    expect(invalid).toMatchObject({ action: 'Reset', code: 'PropertyConstraintViolation', answer: { status: 'Maybe' } });
    expect(csms.pendingCalls).toBe(0);
  });
});

describe('incoming CALLs', () => {
  it('answers NotImplemented for a non-1.6 action and NotSupported for a 1.6 one without handler', async () => {
    const { endpoint } = await startServer();
    const peer = await connectRaw(`${endpoint}/CP1`);
    peer.send([2, 'a', 'NotifyReport', {}]);
    peer.send([2, 'b', 'DiagnosticsStatusNotification', { status: 'Idle' }]);
    expect(await peer.nextFrame()).toEqual([4, 'a', 'NotImplemented', '"NotifyReport" is not an OCPP 1.6 action', {}]);
    expect((await peer.nextFrame()).slice(0, 3)).toEqual([4, 'b', 'NotSupported']);
  });

  it('answers an OcppError with its code and any other error with a bare InternalError', async () => {
    const handlerErrors: unknown[] = [];
    const { endpoint } = await startServer({
      onHandlerError: (error) => handlerErrors.push(error),
      handlers: {
        Authorize: () => { throw new OcppError('SecurityError', 'not accepted yet'); },
        Heartbeat: async () => { throw new Error('db password is hunter2'); },
      },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    peer.send([2, 'a', 'Authorize', { idTag: 'T' }]);
    peer.send([2, 'b', 'Heartbeat', {}]);
    expect(await peer.nextFrame()).toEqual([4, 'a', 'SecurityError', 'not accepted yet', {}]);
    const internal = await peer.nextFrame();
    expect(internal.slice(0, 3)).toEqual([4, 'b', 'InternalError']);
    expect(JSON.stringify(internal)).not.toContain('hunter2');
    expect(handlerErrors).toEqual([expect.objectContaining({ message: 'db password is hunter2' })]);
  });

  it('validates requests strictly by default and leniently once switched, per connection', async () => {
    const warnings: string[][] = [];
    const seen: string[] = [];
    const { endpoint, nextConnection } = await startServer({
      onValidationWarning: (_action, _id, list) => warnings.push([...list]),
      handlers: { StatusNotification: (req) => { seen.push(req.status); return {}; } },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();
    const odd = { connectorId: 1, errorCode: 'NoError', status: 'Occupied' };

    peer.send([2, 'a', 'StatusNotification', odd]);
    expect(await peer.nextFrame()).toEqual([4, 'a', 'PropertyConstraintViolation', expect.stringContaining('"status" must be one of'), {}]);
    peer.send([2, 'b', 'StatusNotification', { connectorId: 1, status: 'Available' }]);
    expect(await peer.nextFrame()).toEqual([4, 'b', 'OccurenceConstraintViolation', '"errorCode" is required', {}]);

    csms.lenient = true;
    peer.send([2, 'c', 'StatusNotification', odd]);
    expect(await peer.nextFrame()).toEqual([3, 'c', {}]);
    expect(seen).toEqual(['Occupied']);
    expect(warnings).toEqual([[expect.stringContaining('"status" must be one of Available')]]);
  });

  it('answers InternalError instead of sending a response that breaks the schema', async () => {
    const protocolErrors: OcppProtocolErrorInfo[] = [];
    const { endpoint } = await startServer({
      onProtocolError: (info) => protocolErrors.push(info),
      handlers: { Authorize: () => ({ idTagInfo: { status: 'Fine' } }) as never },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    peer.send([2, 'a', 'Authorize', { idTag: 'T' }]);
    expect((await peer.nextFrame()).slice(0, 3)).toEqual([4, 'a', 'InternalError']);
    expect(protocolErrors).toEqual([expect.objectContaining({ kind: 'invalid-own-response', action: 'Authorize' })]);
  });

  it('handles CALLs one at a time in arrival order, answering StartTransaction before the next MeterValues', async () => {
    const events: string[] = [];
    const { endpoint } = await startServer({
      handlers: {
        StartTransaction: async () => {
          events.push('start:begin');
          await new Promise((resolve) => setTimeout(resolve, 30));
          events.push('start:end');
          return { transactionId: 42, idTagInfo: { status: 'Accepted' } };
        },
        MeterValues: (req) => { events.push(`meter:${req.transactionId}`); return {}; },
      },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    peer.send([2, 's', 'StartTransaction', aStartTransaction()]);
    peer.send([2, 'm', 'MeterValues', aMeterValues({ transactionId: 42 })]);
    expect(await peer.nextFrame()).toEqual([3, 's', { transactionId: 42, idTagInfo: { status: 'Accepted' } }]);
    expect(await peer.nextFrame()).toEqual([3, 'm', {}]);
    expect(events).toEqual(['start:begin', 'start:end', 'meter:42']);
  });
});

describe('onMessage', () => {
  it('reports every frame both ways, with the answered action and the latency on answers', async () => {
    const seen: OcppMessageInfo[] = [];
    const { endpoint, nextConnection } = await startServer({
      onMessage: (info) => seen.push(info),
      handlers: {
        Heartbeat: async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return heartbeatAnswer();
        },
      },
    });
    const peer = await connectRaw(`${endpoint}/CP1`);
    const csms = await nextConnection();

    peer.send([2, 'hb', 'Heartbeat', {}]);
    await peer.nextFrame();
    const reset = csms.call('Reset', { type: 'Soft' });
    const [, id] = await peer.nextFrame();
    await new Promise((resolve) => setTimeout(resolve, 15));
    peer.send([3, id, { status: 'Accepted' }]);
    await reset;

    expect(seen.map((i) => [i.direction, i.messageType, i.action])).toEqual([
      ['in', 2, 'Heartbeat'], ['out', 3, 'Heartbeat'], ['out', 2, 'Reset'], ['in', 3, 'Reset'],
    ]);
    expect(seen[0].latencyMs).toBeNull();
    expect(seen[1].latencyMs).toBeGreaterThanOrEqual(19);
    expect(seen[3].latencyMs).toBeGreaterThanOrEqual(14);
    expect(seen[3]).toMatchObject({ messageId: id, payload: { status: 'Accepted' } });
  });
});
