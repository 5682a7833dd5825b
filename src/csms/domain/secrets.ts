/**
 * Password and charger-key hashing. Pure apart from node:crypto: every stored secret is a
 * self-describing string (algorithm, parameters, salt, hash) so parameters can change later
 * without invalidating what is already stored.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PASSWORD = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
/** Refuse stored parameters that would make one verification eat the CPU or memory. */
const MAX_COST = 1 << 20;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a user password as `scrypt$N$r$p$<salt b64>$<hash b64>` (async: runs on the libuv pool). */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = PASSWORD;
  const salt = randomBytes(saltLength);
  const hash = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches a hash from hashPassword; false (never a throw) for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const sane = [N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) && N * r * p <= MAX_COST;
  if (!sane || salt.length === 0 || expected.length === 0) return false;
  try {
    const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/*
 * Charger AuthorizationKeys are checked on every (re)connect, and a restart brings thousands of
 * reconnects at once, so a slow KDF would turn that storm into seconds of blocked event loop.
 * Slow KDFs protect low-entropy secrets; an AuthorizationKey is 16-20 random bytes (128+ bits),
 * which no amount of hashing speed makes guessable. A salted HMAC-SHA256 (salt as the HMAC key)
 * keeps equal keys from hashing alike and a leaked table from being looked up: about 2 µs a check.
 */
const AUTH_KEY_SALT_LENGTH = 16;

function keyBytes(key: string | Buffer): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
}

function hmac(salt: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', salt).update(key).digest();
}

/** Hashes a charger's Basic-auth key as `hmac-sha256$<salt b64>$<hash b64>`; strings are taken as UTF-8. */
export function hashAuthKey(key: string | Buffer): string {
  const salt = randomBytes(AUTH_KEY_SALT_LENGTH);
  return `hmac-sha256$${salt.toString('base64')}$${hmac(salt, keyBytes(key)).toString('base64')}`;
}

/**
 * True when `key` (the Basic-auth password, raw bytes) matches a hash from hashAuthKey.
 * SEC: the AuthorizationKey is configured as up to 40 hex characters; some chargers send that text,
 * others the bytes it encodes. So binary input also counts when its hex spelling matches.
 */
export function verifyAuthKey(key: string | Buffer, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 3 || parts[0] !== 'hmac-sha256') return false;
  const salt = Buffer.from(parts[1], 'base64');
  const expected = Buffer.from(parts[2], 'base64');
  if (expected.length !== 32) return false;
  const bytes = keyBytes(key);
  if (timingSafeEqual(hmac(salt, bytes), expected)) return true;
  return Buffer.isBuffer(key) && timingSafeEqual(hmac(salt, Buffer.from(bytes.toString('hex'), 'utf8')), expected);
}

/** A random password for generated accounts: 16 bytes, base64url (22 characters). */
export function randomPassword(): string {
  return randomBytes(16).toString('base64url');
}

/** A new AuthorizationKey: 20 random bytes as 40 lowercase hex characters. */
export function randomAuthKey(): string {
  return randomBytes(20).toString('hex');
}
