import type { WebSocket } from 'ws';
import type { OcppErrorCode } from './errors.ts';
import type { MessageTypeNumber, Payload } from './frames.ts';
import type { ActionMap } from './messages.ts';
import type { OcppValidator } from './validator.ts';

/** What a handler learns about the CALL it answers. */
export interface CallContext<Ctx = unknown> {
  readonly action: string;
  readonly messageId: string;
  readonly connection: OcppConnection<ActionMap, ActionMap, Ctx>;
  /** Lenient-mode schema warnings for this request (empty when it was valid). */
  readonly warnings: readonly string[];
}

/** Answers one incoming CALL; throw an `OcppError` to answer with a CALLERROR of that code. */
export type Handler<Req, Conf, Ctx = unknown> = (payload: Req, ctx: CallContext<Ctx>) => Conf | Promise<Conf>;

/** Handlers by action, typed for the incoming direction; may be shared by many connections. */
export type HandlerMap<In extends ActionMap, Ctx = unknown> = {
  [A in keyof In]?: Handler<In[A]['req'], In[A]['conf'], Ctx>;
};

/** One frame in or out, for logs and metrics. */
export interface OcppMessageInfo {
  direction: 'in' | 'out';
  /** A `MessageType` (CALL, CALLRESULT, CALLERROR), or 0 for a frame that could not be decoded or was ignored. */
  messageType: MessageTypeNumber | 0;
  /** For answers: the action of the CALL they answer; null when unknown. */
  action: string | null;
  messageId: string | null;
  payload: unknown;
  /** On an answer frame: milliseconds since its CALL was sent or received; otherwise null. */
  latencyMs: number | null;
  /** On a CALLERROR frame. */
  error?: { code: string; description: string };
  /** The text of an invalid or ignored frame. */
  raw?: string;
}

/** What went wrong, for `onProtocolError`; none of these closes the connection. */
export type ProtocolErrorKind =
  | 'invalid-frame'
  | 'ignored-frame'
  | 'unexpected-response'
  | 'invalid-request'
  | 'invalid-response'
  | 'invalid-own-response'
  | 'overload'
  | 'socket-error';

/** Something the peer (or, for `invalid-own-response`, our handler) got wrong; the connection goes on. */
export interface OcppProtocolErrorInfo {
  kind: ProtocolErrorKind;
  messageId: string | null;
  action: string | null;
  code: OcppErrorCode | null;
  reason: string;
  raw?: string;
}

/**
 * The per-connection limit on incoming frames of every type (CALL, CALLRESULT, CALLERROR, broken or
 * ignored ones). Over it a CALL gets GenericError, other frames are dropped; neither is reported.
 */
export interface RateLimitOptions {
  /** Frames per second the bucket refills. */
  perSecond: number;
  /** Frames that may arrive at once. */
  burst: number;
  /** Close (1008) after this many consecutive seconds in excess; 0 never closes (default 5). */
  closeAfterSeconds?: number;
  /** Frames over the limit within one second for that second to count as excess (default 1). */
  minExcessPerSecond?: number;
  /**
   * Over the limit, a CALL is answered only while less than this many bytes wait in the socket's
   * send buffer (default 64 KiB): a peer that does not read its answers must not make us hold them.
   */
  maxBufferedBytes?: number;
}

/** Reported once by `onFlood`, just before the connection is closed with 1008 for a sustained excess. */
export interface OcppFloodInfo {
  /** Frames received on the connection, within and over the limit. */
  framesReceived: number;
  /** Frames over the limit: dropped, or for a CALL answered with GenericError. */
  framesOverLimit: number;
  /** Of those, CALLs that got their GenericError. */
  callsRefused: number;
  /** Consecutive seconds in excess. */
  excessSeconds: number;
  /** Frames per second received during those seconds. */
  framesPerSecond: number;
  limitPerSecond: number;
}

/** Per-call options of `call()`. */
export interface CallOptions {
  /** Default: the connection's `callTimeoutMs`. Counted from when the CALL is sent, not queued. */
  timeoutMs?: number;
}

/** Options of `createOcppConnection`; hooks cost nothing when absent. */
export interface OcppConnectionOptions<In extends ActionMap = ActionMap, Ctx = unknown> {
  /** Schema-validate both directions (default true). Outgoing payloads are always checked strictly. */
  validate?: boolean;
  /** Accept incoming payloads with out-of-enum, over-long or extra fields, with warnings (default false). */
  lenient?: boolean;
  /** Default timeout for outgoing CALLs, ms (default 30 000). */
  callTimeoutMs?: number;
  /** Incoming CALLs waiting or in progress beyond which new ones get GenericError (default 100). */
  maxQueuedCalls?: number;
  /** Token bucket for every incoming frame; see {@link RateLimitOptions}. None: no limit. */
  rateLimit?: RateLimitOptions;
  /** Handlers shared by many connections; `handle()` adds per-connection ones on top. */
  handlers?: HandlerMap<In, Ctx>;
  /** Called for a known 1.6 action without a handler instead of answering NotSupported. */
  onCall?: Handler<Payload, object, Ctx>;
  /** Anything the owner wants to find again from a handler (`ctx.connection.context`). */
  context?: Ctx;
  onMessage?: (info: OcppMessageInfo) => void;
  onProtocolError?: (info: OcppProtocolErrorInfo) => void;
  /** The peer exceeded `rateLimit` for `closeAfterSeconds`: called once, then the connection closes. */
  onFlood?: (info: OcppFloodInfo) => void;
  onValidationWarning?: (action: string, messageId: string, warnings: readonly string[]) => void;
  /** A handler threw something other than an OcppError; the peer got a bare InternalError. */
  onHandlerError?: (error: unknown, action: string, messageId: string) => void;
  validator?: OcppValidator;
}

/** An OCPP-J RPC connection over an open WebSocket, for either side. */
export interface OcppConnection<In extends ActionMap = ActionMap, Out extends ActionMap = ActionMap, Ctx = unknown> {
  readonly socket: WebSocket;
  readonly context: Ctx;
  /** Switch lenient validation of incoming payloads at runtime. */
  lenient: boolean;
  readonly isClosed: boolean;
  /** Outgoing CALLs in flight or queued. */
  readonly pendingCalls: number;
  /**
   * Sends a CALL and resolves with the response payload (J §4.1.1: queued behind any outstanding one).
   * Rejects with OcppRequestInvalidError (the payload breaks the schema: nothing was sent), a plain
   * OcppError (the peer's CALLERROR), OcppAnswerInvalidError (a CALLRESULT that breaks the schema or a
   * malformed answer), OcppTimeoutError or OcppConnectionClosedError.
   */
  call<A extends keyof Out & string>(action: A, payload: Out[A]['req'], options?: CallOptions): Promise<Out[A]['conf']>;
  /** Untyped `call`, for actions outside the typed maps. */
  callAny(action: string, payload: object, options?: CallOptions): Promise<Payload>;
  /** Registers the handler for an incoming action on this connection only. */
  handle<A extends keyof In & string>(action: A, handler: Handler<In[A]['req'], In[A]['conf'], Ctx>): void;
  /** Sends text as is, bypassing codec and validation (to provoke a peer on purpose). */
  sendRaw(text: string): void;
  /** Closes the socket and rejects pending and queued CALLs. */
  close(code?: number, reason?: string): void;
}
