/**
 * CMS: charging stations. Writes notify `cms:stations` and the
 * dashboard so open CMS pages refresh without polling.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { notify } from '../../domain/notifications.ts';
import type { StationInput } from '../../domain/ports.ts';
import type { NotificationType } from '../../domain/types.ts';
import type { ApiContext } from '../context.ts';
import { body, chargePointSchema, connectorSchema, errors, idParams, list, obj, pageFields, pageQuery, stationSchema } from '../schemas.ts';

const stationProps = (stationSchema as { properties: Record<string, unknown> }).properties as Record<string, Record<string, unknown>>;

const stationInput = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  address: { type: 'string', maxLength: 300 },
  latitude: { type: ['number', 'null'], minimum: -90, maximum: 90 },
  longitude: { type: ['number', 'null'], minimum: -180, maximum: 180 },
  // Load management (docs/smart-charging.md): null turns it off for the station.
  gridLimitW: { type: ['integer', 'null'], minimum: 1 },
  minPerSessionW: { type: ['integer', 'null'], minimum: 0 },
};

const stationSummary = obj({ ...stationProps, chargePointCount: { type: 'integer' }, chargePointsOnline: { type: 'integer' } });
const stationDetail = obj({
  ...stationProps,
  chargePoints: { type: 'array', items: obj({ ...(chargePointSchema as { properties: object }).properties, connectors: { type: 'array', items: connectorSchema } }) },
});

/** /api/cms/stations CRUD. */
export const cmsStationRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, etags, publish } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];
  const read = { onRequest: [ctx.adminOnly, etags.check()] };

  const station = async (id: number) => {
    const s = await store.stations.get(id);
    if (!s) throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${id}`);
    return s;
  };
  const announce = (type: NotificationType, data: Record<string, unknown>) =>
    publish(notify(type, data, ctx.now()));

  app.get<{ Querystring: { limit: number; offset: number } }>('/stations', {
    ...read,
    schema: { tags, security, summary: 'Stations with charge point counts', querystring: pageQuery, response: { 200: list(stationSummary, pageFields), ...errors(400, 401, 403) } },
  }, async (request) => ({
    items: await Promise.all((await store.stations.list(request.query)).map(async (s) => {
      const { total, online } = await store.chargePoints.count({ stationId: s.id });
      return { ...s, chargePointCount: total, chargePointsOnline: online };
    })),
    total: await store.stations.count(),
    limit: request.query.limit,
    offset: request.query.offset,
  }));

  app.get<{ Params: { id: number } }>('/stations/:id', {
    ...read,
    schema: { tags, security, summary: 'A station with its charge points and connectors', params: idParams, response: { 200: stationDetail, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const s = await station(request.params.id);
    const chargePoints = await Promise.all((await store.chargePoints.list({ stationId: s.id, limit: 1000 })).map(async (cp) => ({ ...cp, connectors: await store.chargePoints.connectors(cp.id) })));
    return { ...s, chargePoints };
  });

  app.post<{ Body: StationInput }>('/stations', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Create a station', body: body(stationInput, ['name']), response: { 201: stationSchema, ...errors(400, 401, 403) } },
  }, async (request, reply) => {
    const s = await store.stations.create(request.body);
    announce('station.created', { station: s });
    reply.code(201);
    return s;
  });

  app.put<{ Params: { id: number }; Body: Partial<StationInput> }>('/stations/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Change some fields of a station', params: idParams, body: body(stationInput), response: { 200: stationSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const s = await store.stations.update(request.params.id, request.body);
    if (!s) throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${request.params.id}`);
    announce('station.updated', { station: s });
    return s;
  });

  app.delete<{ Params: { id: number } }>('/stations/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Delete a station without charge points', params: idParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    if (!await store.stations.delete(request.params.id)) throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${request.params.id}`);
    announce('station.deleted', { stationId: request.params.id });
    reply.code(204).send();
  });
};
