/**
 * The per-connection limit every incoming frame passes first, whatever its type: a token bucket,
 * and the bookkeeping that tells a short burst from a sustained flood. Kept apart from the RPC
 * logic so that the cost of a frame over the limit is a few comparisons, no decoding.
 */
import type { OcppFloodInfo, RateLimitOptions } from './connection-types.ts';

const DEFAULT_CLOSE_AFTER_SECONDS = 5;
const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024;

export class FrameLimiter {
  /** Frames received, within and over the limit. */
  framesIn = 0;
  /** Frames over the limit: dropped, or for a CALL answered with GenericError. */
  overLimit = 0;
  /** CALLs over the limit that got their GenericError. */
  refused = 0;
  readonly maxBufferedBytes: number;
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly closeAfterSeconds: number;
  private readonly minExcess: number;
  private tokens: number;
  private refilledAt = 0;
  // Whole seconds of the monotonic clock; a second is "in excess" once minExcess frames of it were over.
  private second = -1;
  private overThisSecond = 0;
  private lastExcessSecond = -2;
  private streak = 0;
  private streakStartedAt = 0;
  private streakStartFrames = 0;

  constructor(opts: RateLimitOptions) {
    this.perSecond = opts.perSecond;
    this.burst = opts.burst;
    this.tokens = opts.burst;
    this.closeAfterSeconds = opts.closeAfterSeconds ?? DEFAULT_CLOSE_AFTER_SECONDS;
    this.minExcess = Math.max(1, opts.minExcessPerSecond ?? 1);
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  /** Counts one frame; true when it is within the limit. `now` is `performance.now()`. */
  take(now: number): boolean {
    this.framesIn++;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /**
   * Records a frame over the limit; true when the excess has now lasted `closeAfterSeconds`
   * consecutive seconds and the connection should be closed.
   */
  excess(now: number): boolean {
    this.overLimit++;
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.overThisSecond = 0;
    }
    if (++this.overThisSecond !== this.minExcess) return false;
    if (this.streak > 0 && this.lastExcessSecond === second - 1) {
      this.streak++;
    } else {
      this.streak = 1;
      this.streakStartedAt = now;
      this.streakStartFrames = this.framesIn;
    }
    this.lastExcessSecond = second;
    return this.closeAfterSeconds > 0 && this.streak >= this.closeAfterSeconds;
  }

  /** What the hook reports when the connection is closed for a sustained excess. */
  floodInfo(now: number): OcppFloodInfo {
    const elapsedMs = Math.max(1, now - this.streakStartedAt);
    return {
      framesReceived: this.framesIn,
      framesOverLimit: this.overLimit,
      callsRefused: this.refused,
      excessSeconds: this.streak,
      framesPerSecond: Math.round(((this.framesIn - this.streakStartFrames) * 1000) / elapsedMs),
      limitPerSecond: this.perSecond,
    };
  }
}

const SPACE = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, QUOTE = 0x22, BACKSLASH = 0x5c;
const isSpace = (b: number) => b === SPACE || b === TAB || b === LF || b === CR;
// JE §3.1: an id is at most 36 characters; UTF-8 needs at most 4 bytes for one.
const MAX_ID_BYTES = 36 * 4;

/**
 * The message id of a frame that starts like a CALL (`[2,"id"`), read without parsing the rest;
 * null for anything else, including ids with escapes (such a frame is dropped unanswered).
 */
export function peekCallId(buf: Buffer): string | null {
  let i = 0;
  const n = buf.length;
  while (i < n && isSpace(buf[i])) i++;
  if (buf[i++] !== 0x5b /* [ */) return null;
  while (i < n && isSpace(buf[i])) i++;
  if (buf[i++] !== 0x32 /* 2 */) return null;
  while (i < n && isSpace(buf[i])) i++;
  if (buf[i++] !== 0x2c /* , */) return null;
  while (i < n && isSpace(buf[i])) i++;
  if (buf[i++] !== QUOTE) return null;
  const start = i;
  const end = Math.min(n, start + MAX_ID_BYTES + 1);
  for (; i < end; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      const id = buf.toString('utf8', start, i);
      return id.length <= 36 ? id : null;
    }
    if (b === BACKSLASH || b < SPACE) return null;
  }
  return null;
}
