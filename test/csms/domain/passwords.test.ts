import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/csms/config.ts';
import { isCsmsError } from '../../../src/csms/domain/errors.ts';
import { assertPasswordAllowed, passwordProblem } from '../../../src/csms/domain/passwords.ts';

describe('the password policy', () => {
  it('refuses fewer than 8 characters, counted as characters, not bytes', () => {
    expect(passwordProblem('seven77')).toMatch(/at least 8/);
    expect(passwordProblem('ééééééé')).toMatch(/at least 8/);
    expect(passwordProblem('zürich-é')).toBeNull();
    expect(passwordProblem('x'.repeat(201))).toMatch(/at most 200/);
  });

  it('refuses the most common passwords in any letter case', () => {
    for (const p of ['password', 'PASSWORD1', 'Password123', '12345678', 'qwertyuiop', 'iloveyou', 'trustno1', 'changeme', 'P@ssw0rd']) {
      expect(passwordProblem(p), p).toMatch(/most common/);
    }
  });

  it('refuses the email or its local part', () => {
    expect(passwordProblem('Jo.Doe@Example.test', 'jo.doe@example.test')).toMatch(/email/);
    expect(passwordProblem('jo.doe-1984', 'jo.doe-1984@example.test')).toMatch(/email/);
    expect(passwordProblem('jo.doe-1984', 'someone@example.test')).toBeNull();
  });

  it('accepts the passwords the repository itself uses (demo, ev-sim, tests, docs)', () => {
    for (const p of ['demo-password', 'admin-password', 'password-123', 'bench-password', 'sim-password-m5x1k2ab', 'driver-password', 'a-long-password', 'long-enough', 'correct-horse-battery']) {
      expect(passwordProblem(p), p).toBeNull();
    }
  });

  it('throws CSMS_ERR_WEAK_PASSWORD naming the field', () => {
    let error: unknown = null;
    try {
      assertPasswordAllowed('letmein1', undefined, 'body.password');
    } catch (err) {
      error = err;
    }
    expect(isCsmsError(error) && error.toJSON()).toEqual({
      error: { code: 'CSMS_ERR_WEAK_PASSWORD', message: 'The password is too weak: it is one of the most common passwords, choose another', data: { field: 'body.password', minLength: 8 } },
    });
  });

  it('applies to ADMIN_PASSWORD: a weak one stops the start naming the variable or flag', () => {
    expect(() => loadConfig({}, { ADMIN_PASSWORD: 'admin123' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { ADMIN_PASSWORD: 'admin123' })).toThrow(/ADMIN_PASSWORD: too weak: it is one of the most common passwords/);
    expect(() => loadConfig({ adminPassword: 'short' }, {})).toThrow(/--admin-password: too weak: use at least 8 characters/);
    expect(loadConfig({}, { ADMIN_PASSWORD: 'a-strong-admin-phrase' }).adminPassword).toBe('a-strong-admin-phrase');
  });
});
