/**
 * CMS: charge points, their detail view and OCPP message log.
 * A charger's AuthorizationKey is stored only as a salted hash (SEC profile 1/2); a generated key
 * is shown once, in the answer to the request that generated it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { notify } from '../../domain/notifications.ts';
import type { ChargePointInput } from '../../domain/ports.ts';
import { hashAuthKey, randomAuthKey } from '../../domain/secrets.ts';
import type { ChargePoint, NotificationType, RegistrationStatus } from '../../domain/types.ts';
import type { ApiContext } from '../context.ts';
import { unconfirmedSchema } from './charging-profiles.ts';
import {
  body, chargePointIdSchema, chargePointSchema, connectorSchema, cpParams, errors, list, messageLogSchema,
  limitSchema, obj, pageFields, pageProperties, sessionViewSchema, tariffSchema,
} from '../schemas.ts';

interface PointBody {
  stationId?: number | null;
  tariffId?: number | null;
  connectors?: number;
  lenient?: boolean;
  priority?: number;
  registrationStatus?: RegistrationStatus;
  /** A key to hash, `"generate"`/true for a new one (returned once), null to clear. */
  authKey?: string | true | null;
}

const cpProps = (chargePointSchema as { properties: Record<string, unknown> }).properties as Record<string, Record<string, unknown>>;

const pointInput = {
  stationId: { type: ['integer', 'null'], minimum: 1 },
  tariffId: { type: ['integer', 'null'], minimum: 1 },
  connectors: { type: 'integer', minimum: 0, maximum: 32 },
  lenient: { type: 'boolean' },
  // Weight of its sessions in load management: priority + 1 (docs/smart-charging.md).
  priority: { type: 'integer', minimum: 0, maximum: 100 },
  registrationStatus: { type: 'string', enum: ['Unknown', 'Accepted', 'Pending', 'Rejected'] },
  // SEC: the AuthorizationKey is 16–20 bytes, configured as up to 40 hex characters.
  authKey: { anyOf: [{ type: 'string', minLength: 16, maxLength: 40 }, { const: 'generate' }, { const: true }, { type: 'null' }] },
};

const pointWithConnectors = obj({ ...cpProps, connectors: { type: 'array', items: connectorSchema } });
/** Create/update answer: `authKey` is present only when the request generated one. */
const pointWritten = obj({ ...cpProps, connectors: { type: 'array', items: connectorSchema }, authKey: { type: 'string' } }, ['authKey']);
const pointDetail = obj({
  ...cpProps,
  connectors: { type: 'array', items: connectorSchema },
  tariff: { anyOf: [tariffSchema, { type: 'null' }] },
  activeSessions: { type: 'array', items: sessionViewSchema },
  // Smart Charging: profiles the charger did not confirm (docs/smart-charging.md).
  unconfirmedProfiles: unconfirmedSchema,
});

/** /api/cms/points CRUD, detail and message log. */
export const cmsPointRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, charging, etags, publish } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];
  const read = { onRequest: [ctx.adminOnly, etags.check()] };

  const point = async (id: string): Promise<ChargePoint> => {
    const cp = await store.chargePoints.get(id);
    if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', id);
    return cp;
  };
  const withConnectors = async (cp: ChargePoint) => ({ ...cp, connectors: await store.chargePoints.connectors(cp.id) });
  const announce = (type: NotificationType, id: string, data: Record<string, unknown>) =>
    publish(notify(type, { chargePointId: id, ...data }, ctx.now(), { chargePointId: id }));

  /** Splits `authKey` into what the store keeps and what the caller sees once. */
  function authKeyChange(authKey: PointBody['authKey']): { authKeyHash?: string | null; shown?: string } {
    if (authKey === undefined) return {};
    if (authKey === null) return { authKeyHash: null };
    const key = authKey === true || authKey === 'generate' ? randomAuthKey() : authKey;
    return { authKeyHash: hashAuthKey(key), shown: key === authKey ? undefined : key };
  }

  app.get<{ Querystring: { stationId?: number; limit: number; offset: number } }>('/points', {
    ...read,
    schema: {
      tags, security, summary: 'Charge points with their connectors',
      querystring: { type: 'object', additionalProperties: false, properties: { stationId: { type: 'integer', minimum: 1 }, ...pageProperties } },
      response: { 200: list(pointWithConnectors, pageFields), ...errors(400, 401, 403) },
    },
  }, async (request) => ({
    items: await Promise.all((await store.chargePoints.list(request.query)).map(withConnectors)),
    total: (await store.chargePoints.count({ stationId: request.query.stationId })).total,
    limit: request.query.limit,
    offset: request.query.offset,
  }));

  app.get<{ Params: { chargePointId: string } }>('/points/:chargePointId', {
    ...read,
    schema: { tags, security, summary: 'A charge point with connectors, tariff and active sessions', params: cpParams, response: { 200: pointDetail, ...errors(401, 403, 404) } },
  }, async (request) => {
    const cp = await point(request.params.chargePointId);
    const activeSessions = await Promise.all((await store.sessions.list({ chargePointId: cp.id, status: 'active', limit: 100 })).map(charging.view));
    return { ...await withConnectors(cp), tariff: await store.tariffs.forChargePoint(cp.id), activeSessions, unconfirmedProfiles: await store.chargingProfiles.unconfirmed(cp.id) };
  });

  app.get<{ Params: { chargePointId: string }; Querystring: { limit: number; afterId?: number } }>('/points/:chargePointId/messages', {
    ...read,
    schema: {
      tags, security, summary: 'OCPP message log, newest first; `afterId` returns only newer entries (polling cursor)',
      params: cpParams,
      querystring: { type: 'object', additionalProperties: false, properties: { limit: limitSchema(500, 100), afterId: { type: 'integer', minimum: 0 } } },
      response: { 200: list(messageLogSchema), ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const cp = await point(request.params.chargePointId);
    return { items: await store.messages.list(cp.id, request.query) };
  });

  app.post<{ Body: PointBody & { id: string } }>('/points', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Register a charge point by its OCPP identity', body: body({ id: chargePointIdSchema, ...pointInput }, ['id']), response: { 201: pointWritten, ...errors(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    const { authKey, ...rest } = request.body;
    const { authKeyHash, shown } = authKeyChange(authKey);
    const input: ChargePointInput = { ...rest, ...(authKeyHash !== undefined ? { authKeyHash } : {}) };
    const cp = await store.chargePoints.create(input);
    announce('point.created', cp.id, { point: cp });
    reply.code(201);
    return { ...await withConnectors(cp), ...(shown ? { authKey: shown } : {}) };
  });

  app.put<{ Params: { chargePointId: string }; Body: PointBody }>('/points/:chargePointId', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Change some fields of a charge point', params: cpParams, body: body(pointInput), response: { 200: pointWritten, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const { authKey, ...rest } = request.body;
    const { authKeyHash, shown } = authKeyChange(authKey);
    const cp = await store.chargePoints.update(request.params.chargePointId, { ...rest, ...(authKeyHash !== undefined ? { authKeyHash } : {}) });
    if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', request.params.chargePointId);
    announce('point.updated', cp.id, { point: cp });
    return { ...await withConnectors(cp), ...(shown ? { authKey: shown } : {}) };
  });

  app.delete<{ Params: { chargePointId: string } }>('/points/:chargePointId', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Delete a charge point (its history stays)', params: cpParams, response: { 204: { type: 'null' }, ...errors(401, 403, 404, 409) } },
  }, async (request, reply) => {
    const id = request.params.chargePointId;
    if (!await store.chargePoints.delete(id)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', id);
    announce('point.deleted', id, {});
    reply.code(204).send();
  });
};
