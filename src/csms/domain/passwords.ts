/**
 * The password policy for every password a person chooses (registration, a customer's password set
 * in the CMS, ADMIN_PASSWORD): long enough, not one of the most common passwords, not the email.
 * No composition rules (digits, symbols): NIST SP 800-63B §3.1.1.2 advises against them and for a
 * blocklist of commonly used passwords instead.
 */
import { createRequire } from 'node:module';
import { CsmsError } from './errors.ts';

/** Fewer characters than this are refused (NIST SP 800-63B: at least 8 when chosen by a person). */
export const PASSWORD_MIN_LENGTH = 8;
/** More than this is refused too: each verification hashes the whole of it. */
export const PASSWORD_MAX_LENGTH = 200;

let common: Set<string> | null = null;

/**
 * About 49,000 passwords from breach corpora, lower-case, as shipped by zxcvbn-ts. Loaded on first
 * use (about 150 ms): most processes that import the config never check a password.
 */
function commonPasswords(): Set<string> {
  if (!common) {
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as { dictionary: Record<'passwords-common', string[]> };
    common = new Set(dictionary['passwords-common']);
  }
  return common;
}

/** Why `password` may not be used, in words that end a sentence ("it is …"); null when it may. */
export function passwordProblem(password: string, email?: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `use at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `use at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'it is one of the most common passwords, choose another';
  if (email) {
    const address = email.trim().toLowerCase();
    if (lower === address || lower === address.split('@')[0]) return 'it must not be the email address';
  }
  return null;
}

/** Throws CSMS_ERR_WEAK_PASSWORD (400) naming `field` when `password` breaks the policy. */
export function assertPasswordAllowed(password: string, email?: string, field = 'body.password'): void {
  const problem = passwordProblem(password, email);
  if (problem) throw new CsmsError('CSMS_ERR_WEAK_PASSWORD', problem, { field, minLength: PASSWORD_MIN_LENGTH });
}
