import { describe, expect, it } from 'vitest';
import {
  MessageType, OCPP_ERROR_CODES, OcppError, decodeFrame, encodeCall, encodeCallError, encodeCallResult,
} from '../../src/ocpp/index.ts';
import { aBootNotification } from '../../src/ocpp/builders.ts';

describe('encoders', () => {
  it('round-trips a CALL, a CALLRESULT and a CALLERROR', () => {
    const payload = aBootNotification({ chargePointModel: 'Ünïcødé "quoted"' });
    expect(decodeFrame(encodeCall('id-1', 'BootNotification', payload))).toEqual({
      type: 'call', messageId: 'id-1', action: 'BootNotification', payload,
    });
    expect(decodeFrame(encodeCallResult('id-2', { status: 'Accepted' }))).toEqual({
      type: 'result', messageId: 'id-2', payload: { status: 'Accepted' },
    });
    expect(decodeFrame(encodeCallError('id-3', 'NotSupported', 'no', { hint: 1 }))).toEqual({
      type: 'error', messageId: 'id-3', code: 'NotSupported', description: 'no', details: { hint: 1 },
    });
  });

  it('writes empty payloads as {} and empty descriptions as "" (J §4)', () => {
    expect(JSON.parse(encodeCall('a', 'Heartbeat', {}))).toEqual([MessageType.CALL, 'a', 'Heartbeat', {}]);
    expect(JSON.parse(encodeCallResult('b'))).toEqual([3, 'b', {}]);
    expect(JSON.parse(encodeCallError('c', 'GenericError'))).toEqual([4, 'c', 'GenericError', '', {}]);
  });

  it('turns an OcppError into its CALLERROR frame', () => {
    expect(new OcppError('SecurityError', 'not accepted').asCallError('x')).toEqual([4, 'x', 'SecurityError', 'not accepted', {}]);
  });

  it('knows exactly the ten 1.6 error codes, with the errata spellings', () => {
    expect([...OCPP_ERROR_CODES].sort()).toEqual([
      'FormationViolation', 'GenericError', 'InternalError', 'NotImplemented', 'NotSupported',
      'OccurenceConstraintViolation', 'PropertyConstraintViolation', 'ProtocolError', 'SecurityError',
      'TypeConstraintViolation',
    ]);
  });

  it('maps a 2.x code received from a peer to GenericError but keeps what was sent', () => {
    const error = OcppError.fromCallError('FormatViolation', 'too long', {});
    expect(error.code).toBe('GenericError');
    expect(error.receivedCode).toBe('FormatViolation');
  });
});

describe('decodeFrame on broken input', () => {
  const cases: Array<[string, string, { messageType: number | null; messageId: string | null; code: string }]> = [
    ['invalid JSON', '[2, "a", "Heartbeat", {', { messageType: null, messageId: null, code: 'FormationViolation' }],
    ['an object', '{"a":1}', { messageType: null, messageId: null, code: 'FormationViolation' }],
    ['a string message type', '["2","a","Heartbeat",{}]', { messageType: null, messageId: null, code: 'FormationViolation' }],
    ['a numeric id', '[2,17,"Heartbeat",{}]', { messageType: 2, messageId: null, code: 'FormationViolation' }],
    ['a CALL without payload', '[2,"a","Heartbeat"]', { messageType: 2, messageId: 'a', code: 'ProtocolError' }],
    ['a CALL with an extra element', '[2,"a","Heartbeat",{},{}]', { messageType: 2, messageId: 'a', code: 'FormationViolation' }],
    ['a numeric action', '[2,"a",5,{}]', { messageType: 2, messageId: 'a', code: 'FormationViolation' }],
    ['a null payload', '[2,"a","Heartbeat",null]', { messageType: 2, messageId: 'a', code: 'FormationViolation' }],
    ['an array payload', '[2,"a","Heartbeat",[]]', { messageType: 2, messageId: 'a', code: 'FormationViolation' }],
    ['a CALLRESULT with null payload', '[3,"a",null]', { messageType: 3, messageId: 'a', code: 'FormationViolation' }],
    ['a CALLERROR with a numeric code', '[4,"a",5,"",{}]', { messageType: 4, messageId: 'a', code: 'FormationViolation' }],
    ['a CALLERROR without details', '[4,"a","GenericError",""]', { messageType: 4, messageId: 'a', code: 'ProtocolError' }],
  ];

  it.each(cases)('rejects %s', (_name, text, expected) => {
    expect(decodeFrame(text)).toMatchObject({ type: 'invalid', ...expected });
  });

  it('rejects a message id longer than 36 characters but recovers it to answer (JE §3.1)', () => {
    const id = 'x'.repeat(37);
    expect(decodeFrame(`[2,"${id}","Heartbeat",{}]`)).toMatchObject({
      type: 'invalid', messageType: 2, messageId: id, code: 'FormationViolation',
    });
    expect(decodeFrame(`[2,"${'x'.repeat(36)}","Heartbeat",{}]`)).toMatchObject({ type: 'call' });
  });

  it('ignores an unknown message type number (J §4.1.3)', () => {
    expect(decodeFrame('[5,"a","Heartbeat",{}]')).toMatchObject({ type: 'ignored' });
    expect(decodeFrame('[6,"a",{}]')).toMatchObject({ type: 'ignored' });
  });

  it('accepts a CALLERROR whose details are null, reading them as {}', () => {
    expect(decodeFrame('[4,"a","GenericError","x",null]')).toMatchObject({ type: 'error', details: {} });
  });
});
