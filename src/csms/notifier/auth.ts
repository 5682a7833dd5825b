/**
 * Who is connecting: the handshake's JWT (`auth.token`, or `Authorization: Bearer` for clients
 * that can set headers), checked against the stored user like the REST guard does: the store, not
 * the token, is the authority, so a deleted or blocked account cannot connect with an old token.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { ExtendedError, Socket } from 'socket.io';
import { ERRORS, type CsmsErrorCode } from '../domain/errors.ts';
import type { Store } from '../domain/ports.ts';
import type { Role } from '../domain/types.ts';

/** What the notifier keeps on `socket.data`. */
export interface SocketData {
  userId: number;
  role: Role;
}

export type VerifyToken = (token: string) => { sub: string; role: string } | null;

/**
 * The error a refused handshake (or join) reports. `message` is the bare code so that clients can
 * match `connect_error` on it; `data` has the code again and the readable message.
 */
export interface RefusalError extends ExtendedError {
  data: { code: CsmsErrorCode; message: string };
}

export function refusal(code: CsmsErrorCode, detail?: string): RefusalError {
  const err = new Error(code) as RefusalError;
  err.data = { code, message: detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message };
  return err;
}

/** The bearer token of a handshake: `auth.token` first, then the Authorization header. */
export function handshakeToken(auth: unknown, headers: IncomingHttpHeaders): string | null {
  const token = (auth as { token?: unknown } | null | undefined)?.token;
  if (typeof token === 'string' && token.length > 0) return token.replace(/^Bearer\s+/i, '');
  const match = headers.authorization ? /^Bearer\s+(\S+)$/i.exec(headers.authorization) : null;
  return match ? match[1] : null;
}

/** The account behind a user id, or why it may not use the notifier. */
export async function checkAccount(store: Store, userId: number): Promise<{ ok: true; role: Role } | { ok: false; error: RefusalError }> {
  const user = Number.isSafeInteger(userId) ? await store.users.get(userId) : null;
  // Deleted reads as unauthorized, as in the REST guard: the client's answer is to log in again.
  if (!user) return { ok: false, error: refusal('CSMS_ERR_UNAUTHORIZED', 'the account no longer exists') };
  if (user.blocked) return { ok: false, error: refusal('CSMS_ERR_ACCOUNT_BLOCKED') };
  return { ok: true, role: user.role };
}

/** socket.io middleware: refuses the connection unless the token names a usable account. */
export function handshakeAuth(opts: { verifyToken: VerifyToken; store: Store; onRefused(code: CsmsErrorCode): void }) {
  return async function authenticate(socket: Socket<any, any, any, SocketData>, next: (err?: ExtendedError) => void): Promise<void> {
    const fail = (err: RefusalError) => {
      opts.onRefused(err.data.code);
      next(err);
    };
    const token = handshakeToken(socket.handshake.auth, socket.handshake.headers);
    if (token === null) return fail(refusal('CSMS_ERR_UNAUTHORIZED', 'no token in auth.token or Authorization header'));
    let claims: ReturnType<VerifyToken>;
    try {
      claims = opts.verifyToken(token);
    } catch {
      claims = null;
    }
    if (claims === null) return fail(refusal('CSMS_ERR_UNAUTHORIZED', 'invalid or expired token'));
    const userId = /^[0-9]+$/.test(claims.sub) ? Number(claims.sub) : NaN;
    let account: Awaited<ReturnType<typeof checkAccount>>;
    try {
      account = await checkAccount(opts.store, userId);
    } catch {
      return fail(refusal('CSMS_ERR_DATABASE_UNAVAILABLE'));
    }
    if (!account.ok) return fail(account.error);
    // The stored role, not the token's: a changed role applies on the next connection.
    socket.data.userId = userId;
    socket.data.role = account.role;
    next();
  };
}

/**
 * Same-origin by default: a browser's Origin must name the host it connected to, or be listed in
 * `allowed`. Requests without an Origin (non-browser clients) pass; they must still present a token.
 */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
