/**
 * Decides, before the WebSocket upgrade, whether a charger may connect (J §3, SEC profile 1):
 * the path names a known identity (else 404), and a charger with an AuthorizationKey presents it as
 * HTTP Basic credentials (else 401). Nothing here touches the socket.
 */
import type { IncomingMessage } from 'node:http';
import { verifyAuthKey } from '../domain/secrets.ts';
import type { Store } from '../domain/ports.ts';
import type { ChargePoint } from '../domain/types.ts';

/** OCPP 1.6 chargeBoxIdentity is a CiString48. */
export const MAX_IDENTITY_LENGTH = 48;
const PATH_PREFIX = '/ocpp/';

export type UpgradeDecision =
  | { ok: true; identity: string; point: ChargePoint | null; autoRegistered: boolean }
  | { ok: false; status: 400 | 401 | 404; reason: string };

/** Extracts the percent-encoded identity from `/ocpp/{identity}`. */
export function identityFromUrl(url: string | undefined): string | null {
  if (!url) return null;
  const path = url.split('?')[0];
  if (!path.startsWith(PATH_PREFIX)) return null;
  const encoded = path.slice(PATH_PREFIX.length);
  if (encoded.length === 0 || encoded.includes('/')) return null;
  try {
    const identity = decodeURIComponent(encoded);
    return identity.length > 0 && identity.length <= MAX_IDENTITY_LENGTH ? identity : null;
  } catch {
    return null;
  }
}

/**
 * Parses `Authorization: Basic ...` into raw bytes: the password is an AuthorizationKey that may
 * contain ':' or be binary, so only the first ':' separates it from the identity.
 */
export function basicCredentials(header: string | undefined): { username: string; password: Buffer } | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const raw = Buffer.from(match[1], 'base64');
  const colon = raw.indexOf(0x3a);
  if (colon < 0) return null;
  return { username: raw.subarray(0, colon).toString('utf8'), password: raw.subarray(colon + 1) };
}

export function decideUpgrade(req: IncomingMessage, store: Store, autoRegister: boolean): UpgradeDecision {
  const identity = identityFromUrl(req.url);
  if (identity === null) return { ok: false, status: 404, reason: 'expected /ocpp/{chargePointId} with an identity of 1-48 characters' };
  const point = store.chargePoints.get(identity);
  if (!point) {
    if (!autoRegister) return { ok: false, status: 404, reason: `unknown charge point ${identity}` };
    return { ok: true, identity, point: null, autoRegistered: true };
  }
  const hash = point.hasAuthKey ? store.chargePoints.authKeyHash(identity) : null;
  if (hash !== null) {
    const creds = basicCredentials(req.headers.authorization);
    // SEC §2: username is the identity; compare the key in constant time against the salted hash.
    if (!creds || creds.username !== identity || !verifyAuthKey(creds.password, hash)) {
      return { ok: false, status: 401, reason: `bad or missing Basic credentials for ${identity}` };
    }
  }
  return { ok: true, identity, point, autoRegistered: false };
}
