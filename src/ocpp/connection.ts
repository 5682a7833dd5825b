import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import type {
  CallContext, CallOptions, Handler, HandlerMap, OcppConnection, OcppConnectionOptions, OcppMessageInfo,
  OcppProtocolErrorInfo,
} from './connection-types.ts';
import {
  OcppAnswerInvalidError, OcppConnectionClosedError, OcppError, OcppRequestInvalidError, OcppTimeoutError, type OcppErrorCode,
} from './errors.ts';
import { decodeFrame, encodeCall, encodeCallError, encodeCallResult, MessageType, type MessageTypeNumber, type Payload } from './frames.ts';
import type { ActionMap } from './messages.ts';
import { FrameLimiter, peekCallId } from './rate-limit.ts';
import { createOcppValidator, type OcppValidator } from './validator.ts';

// JE §3.1: ids are unique per sender across all connections of an identity, even across restarts,
// hence a random per-process prefix; the counter keeps ids short (≤ 19 of the 36 allowed chars).
const ID_PREFIX = randomBytes(6).toString('base64url');
let idCounter = 0;

/** A fresh message id, unique within and (with overwhelming probability) across processes. */
export function createMessageId(): string {
  return ID_PREFIX + (idCounter++).toString(36);
}

interface OutgoingCall {
  action: string;
  payload: object;
  timeoutMs: number;
  resolve: (payload: Payload) => void;
  reject: (error: Error) => void;
  messageId: string;
  sentAt: number;
}

interface IncomingCall {
  messageId: string;
  action: string;
  payload: Payload;
  receivedAt: number;
}

const STRICT = { lenient: false } as const;
const LENIENT = { lenient: true } as const;
const OVERLOAD = 'too many pending requests';
const RATE_LIMITED = 'rate limit exceeded';
/** RFC 6455 §7.4.1: 1008, a message that violates the endpoint's policy. */
const CLOSE_POLICY = 1008;
// A flooding peer is not read again: its answer to our close frame sits behind what it kept
// sending. Our close frame gets this long to leave, then the socket is destroyed (instead of
// ws's 30 s close timeout).
const FLOOD_CLOSE_GRACE_MS = 1000;
// Over the limit we stop reading the socket this long: what the peer sends meanwhile waits in its
// TCP window, costing us nothing (a frame never read is the cheapest one to drop). Well under a
// second, so that a flood still shows as excess in every second.
const EXCESS_PAUSE_MS = 100;

class Connection<In extends ActionMap, Out extends ActionMap, Ctx> implements OcppConnection<In, Out, Ctx> {
  lenient: boolean;
  readonly context: Ctx;
  private closed = false;
  private readonly validator: OcppValidator;
  private readonly validate: boolean;
  private readonly callTimeoutMs: number;
  private readonly maxQueuedCalls: number;
  private readonly shared: HandlerMap<In, Ctx> | undefined;
  private own: Map<string, Handler<never, object, Ctx>> | undefined;
  // J §4.1.1: at most one CALL of ours outstanding; the rest wait here in FIFO order.
  private inflight: OutgoingCall | null = null;
  private readonly outQueue: OutgoingCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  // Incoming CALLs, head first; the head is the one being handled. Independent of `inflight`, so
  // CALLs of the two directions can cross without waiting for each other.
  private readonly inQueue: IncomingCall[] = [];
  private busy = false;
  private readonly limiter: FrameLimiter | null;
  private paused = false;
  private flooded = false;

  constructor(
    readonly socket: WebSocket,
    private readonly opts: OcppConnectionOptions<In, Ctx>,
  ) {
    this.validator = opts.validator ?? createOcppValidator();
    this.validate = opts.validate ?? true;
    this.lenient = opts.lenient ?? false;
    this.callTimeoutMs = opts.callTimeoutMs ?? 30_000;
    this.maxQueuedCalls = opts.maxQueuedCalls ?? 100;
    this.shared = opts.handlers;
    this.context = opts.context as Ctx;
    this.limiter = opts.rateLimit ? new FrameLimiter(opts.rateLimit) : null;
    this.onTimeout = this.onTimeout.bind(this);
    this.onHandlerDone = this.onHandlerDone.bind(this);
    this.onHandlerFailed = this.onHandlerFailed.bind(this);
    this.resume = this.resume.bind(this);
    socket.on('message', (data: RawData) => this.receive(data));
    socket.on('close', (code: number, reason: Buffer) => this.shutdown(code, reason.toString()));
    // Without a listener an 'error' (e.g. a frame over maxPayload) would crash the process; 'close' follows.
    socket.on('error', (error: Error) => this.protocolError('socket-error', null, null, null, error.message));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get pendingCalls(): number {
    return this.outQueue.length + (this.inflight ? 1 : 0);
  }

  call<A extends keyof Out & string>(action: A, payload: Out[A]['req'], options?: CallOptions): Promise<Out[A]['conf']> {
    return this.callAny(action, payload, options) as Promise<Out[A]['conf']>;
  }

  callAny(action: string, payload: object, options?: CallOptions): Promise<Payload> {
    if (this.closed) return Promise.reject(new OcppConnectionClosedError(action, undefined, 'already closed'));
    if (this.validate) {
      const checked = this.validator.validate(action, 'req', payload, STRICT);
      if (!checked.ok) return Promise.reject(new OcppRequestInvalidError(action, checked.error.code, checked.error.description, checked.field));
    }
    return new Promise<Payload>((resolve, reject) => {
      const timeoutMs = options?.timeoutMs ?? this.callTimeoutMs;
      const call: OutgoingCall = { action, payload, timeoutMs, resolve, reject, messageId: '', sentAt: 0 };
      if (this.inflight) this.outQueue.push(call);
      else this.send(call);
    });
  }

  handle<A extends keyof In & string>(action: A, handler: Handler<In[A]['req'], In[A]['conf'], Ctx>): void {
    (this.own ??= new Map()).set(action, handler as Handler<never, object, Ctx>);
  }

  sendRaw(text: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(text);
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    this.shutdown(code, reason || 'closed locally');
    this.socket.close(code, reason);
  }

  private send(call: OutgoingCall): void {
    call.messageId = createMessageId();
    call.sentAt = performance.now();
    this.inflight = call;
    this.timer = setTimeout(this.onTimeout, call.timeoutMs);
    this.sendRaw(encodeCall(call.messageId, call.action, call.payload));
    if (this.opts.onMessage) this.report('out', MessageType.CALL, call.action, call.messageId, call.payload, null);
  }

  private settle(): OutgoingCall | null {
    const call = this.inflight;
    clearTimeout(this.timer);
    this.inflight = null;
    const next = this.outQueue.shift();
    if (next) this.send(next);
    return call;
  }

  private onTimeout(): void {
    const call = this.settle();
    call?.reject(new OcppTimeoutError(call.action, call.messageId, call.timeoutMs));
  }

  private receive(data: RawData): void {
    if (this.closed) return;
    const now = performance.now();
    // Every frame pays here first, before any decoding: a flood of any kind costs a few comparisons.
    if (this.limiter !== null && !this.limiter.take(now)) {
      this.overLimit(data, now);
      return;
    }
    const text = (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
    const frame = decodeFrame(text);
    switch (frame.type) {
      case 'call':
        if (this.opts.onMessage) this.report('in', MessageType.CALL, frame.action, frame.messageId, frame.payload, null);
        this.enqueue({ messageId: frame.messageId, action: frame.action, payload: frame.payload, receivedAt: now });
        return;
      case 'result':
      case 'error': {
        const call = this.inflight?.messageId === frame.messageId ? this.inflight : null;
        if (this.opts.onMessage) {
          const info = this.info('in', frame.type === 'result' ? MessageType.CALLRESULT : MessageType.CALLERROR, call?.action ?? null, frame.messageId,
            frame.type === 'result' ? frame.payload : frame.details, call ? now - call.sentAt : null);
          if (frame.type === 'error') info.error = { code: frame.code, description: frame.description };
          this.opts.onMessage(info);
        }
        if (!call) {
          this.protocolError('unexpected-response', frame.messageId, null, null, 'answer to no outstanding CALL');
          return;
        }
        this.settle();
        if (frame.type === 'error') call.reject(OcppError.fromCallError(frame.code, frame.description, frame.details));
        else this.answer(call, frame.payload);
        return;
      }
      case 'ignored':
        if (this.opts.onMessage) this.opts.onMessage({ ...this.info('in', 0, null, null, null, null), raw: text });
        this.protocolError('ignored-frame', null, null, null, frame.reason, text);
        return;
      case 'invalid': {
        if (this.opts.onMessage) this.opts.onMessage({ ...this.info('in', 0, null, frame.messageId, null, null), raw: text });
        this.protocolError('invalid-frame', frame.messageId, null, frame.code, frame.reason, text);
        if (frame.messageId === null) return;
        if (frame.messageType === MessageType.CALL) this.reply(frame.messageId, null, new OcppError(frame.code, frame.reason), now);
        else if (this.inflight?.messageId === frame.messageId) {
          // A malformed answer still answers: waiting for the timeout would only stall the queue.
          const call = this.settle()!;
          call.reject(new OcppAnswerInvalidError(call.action, frame.code, `malformed answer: ${frame.reason}`, text));
        }
      }
    }
  }

  private answer(call: OutgoingCall, payload: Payload): void {
    if (this.validate) {
      const checked = this.validator.validate(call.action, 'conf', payload, this.lenient ? LENIENT : STRICT);
      if (!checked.ok) {
        this.protocolError('invalid-response', call.messageId, call.action, checked.error.code, checked.error.description);
        call.reject(new OcppAnswerInvalidError(call.action, checked.error.code, checked.error.description, payload));
        return;
      }
      if (checked.warnings.length > 0) this.opts.onValidationWarning?.(call.action, call.messageId, checked.warnings);
    }
    call.resolve(payload);
  }

  /**
   * A frame over the limit: counted, not reported one by one. A CALL still gets its GenericError
   * (J §4.2.3) while the peer reads what we send; everything else is dropped.
   */
  private overLimit(data: RawData, now: number): void {
    const limiter = this.limiter!;
    if (this.socket.bufferedAmount < limiter.maxBufferedBytes && Buffer.isBuffer(data)) {
      const messageId = peekCallId(data);
      if (messageId !== null) {
        limiter.refused++;
        this.sendRaw(encodeCallError(messageId, 'GenericError', RATE_LIMITED));
      }
    }
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
      setTimeout(this.resume, EXCESS_PAUSE_MS).unref();
    }
    if (!limiter.excess(now)) return;
    this.opts.onFlood?.(limiter.floodInfo(now));
    this.flooded = true;
    this.close(CLOSE_POLICY, RATE_LIMITED);
    setTimeout(() => this.socket.terminate(), FLOOD_CLOSE_GRACE_MS).unref();
  }

  // Also once closed, as the peer's answer to our close frame has to be read; but not a flooder's.
  private resume(): void {
    this.paused = false;
    if (!this.flooded) this.socket.resume();
  }

  private enqueue(call: IncomingCall): void {
    if (this.inQueue.length >= this.maxQueuedCalls) {
      this.protocolError('overload', call.messageId, call.action, 'GenericError', OVERLOAD);
      this.reply(call.messageId, call.action, new OcppError('GenericError', OVERLOAD), call.receivedAt);
      return;
    }
    this.inQueue.push(call);
    if (!this.busy) this.drain();
  }

  // Incoming CALLs are handled one at a time in arrival order, so that e.g. a StartTransaction is
  // answered before the MeterValues behind it is looked at. Sync handlers loop; async ones resume here.
  private drain(): void {
    while (!this.busy && !this.closed && this.inQueue.length > 0) {
      const call = this.inQueue[0];
      const outcome = this.dispatch(call);
      if (outcome !== null && typeof (outcome as Promise<object>).then === 'function') {
        this.busy = true;
        (outcome as Promise<object>).then(this.onHandlerDone, this.onHandlerFailed);
        return;
      }
      this.inQueue.shift();
      this.reply(call.messageId, call.action, outcome, call.receivedAt);
    }
  }

  private onHandlerDone(result: object | undefined): void {
    this.finishAsync(result ?? {});
  }

  private onHandlerFailed(error: unknown): void {
    this.finishAsync(this.toOcppError(error, this.inQueue[0]));
  }

  private finishAsync(outcome: object | OcppError): void {
    this.busy = false;
    if (this.closed) return;
    const call = this.inQueue.shift()!;
    this.reply(call.messageId, call.action, outcome, call.receivedAt);
    this.drain();
  }

  /** Returns the response, an OcppError to answer with, or a promise of the response. */
  private dispatch(call: IncomingCall): object | OcppError | Promise<object> {
    const { action } = call;
    if (!this.validator.isKnownAction(action)) {
      return new OcppError('NotImplemented', `"${action}" is not an OCPP 1.6 action`);
    }
    const handler = (this.own?.get(action) ?? this.shared?.[action] ?? this.opts.onCall) as
      | Handler<Payload, object, Ctx>
      | undefined;
    if (!handler) return new OcppError('NotSupported', `"${action}" is not supported`);
    let warnings: readonly string[] = [];
    if (this.validate) {
      const checked = this.validator.validate(action, 'req', call.payload, this.lenient ? LENIENT : STRICT);
      if (!checked.ok) {
        this.protocolError('invalid-request', call.messageId, action, checked.error.code, checked.error.description);
        return checked.error;
      }
      warnings = checked.warnings;
      if (warnings.length > 0) this.opts.onValidationWarning?.(action, call.messageId, warnings);
    }
    const ctx: CallContext<Ctx> = { action, messageId: call.messageId, connection: this, warnings };
    try {
      return handler(call.payload, ctx) ?? {};
    } catch (error) {
      return this.toOcppError(error, call);
    }
  }

  private toOcppError(error: unknown, call: IncomingCall | undefined): OcppError {
    if (error instanceof OcppError) return error;
    if (call) this.opts.onHandlerError?.(error, call.action, call.messageId);
    // No message or stack of ours goes to the peer.
    return new OcppError('InternalError', 'internal error');
  }

  private reply(messageId: string, action: string | null, outcome: object, receivedAt: number): void {
    if (outcome instanceof OcppError) {
      this.sendRaw(encodeCallError(messageId, outcome.code, outcome.description, outcome.details));
      if (this.opts.onMessage) {
        const info = this.info('out', MessageType.CALLERROR, action, messageId, outcome.details, performance.now() - receivedAt);
        info.error = { code: outcome.code, description: outcome.description };
        this.opts.onMessage(info);
      }
      return;
    }
    if (this.validate && action !== null) {
      const checked = this.validator.validate(action, 'conf', outcome, STRICT);
      if (!checked.ok) {
        // Our handler's bug: a non-conformant answer could confuse the charger more than an error.
        this.protocolError('invalid-own-response', messageId, action, checked.error.code, checked.error.description);
        this.reply(messageId, action, new OcppError('InternalError', 'internal error'), receivedAt);
        return;
      }
    }
    this.sendRaw(encodeCallResult(messageId, outcome));
    if (this.opts.onMessage) this.report('out', MessageType.CALLRESULT, action, messageId, outcome, performance.now() - receivedAt);
  }

  private shutdown(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const pending = this.inflight ? [this.inflight, ...this.outQueue] : [...this.outQueue];
    this.inflight = null;
    this.outQueue.length = 0;
    this.inQueue.length = 0;
    for (const call of pending) call.reject(new OcppConnectionClosedError(call.action, code, reason));
  }

  private info(
    direction: 'in' | 'out', messageType: MessageTypeNumber | 0, action: string | null, messageId: string | null,
    payload: unknown, latencyMs: number | null,
  ): OcppMessageInfo {
    return { direction, messageType, action, messageId, payload, latencyMs };
  }

  private report(
    direction: 'in' | 'out', messageType: typeof MessageType.CALL | typeof MessageType.CALLRESULT, action: string | null, messageId: string, payload: unknown,
    latencyMs: number | null,
  ): void {
    this.opts.onMessage!(this.info(direction, messageType, action, messageId, payload, latencyMs));
  }

  private protocolError(
    kind: OcppProtocolErrorInfo['kind'], messageId: string | null, action: string | null,
    code: OcppErrorCode | null, reason: string, raw?: string,
  ): void {
    if (!this.opts.onProtocolError) return;
    const info: OcppProtocolErrorInfo = { kind, messageId, action, code, reason };
    if (raw !== undefined) info.raw = raw;
    this.opts.onProtocolError(info);
  }
}

/**
 * Wraps an open WebSocket in an OCPP-J RPC connection. `In` types the CALLs we receive, `Out` the
 * ones we send: a CSMS uses `<ChargePointToCsms, CsmsToChargePoint>`, a charge point the reverse.
 */
export function createOcppConnection<In extends ActionMap = ActionMap, Out extends ActionMap = ActionMap, Ctx = unknown>(
  socket: WebSocket,
  options: OcppConnectionOptions<In, Ctx> = {},
): OcppConnection<In, Out, Ctx> {
  return new Connection<In, Out, Ctx>(socket, options);
}
