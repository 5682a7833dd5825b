import { describe, expect, it } from 'vitest';
import { hashAuthKey, hashPassword, randomAuthKey, randomPassword, verifyAuthKey, verifyPassword } from '../../../src/csms/domain/secrets.ts';

describe('passwords', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse ', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('answers false, not a throw, for malformed or hostile hashes', async () => {
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$whatever')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==')).toBe(false);
    // A cost that would take seconds and gigabytes is refused up front.
    expect(await verifyPassword('x', 'scrypt$1073741824$8$1$c2FsdA==$aGFzaA==')).toBe(false);
  });

  it('generates distinct random passwords', () => {
    const p = randomPassword();
    expect(p).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomPassword()).not.toBe(p);
  });
});

describe('charger auth keys', () => {
  it('generates 20-byte hex keys', () => {
    const key = randomAuthKey();
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(randomAuthKey()).not.toBe(key);
  });

  it('verifies the same key as string or bytes, and rejects others', () => {
    const key = randomAuthKey();
    const stored = hashAuthKey(key);
    expect(stored).toMatch(/^hmac-sha256\$/);
    expect(hashAuthKey(key)).not.toBe(stored); // salted
    expect(verifyAuthKey(key, stored)).toBe(true);
    expect(verifyAuthKey(Buffer.from(key, 'utf8'), stored)).toBe(true);
    expect(verifyAuthKey(key.slice(0, -1), stored)).toBe(false);
    expect(verifyAuthKey('', stored)).toBe(false);
  });

  it('handles keys containing ":" and arbitrary bytes', () => {
    const withColon = 'pa:ss:word:1234567';
    expect(verifyAuthKey(withColon, hashAuthKey(withColon))).toBe(true);
    expect(verifyAuthKey('pa:ss', hashAuthKey(withColon))).toBe(false);

    const binary = Buffer.from([0x00, 0xff, 0x3a, 0x80, 0x0a, 0xc3, 0x28, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09]);
    const stored = hashAuthKey(binary);
    expect(verifyAuthKey(Buffer.from(binary), stored)).toBe(true);
    // Invalid UTF-8 must not collapse to the same string as another byte sequence.
    const other = Buffer.from(binary);
    other[5] = 0xc4;
    expect(verifyAuthKey(other, stored)).toBe(false);
  });

  it('accepts the bytes a hex key encodes, for chargers that send them raw', () => {
    const key = randomAuthKey();
    const stored = hashAuthKey(key);
    expect(verifyAuthKey(Buffer.from(key, 'hex'), stored)).toBe(true);
    expect(verifyAuthKey(Buffer.from(randomAuthKey(), 'hex'), stored)).toBe(false);
  });

  it('rejects a malformed stored hash', () => {
    expect(verifyAuthKey('k', '')).toBe(false);
    expect(verifyAuthKey('k', 'hmac-sha256$c2FsdA==$c2hvcnQ=')).toBe(false);
  });
});
