/**
 * The OCPP-J 1.6 error codes, spelled exactly as J §4.2.3 and its errata spell them
 * (FormationViolation, OccurenceConstraintViolation). The 2.x codes FormatViolation,
 * OccurrenceConstraintViolation, RpcFrameworkError and MessageTypeNotSupported are
 * deliberately absent: they must never go out on an `ocpp1.6` connection.
 */
import { MessageType } from './frames.ts';

export const OCPP_ERROR_CODES = [
  'NotImplemented',
  'NotSupported',
  'InternalError',
  'ProtocolError',
  'SecurityError',
  'FormationViolation',
  'PropertyConstraintViolation',
  'OccurenceConstraintViolation',
  'TypeConstraintViolation',
  'GenericError',
] as const;

/** One of the ten OCPP-J 1.6 error codes. */
export type OcppErrorCode = (typeof OCPP_ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(OCPP_ERROR_CODES);

/** True when `value` is a 1.6 error code. */
export function isOcppErrorCode(value: unknown): value is OcppErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/** A CALLERROR frame as it goes on the wire: `[4, id, code, description, details]`. */
export type CallErrorFrame = [typeof MessageType.CALLERROR, string, OcppErrorCode, string, Record<string, unknown>];

/**
 * An error that maps onto a CALLERROR. Thrown by handlers to answer with a specific code,
 * and used to reject `call()` when the peer answers with a CALLERROR.
 */
export class OcppError extends Error {
  override name = 'OcppError';
  readonly code: OcppErrorCode;
  readonly description: string;
  readonly details: Record<string, unknown>;
  /** The code exactly as the peer sent it, when it was not a 1.6 code (e.g. a 2.x `FormatViolation`). */
  readonly receivedCode: string | undefined;

  constructor(
    code: OcppErrorCode,
    description = '',
    details: Record<string, unknown> = {},
    receivedCode?: string,
  ) {
    super(description ? `${code}: ${description}` : code);
    this.code = code;
    this.description = description;
    this.details = details;
    this.receivedCode = receivedCode;
  }

  /** The CALLERROR frame answering the CALL with `messageId`. */
  asCallError(messageId: string): CallErrorFrame {
    return [MessageType.CALLERROR, messageId, this.code, this.description, this.details];
  }

  /** Builds the error for a CALLERROR we received; codes outside 1.6 become GenericError. */
  static fromCallError(code: string, description: string, details: Record<string, unknown>): OcppError {
    return isOcppErrorCode(code)
      ? new OcppError(code, description, details)
      : new OcppError('GenericError', description, details, code);
  }
}

/**
 * A CALL we were asked to send breaks the 1.6 schema: refused before anything went on the wire, so
 * the peer never saw it. `code` is the CALLERROR code the peer would have answered with.
 */
export class OcppRequestInvalidError extends OcppError {
  override name = 'OcppRequestInvalidError';

  constructor(
    readonly action: string,
    code: OcppErrorCode,
    description: string,
    /** The payload field at fault (`chargingProfile.chargingProfileKind`); '' for the payload itself. */
    readonly field: string,
  ) {
    super(code, description);
  }
}

/**
 * The peer answered our CALL with a CALLRESULT that breaks the 1.6 schema, or with a frame that is
 * no well-formed answer: not a CALLERROR, though `code` classifies the fault the same way.
 */
export class OcppAnswerInvalidError extends OcppError {
  override name = 'OcppAnswerInvalidError';

  constructor(
    readonly action: string,
    code: OcppErrorCode,
    description: string,
    /** The CALLRESULT's payload, or the text of a frame that could not be decoded as an answer. */
    readonly answer: unknown,
  ) {
    super(code, description);
  }
}

/** A CALL we sent got no answer in time (J §4.1.1: the timeout is the implementation's choice). */
export class OcppTimeoutError extends Error {
  override name = 'OcppTimeoutError';

  constructor(
    readonly action: string,
    readonly messageId: string,
    readonly timeoutMs: number,
  ) {
    super(`${action} (${messageId}) got no answer within ${timeoutMs} ms`);
  }
}

/** A CALL could not complete because the connection closed before the answer came. */
export class OcppConnectionClosedError extends Error {
  override name = 'OcppConnectionClosedError';

  constructor(
    readonly action: string,
    readonly closeCode: number | undefined,
    readonly reason: string,
  ) {
    super(`${action} aborted: connection closed${closeCode ? ` (${closeCode}${reason ? ` ${reason}` : ''})` : ''}`);
  }
}

/** The WebSocket handshake failed: HTTP status instead of an upgrade, or no agreed subprotocol. */
export class OcppHandshakeError extends Error {
  override name = 'OcppHandshakeError';

  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
  }
}
