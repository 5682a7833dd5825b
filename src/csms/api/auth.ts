/**
 * Who is calling: JWT bearer tokens (`sub` = user id, `role`), the role guards, login limited
 * against guessing (attempt-limits.ts), customer self-registration limited per address, and the
 * first-start admin account.
 * The stored user, not the token, is the authority: a deleted or blocked account's token stops
 * working at once, and a changed role applies on the next request.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { CsmsConfig } from '../config.ts';
import { CsmsError, isCsmsError } from '../domain/errors.ts';
import { assertPasswordAllowed } from '../domain/passwords.ts';
import type { Clock, Store } from '../domain/ports.ts';
import { hashPassword, randomPassword, verifyPassword } from '../domain/secrets.ts';
import type { Role, User } from '../domain/types.ts';
import { addressKey, createAttemptLimits } from './attempt-limits.ts';
import { body, emailSchema, errors, nameSchema, obj, passwordSchema, userSchema } from './schemas.ts';

/** What our tokens carry. */
export interface TokenClaims {
  sub: string;
  role: Role;
}

const callers = new WeakMap<FastifyRequest, User>();

/** The authenticated user of a request that passed a guard. */
export function currentUser(request: FastifyRequest): User {
  const user = callers.get(request);
  if (!user) throw new CsmsError('CSMS_ERR_UNAUTHORIZED');
  return user;
}

/** The user id of the caller, or `anon` before/without authentication (ETag input). */
export function callerKey(request: FastifyRequest): string {
  return String(callers.get(request)?.id ?? 'anon');
}

/** Emails compare case-insensitively everywhere; stored lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The secret that signs tokens; unset, tokens die with the process, which is acceptable for a demo. */
export function jwtSecretFor(config: CsmsConfig): string {
  return config.jwtSecret ?? randomBytes(32).toString('hex');
}

/** Route hook that requires a valid token of an existing, unblocked user with one of `roles`; `clock` says whether it expired. */
export function guard(store: Store, clock: Clock, ...roles: Role[]): onRequestHookHandler {
  return async function authenticate(request) {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new CsmsError('CSMS_ERR_UNAUTHORIZED', 'no bearer token');
    let claims: TokenClaims;
    try {
      claims = request.server.jwt.verify<TokenClaims>(match[1], { clockTimestamp: clock.now().getTime() });
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      throw new CsmsError('CSMS_ERR_UNAUTHORIZED', code.includes('EXPIRED') ? 'token expired' : 'invalid token');
    }
    const id = Number(claims.sub);
    const user = Number.isSafeInteger(id) ? await store.users.get(id) : null;
    if (!user) throw new CsmsError('CSMS_ERR_UNAUTHORIZED', 'the account no longer exists');
    if (user.blocked) throw new CsmsError('CSMS_ERR_ACCOUNT_BLOCKED');
    if (roles.length > 0 && !roles.includes(user.role)) throw new CsmsError('CSMS_ERR_FORBIDDEN', `requires role ${roles.join(' or ')}`);
    callers.set(request, user);
  };
}

/** A public view of a user (the store's User already omits the password hash). */
export function publicUser(u: User): User {
  return { id: u.id, email: u.email, name: u.name, role: u.role, idTag: u.idTag, idTagExpiresAt: u.idTagExpiresAt, blocked: u.blocked, maxConcurrentSessions: u.maxConcurrentSessions, createdAt: u.createdAt };
}

/** A fresh idTag no card has: 16 upper-case hex characters (OCPP allows 20). */
export async function uniqueIdTag(store: Store): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const tag = randomBytes(8).toString('hex').toUpperCase();
    if (!await store.idTags.get(tag)) return tag;
  }
  throw new CsmsError('CSMS_ERR_INTERNAL', 'could not allocate an idTag');
}

/** Creates the admin account from the config if it is missing; returns a generated password once. */
export async function ensureAdmin(store: Store, config: CsmsConfig): Promise<{ email: string; generatedPassword: string | null }> {
  const email = normalizeEmail(config.adminEmail);
  if (await store.users.findByEmail(email)) return { email, generatedPassword: null };
  const generated = config.adminPassword ? null : randomPassword();
  const passwordHash = await hashPassword(config.adminPassword ?? generated!);
  try {
    await store.users.create({ email, name: 'Administrator', passwordHash, role: 'admin', idTag: null });
  } catch (err) {
    // Another node sharing the database created it while we hashed: theirs stands.
    if (isCsmsError(err) && err.code === 'CSMS_ERR_EMAIL_TAKEN') return { email, generatedPassword: null };
    throw err;
  }
  return { email, generatedPassword: generated };
}

export interface AuthRoutesOptions {
  store: Store;
  config: CsmsConfig;
  clock: Clock;
}

const tokenResponse = obj({ token: { type: 'string' }, user: userSchema });

/** POST /api/auth/login and POST /api/user/register. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { store, config, clock }) => {
  // Issued (and so expiring) by the injected clock, as the guard checks them.
  const sign = (u: User) => app.jwt.sign({ sub: String(u.id), role: u.role, iat: Math.floor(clock.now().getTime() / 1000) } satisfies TokenClaims & { iat: number }, { expiresIn: config.jwtExpiresIn });
  // Compared against when the email is unknown, so both cases take as long (no account probing).
  let dummyHash: Promise<string> | null = null;
  const limits = createAttemptLimits(config, clock);

  app.post<{ Body: { email: string; password: string } }>('/api/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Exchange email and password for a bearer token',
      body: body({ email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 200 } }, ['email', 'password']),
      response: { 200: tokenResponse, ...errors(400, 401, 403, 429) },
    },
  }, async (request) => {
    const email = normalizeEmail(request.body.email);
    const { password } = request.body;
    // Before the password is looked at: a limited attempt learns nothing, whether it was right or not.
    const attempt = limits.loginAttempt(email, addressKey(request.ip));
    const user = await store.users.findByEmail(email);
    if (!user) {
      dummyHash ??= hashPassword(randomPassword());
      await verifyPassword(password, await dummyHash);
      throw new CsmsError('CSMS_ERR_BAD_CREDENTIALS');
    }
    if (!(await verifyPassword(password, user.passwordHash))) throw new CsmsError('CSMS_ERR_BAD_CREDENTIALS');
    attempt.succeeded();
    if (user.blocked) throw new CsmsError('CSMS_ERR_ACCOUNT_BLOCKED');
    return { token: sign(user), user: publicUser(user) };
  });

  app.post<{ Body: { email: string; password: string; name: string } }>('/api/user/register', {
    schema: {
      tags: ['auth'],
      summary: 'Create a customer account (with its own idTag) and log in',
      body: body({ email: emailSchema, password: passwordSchema, name: nameSchema }, ['email', 'password', 'name']),
      response: { 201: tokenResponse, ...errors(400, 409, 429) },
    },
  }, async (request, reply) => {
    const email = normalizeEmail(request.body.email);
    // A refused password is not counted: the person is still trying to sign up.
    assertPasswordAllowed(request.body.password, email);
    // Counted whether it creates an account or finds the email taken: each answer tells whether an account exists.
    limits.registrationAttempt(addressKey(request.ip));
    if (await store.users.findByEmail(email)) throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
    const passwordHash = await hashPassword(request.body.password);
    const user = await store.transaction(async () => {
      // Checked again inside the transaction: another registration may have won while we hashed.
      if (await store.users.findByEmail(email)) throw new CsmsError('CSMS_ERR_EMAIL_TAKEN');
      return await store.users.create({ email, name: request.body.name.trim(), passwordHash, role: 'customer', idTag: await uniqueIdTag(store) });
    });
    reply.code(201);
    return { token: sign(user), user: publicUser(user) };
  });
};
