import type { OcppErrorCode } from './errors.ts';

/** OCPP-J message type numbers (J §4.1.3). */
export const MessageType = { CALL: 2, CALLRESULT: 3, CALLERROR: 4 } as const;
/** 2, 3 or 4. */
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];

/** JE §3.1: a message id is a string of at most 36 characters. */
export const MAX_MESSAGE_ID_LENGTH = 36;

/** A JSON object payload; J §4 requires `{}` for an empty payload, never `null`. */
export type Payload = Record<string, unknown>;

/** A frame decoded by {@link decodeFrame}. */
export type DecodedFrame =
  | { type: 'call'; messageId: string; action: string; payload: Payload }
  | { type: 'result'; messageId: string; payload: Payload }
  | { type: 'error'; messageId: string; code: string; description: string; details: Payload }
  | { type: 'ignored'; reason: string }
  | InvalidFrame;

/**
 * A frame that could not be decoded. Answer it with a CALLERROR on `messageId` only when
 * `messageType` is 2 and `messageId` is not null: a broken CALLRESULT/CALLERROR is never
 * answered (the peer is not waiting for anything), and without an id nobody could correlate.
 */
export interface InvalidFrame {
  type: 'invalid';
  messageType: MessageTypeNumber | null;
  messageId: string | null;
  code: OcppErrorCode;
  reason: string;
}

/** Encodes a CALL `[2, id, action, payload]`. */
export function encodeCall(messageId: string, action: string, payload: object = {}): string {
  return `[${MessageType.CALL},${JSON.stringify(messageId)},${JSON.stringify(action)},${JSON.stringify(payload ?? {})}]`;
}

/** Encodes a CALLRESULT `[3, id, payload]`. */
export function encodeCallResult(messageId: string, payload: object = {}): string {
  return `[${MessageType.CALLRESULT},${JSON.stringify(messageId)},${JSON.stringify(payload ?? {})}]`;
}

/** Encodes a CALLERROR `[4, id, code, description, details]`. */
export function encodeCallError(
  messageId: string,
  code: OcppErrorCode,
  description = '',
  details: object = {},
): string {
  return JSON.stringify([MessageType.CALLERROR, messageId, code, description, details ?? {}]);
}

function isObject(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(
  messageType: MessageTypeNumber | null,
  messageId: string | null,
  code: OcppErrorCode,
  reason: string,
): InvalidFrame {
  return { type: 'invalid', messageType, messageId, code, reason };
}

const ARITY: Record<MessageTypeNumber, number> = { [MessageType.CALL]: 4, [MessageType.CALLRESULT]: 3, [MessageType.CALLERROR]: 5 };

/**
 * Decodes one WebSocket text frame. Code choice for broken frames, from the J §4.2.3 definitions:
 * FormationViolation ("syntactically incorrect or not conform the PDU structure") for invalid JSON,
 * a non-array, too many elements or a wrong element type; ProtocolError ("payload is incomplete")
 * when elements are missing. Invalid JSON cannot be answered anyway, as no id can be recovered.
 */
export function decodeFrame(text: string): DecodedFrame {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return invalid(null, null, 'FormationViolation', 'frame is not valid JSON');
  }
  if (!Array.isArray(frame)) return invalid(null, null, 'FormationViolation', 'frame is not a JSON array');

  const type = frame[0];
  if (typeof type !== 'number') {
    return invalid(null, null, 'FormationViolation', 'message type is not a number');
  }
  // J §4.1.3: a message with an unknown message type number is ignored.
  if (type !== MessageType.CALL && type !== MessageType.CALLRESULT && type !== MessageType.CALLERROR) return { type: 'ignored', reason: `unknown message type ${type}` };

  const rawId = frame[1];
  if (typeof rawId !== 'string') {
    return invalid(type, null, 'FormationViolation', 'message id is not a string');
  }
  if (rawId.length > MAX_MESSAGE_ID_LENGTH) {
    return invalid(type, rawId, 'FormationViolation', `message id is longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  }
  const arity = ARITY[type];
  if (frame.length !== arity) {
    const code = frame.length < arity ? 'ProtocolError' : 'FormationViolation';
    return invalid(type, rawId, code, `message type ${type} needs ${arity} elements, got ${frame.length}`);
  }

  if (type === MessageType.CALL) {
    const action = frame[2];
    const payload = frame[3];
    if (typeof action !== 'string' || action === '') {
      return invalid(type, rawId, 'FormationViolation', 'action is not a non-empty string');
    }
    if (!isObject(payload)) return invalid(type, rawId, 'FormationViolation', 'payload is not a JSON object');
    return { type: 'call', messageId: rawId, action, payload };
  }
  if (type === MessageType.CALLRESULT) {
    const payload = frame[2];
    if (!isObject(payload)) return invalid(type, rawId, 'FormationViolation', 'payload is not a JSON object');
    return { type: 'result', messageId: rawId, payload };
  }
  const [, , code, description, details] = frame;
  if (typeof code !== 'string') return invalid(type, rawId, 'FormationViolation', 'error code is not a string');
  if (typeof description !== 'string') {
    return invalid(type, rawId, 'FormationViolation', 'error description is not a string');
  }
  // Tolerant reading: some chargers send `null` details; it carries no information either way.
  if (details === null) return { type: 'error', messageId: rawId, code, description, details: {} };
  if (!isObject(details)) return invalid(type, rawId, 'FormationViolation', 'error details is not a JSON object');
  return { type: 'error', messageId: rawId, code, description, details };
}
