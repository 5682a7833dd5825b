/**
 * Decides, before the WebSocket upgrade, whether a charger may connect (J §3, SEC profile 1):
 * the path is `/ocpp/{identity}` (else 404) with a well-formed identity (else 400) that is known
 * (else 404), and a charger with an AuthorizationKey presents it as HTTP Basic credentials
 * (else 401). Nothing here touches the socket.
 */
import type { IncomingMessage } from 'node:http';
import { chargePointIdProblem } from '../domain/charge-point-id.ts';
import { verifyAuthKey } from '../domain/secrets.ts';
import type { Store } from '../domain/ports.ts';
import type { ChargePoint } from '../domain/types.ts';

const PATH_PREFIX = '/ocpp/';

export type UpgradeDecision =
  | { ok: true; identity: string; point: ChargePoint | null; autoRegistered: boolean }
  | { ok: false; status: 400 | 401 | 404; reason: string };

export type IdentityFromUrl =
  | { ok: true; identity: string }
  | { ok: false; status: 400 | 404; reason: string };

/**
 * Extracts the identity from `/ocpp/{identity}` and decodes it. A path of another shape is 404; an
 * identity that does not decode, or whose decoded form is no charge point id (domain/charge-point-id.ts,
 * the rule the REST API's routes use too: `CP%2F1` decodes to `CP/1`), is 400.
 */
export function identityFromUrl(url: string | undefined): IdentityFromUrl {
  const path = url?.split('?')[0] ?? '';
  const encoded = path.startsWith(PATH_PREFIX) ? path.slice(PATH_PREFIX.length) : '';
  if (encoded.length === 0 || encoded.includes('/')) {
    return { ok: false, status: 404, reason: 'expected /ocpp/{chargePointId}' };
  }
  let identity: string;
  try {
    identity = decodeURIComponent(encoded);
  } catch {
    return { ok: false, status: 400, reason: 'the identity is not valid percent-encoded UTF-8' };
  }
  const problem = chargePointIdProblem(identity);
  if (problem !== null) return { ok: false, status: 400, reason: `the identity ${JSON.stringify(identity)} ${problem}` };
  return { ok: true, identity };
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

export async function decideUpgrade(req: IncomingMessage, store: Store, autoRegister: boolean): Promise<UpgradeDecision> {
  const parsed = identityFromUrl(req.url);
  if (!parsed.ok) return parsed;
  const { identity } = parsed;
  const point = await store.chargePoints.get(identity);
  if (!point) {
    if (!autoRegister) return { ok: false, status: 404, reason: `unknown charge point ${identity}` };
    return { ok: true, identity, point: null, autoRegistered: true };
  }
  const hash = point.hasAuthKey ? await store.chargePoints.authKeyHash(identity) : null;
  if (hash !== null) {
    const creds = basicCredentials(req.headers.authorization);
    // SEC §2: username is the identity; compare the key in constant time against the salted hash.
    if (!creds || creds.username !== identity || !verifyAuthKey(creds.password, hash)) {
      return { ok: false, status: 401, reason: `bad or missing Basic credentials for ${identity}` };
    }
  }
  return { ok: true, identity, point, autoRegistered: false };
}
