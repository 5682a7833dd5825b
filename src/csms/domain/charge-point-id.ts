/**
 * The one rule for a charge point id (its OCPP identity), shared by the gateway, which checks it
 * before the WebSocket upgrade, and the REST API, whose routes carry it as a path parameter or a
 * body field: an id one accepts, the other accepts too.
 */

/** OCPP 1.6 chargeBoxIdentity is a CiString48. */
export const CHARGE_POINT_ID_MAX_LENGTH = 48;

/**
 * 1–48 characters (code points, as JSON Schema counts them), none of them `/` nor a control
 * character, and not `.` or `..`. J §3.1.1 puts the identity in the last segment of the endpoint's
 * path, and the REST API puts it in a path segment too: an escaped `%2F` decodes to an id no route
 * can name, and URL parsers (browsers, fetch, ws) resolve a `.` or `..` segment (even escaped) away.
 * C0, DEL and C1 controls are never part of an id a page or a log could show. A JSON Schema
 * `pattern`; ajv compiles it with the `u` flag, as this module does.
 */
export const CHARGE_POINT_ID_PATTERN = `^(?!\\.{1,2}$)[^/\\u0000-\\u001f\\u007f-\\u009f]{1,${CHARGE_POINT_ID_MAX_LENGTH}}$`;

const CHARGE_POINT_ID = new RegExp(CHARGE_POINT_ID_PATTERN, 'u');

/** Why `id` cannot be a charge point id, or null when it can. */
export function chargePointIdProblem(id: string): string | null {
  if (CHARGE_POINT_ID.test(id)) return null;
  if (id.length === 0) return 'is empty';
  if (id.includes('/')) return 'contains "/"';
  if (id === '.' || id === '..') return 'is a dot segment';
  if ([...id].length > CHARGE_POINT_ID_MAX_LENGTH) return `is longer than ${CHARGE_POINT_ID_MAX_LENGTH} characters`;
  return 'contains a control character';
}

/** True when `id` may be a charge point id. */
export function isChargePointId(id: string): boolean {
  return CHARGE_POINT_ID.test(id);
}
