/** CMS: all charging sessions (filtered, with a total for paging) and the dashboard figures. */
import type { FastifyPluginAsync } from 'fastify';
import type { SessionFilter } from '../../domain/ports.ts';
import type { Session } from '../../domain/types.ts';
import type { ApiContext } from '../context.ts';
import { CsmsError } from '../../domain/errors.ts';
import { currentUser } from '../auth.ts';
import { body, errors, idParams, list, meterSeriesSchema, obj, pageFields, pageProperties, sessionViewSchema } from '../schemas.ts';
import { sessionSeries } from './user.ts';

const int = { type: 'integer' };

const dashboardSchema = obj({
  stations: int,
  stationsOnline: int,
  chargePoints: int,
  chargePointsOnline: int,
  connectorsByStatus: { type: 'object', additionalProperties: int },
  activeSessions: int,
  energyWhToday: int,
  energyWhTotal: int,
  revenueMinorToday: int,
  revenueMinorTotal: int,
  customers: int,
});

const sessionQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['active', 'completed', 'refused'] },
    stale: { type: 'boolean', description: 'Only active sessions from which nothing arrived for SESSION_STALE_AFTER_S' },
    chargePointId: { type: 'string', minLength: 1, maxLength: 48 },
    customerId: { type: 'integer', minimum: 1 },
    from: { type: 'string', format: 'date-time', description: 'Sessions started at or after this time' },
    to: { type: 'string', format: 'date-time', description: 'Sessions started before this time' },
    ...pageProperties,
  },
};

/** A session as admins see it: who charged, by name, besides the customer id. */
const cmsSessionSchema = obj({
  ...(sessionViewSchema as { properties: Record<string, unknown> }).properties,
  customer: { anyOf: [obj({ id: int, name: { type: 'string' }, email: { type: 'string' } }), { type: 'null' }] },
});

/** GET /api/cms/sessions (and closing one by hand) and GET /api/cms/dashboard. */
export const cmsSessionRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, charging, etags, publish, broker } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];
  const sessionById = async (id: number): Promise<Session> => {
    const session = await store.sessions.get(id);
    if (!session) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(id));
    return session;
  };
  const withCustomer = async (session: Session) => {
    const user = session.customerId === null ? null : await store.users.get(session.customerId);
    return { ...await charging.view(session), customer: user && { id: user.id, name: user.name, email: user.email } };
  };

  app.get<{ Querystring: Omit<SessionFilter, 'silentSince'> & { stale?: boolean; limit: number; offset: number } }>('/sessions', {
    // Staleness moves with the clock, not with writes: a minute-grained tag lets it show up.
    onRequest: [ctx.adminOnly, etags.check(() => ctx.now().slice(0, 16))],
    schema: { tags, security, summary: 'Charging sessions, newest first, with filters', querystring: sessionQuery, response: { 200: list(cmsSessionSchema, pageFields), ...errors(400, 401, 403) } },
  }, async (request) => {
    const { limit, offset, stale, ...rest } = request.query;
    const filter: SessionFilter = stale ? { ...rest, silentSince: charging.staleBefore() } : rest;
    return { items: await Promise.all((await store.sessions.list({ ...filter, limit, offset })).map(withCustomer)), total: await store.sessions.count(filter), limit, offset };
  });

  app.post<{ Params: { id: number }; Body: { reason: string } }>('/sessions/:id/close', {
    onRequest: ctx.adminOnly,
    schema: {
      tags, security,
      summary: 'Close an active session the charger will not stop (offline, or it refused RemoteStopTransaction); billed up to its last meter value',
      params: idParams,
      body: body({ reason: { type: 'string', minLength: 3, maxLength: 200 } }, ['reason']),
      response: { 200: cmsSessionSchema, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const admin = currentUser(request);
    const { session, notifications } = await charging.closeByAdmin(request.params.id, request.body.reason.trim(), admin.email);
    publish(notifications);
    broker.publishAudit('cms.session.closed', { sessionId: session.id, chargePointId: session.chargePointId, reason: request.body.reason.trim(), by: admin.email, at: ctx.now() });
    return await withCustomer(session);
  });

  app.get<{ Params: { id: number } }>('/sessions/:id', {
    onRequest: [ctx.adminOnly, etags.check(() => ctx.now().slice(0, 16))],
    schema: { tags, security, summary: 'One charging session', params: idParams, response: { 200: cmsSessionSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    return await withCustomer(await sessionById(request.params.id));
  });

  app.get<{ Params: { id: number } }>('/sessions/:id/meter-values', {
    onRequest: [ctx.adminOnly, etags.check()],
    schema: { tags, security, summary: 'Energy and power over one session (for the live chart)', params: idParams, response: { 200: meterSeriesSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    return await sessionSeries(store, await sessionById(request.params.id));
  });

  app.get('/dashboard', {
    // "Today" rolls over at midnight without any write, so the date is part of the tag.
    onRequest: [ctx.adminOnly, etags.check(() => ctx.now().slice(0, 10))],
    schema: { tags, security, summary: 'Counts, energy and revenue for the CMS dashboard', response: { 200: dashboardSchema, ...errors(401, 403) } },
  }, () => store.dashboardStats(ctx.now()));
};
