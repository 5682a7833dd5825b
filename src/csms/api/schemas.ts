/**
 * JSON Schemas shared by the routes. They validate requests, shape responses (fast-json-stringify
 * drops any property not listed, so a secret such as a password hash cannot leak by accident) and
 * feed the OpenAPI document at /docs/json.
 */
import { CHARGE_POINT_ID_MAX_LENGTH, CHARGE_POINT_ID_PATTERN } from '../domain/charge-point-id.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../domain/passwords.ts';

type Schema = Record<string, unknown>;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullable = (type: string): Schema => ({ type: [type, 'null'] });
/** Any JSON value (charger payloads, command requests). */
export const anyValue: Schema = {};

/** An object schema whose listed properties are all required. */
export function obj(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

/** A request body: unknown fields are refused rather than silently ignored. */
export function body(properties: Record<string, Schema>, required: string[] = []): Schema {
  return { type: 'object', additionalProperties: false, properties, required };
}

/** A list response; `extra` adds paging fields such as `total`. */
export function list(item: Schema, extra: Record<string, Schema> = {}): Schema {
  return obj({ items: { type: 'array', items: item }, ...extra }, Object.keys(extra));
}

export const errorBody = obj({
  error: obj({ code: str, message: str, data: { type: 'object', additionalProperties: true } }, ['data']),
});

/** Error responses a route can give, for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, Schema> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody]));
}

/**
 * The largest paging offset. Without a bound, `offset=99999999999999999999` passed validation as
 * 1e20 and SQLite refused to bind it (a 500); no list comes near 2^31 rows.
 */
export const MAX_OFFSET = 2_147_483_647;

/** `limit` of a list route: 1 to `max` items. */
export function limitSchema(max = 200, byDefault = 50): Schema {
  return { type: 'integer', minimum: 1, maximum: max, default: byDefault };
}

/** `limit` and `offset`, for every list route's querystring: out of range is a 400 CSMS_ERR_VALIDATION. */
export const pageProperties: Record<string, Schema> = {
  limit: limitSchema(),
  offset: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
};

export const pageQuery: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: pageProperties,
};

export const pageFields = { total: int, limit: int, offset: int };

export const idParams: Schema = obj({ id: { type: 'integer', minimum: 1 } });

/** A charge point id, by the rule the OCPP gateway checks identities with (domain/charge-point-id.ts). */
export const chargePointIdSchema: Schema = { type: 'string', minLength: 1, maxLength: CHARGE_POINT_ID_MAX_LENGTH, pattern: CHARGE_POINT_ID_PATTERN };

export const cpParams: Schema = obj({ chargePointId: chargePointIdSchema });

export const emailSchema: Schema = { type: 'string', format: 'email', maxLength: 254 };
/** A password being set: only its type here, so that the policy (domain/passwords.ts) answers a weak one with CSMS_ERR_WEAK_PASSWORD. */
export const passwordSchema: Schema = { type: 'string', maxLength: PASSWORD_MAX_LENGTH, description: `At least ${PASSWORD_MIN_LENGTH} characters, not one of the most common passwords nor the email` };
export const nameSchema: Schema = { type: 'string', minLength: 1, maxLength: 100 };
/** OCPP 1.6 IdToken: CiString20Type. */
export const idTagSchema: Schema = { type: 'string', minLength: 1, maxLength: 20 };

export const userSchema = obj({
  id: int,
  email: str,
  name: str,
  role: { type: 'string', enum: ['customer', 'admin'] },
  idTag: nullable('string'),
  idTagExpiresAt: nullable('string'),
  blocked: bool,
  maxConcurrentSessions: int,
  createdAt: str,
});

/** A customer's card (GET /api/cms/customers/:id/id-tags). */
export const idTagCardSchema = obj({
  idTag: str,
  customerId: int,
  label: nullable('string'),
  blocked: bool,
  expiresAt: nullable('string'),
  maxConcurrent: int,
  createdAt: str,
  primary: bool,
  activeSessions: int,
});

/** How many transactions a card or a customer may run at once. */
export const concurrencySchema: Schema = { type: 'integer', minimum: 1, maximum: 10_000 };

export const stationSchema = obj({
  id: int,
  name: str,
  address: str,
  latitude: nullable('number'),
  longitude: nullable('number'),
  gridLimitW: nullable('integer'),
  minPerSessionW: nullable('integer'),
  createdAt: str,
  updatedAt: str,
});

export const connectorSchema = obj({
  chargePointId: str,
  connectorId: int,
  status: str,
  errorCode: str,
  info: nullable('string'),
  updatedAt: str,
});

export const tariffSchema = obj({
  id: int,
  name: str,
  currency: str,
  pricePerKwh: int,
  pricePerMinute: int,
  sessionFee: int,
  createdAt: str,
  updatedAt: str,
});

export const chargePointSchema = obj({
  id: str,
  stationId: nullable('integer'),
  tariffId: nullable('integer'),
  vendor: nullable('string'),
  model: nullable('string'),
  serialNumber: nullable('string'),
  firmwareVersion: nullable('string'),
  registrationStatus: str,
  lenient: bool,
  hasAuthKey: bool,
  online: bool,
  lastSeenAt: nullable('string'),
  lastBootAt: nullable('string'),
  priority: int,
  createdAt: str,
  updatedAt: str,
});

/** What a customer sees of a charge point: no serial numbers, auth or registration internals. */
export const publicChargePointSchema = obj({
  id: str,
  stationId: nullable('integer'),
  vendor: nullable('string'),
  model: nullable('string'),
  online: bool,
  connectors: { type: 'array', items: connectorSchema },
  tariff: { anyOf: [tariffSchema, { type: 'null' }] },
});

const sessionFields = {
  id: int,
  chargePointId: str,
  connectorId: int,
  customerId: nullable('integer'),
  idTag: str,
  tariffId: nullable('integer'),
  tariff: {
    description: 'The prices the session is billed with, copied from its tariff at the start; null: no tariff, free',
    anyOf: [obj({ id: nullable('integer'), name: str, currency: str, pricePerKwh: int, pricePerMinute: int, sessionFee: int }), { type: 'null' }],
  },
  status: { type: 'string', enum: ['active', 'completed', 'refused'] },
  meterStart: int,
  meterLast: int,
  meterStop: nullable('integer'),
  energyWh: int,
  powerW: int,
  costMinor: int,
  currency: str,
  startedAt: str,
  stoppedAt: nullable('string'),
  lastMeterAt: nullable('string'),
  stopReason: nullable('string'),
  createdAt: str,
  lastReportAt: nullable('string'),
  closedBy: { type: ['string', 'null'], enum: ['charger', 'csms', 'admin', null] },
  closeNote: nullable('string'),
  refusal: nullable('string'),
  review: nullable('string'),
};

export const sessionSchema = obj(sessionFields);

/** A session with what is derived while it runs (charging.view). */
export const sessionViewSchema = obj({
  ...sessionFields,
  durationS: int,
  stale: { ...bool, description: 'Active, but neither the session nor its charger reported anything for SESSION_STALE_AFTER_S' },
  autoStop: { type: ['string', 'null'], enum: ['balance', null], description: "'balance': the CSMS asked the charger to stop because the customer's balance was used up" },
  balanceLeftMinor: {
    ...nullable('integer'),
    description: "Active and billed to a wallet: what the customer may still spend on it (the balance less the session's cost and what other running sessions reserve); the CSMS stops the session before it goes below zero",
  },
});

export const walletEntrySchema = obj({
  id: int,
  customerId: int,
  amountMinor: int,
  kind: { type: 'string', enum: ['topup', 'charge', 'adjustment', 'credit', 'debit', 'refund'] },
  sessionId: nullable('integer'),
  note: nullable('string'),
  externalId: { ...nullable('string'), description: 'A paid top-up: `provider:paymentId` (unique)' },
  actor: { ...nullable('string'), description: 'Who made an admin entry (their email); null in the customer\'s own ledger' },
  createdAt: str,
});

export const commandRecordSchema = obj({
  id: str,
  chargePointId: str,
  action: str,
  request: anyValue,
  status: str,
  response: anyValue,
  requestedBy: nullable('string'),
  createdAt: str,
  answeredAt: nullable('string'),
});

export const messageLogSchema = obj({
  id: int,
  chargePointId: str,
  direction: { type: 'string', enum: ['in', 'out'] },
  messageType: int,
  action: nullable('string'),
  messageId: nullable('string'),
  payload: anyValue,
  latencyMs: nullable('number'),
  createdAt: str,
});

/** Admin command answer: the outcome and the charger's own response payload. */
export const commandResultSchema = obj({ commandId: str, status: str, response: anyValue });

/** GET …/sessions/:id/meter-values: the live chart's history, oldest first. */
export const meterSeriesSchema = obj({
  sessionId: int,
  items: {
    type: 'array',
    items: obj({ at: str, energyWh: { type: ['integer', 'null'] }, powerW: { type: ['number', 'null'] } }),
  },
});

/** Points a chart gets at most: the newest ones. */
export const MAX_SERIES_POINTS = 720;
