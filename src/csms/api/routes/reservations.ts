/**
 * Reservations over REST: a driver reserves a connector, lists and cancels their own
 * (/api/user/reservations); an admin lists every reservation and cancels any
 * (/api/cms/reservations). The domain books, sends ReserveNow / CancelReservation and bills.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ReservationStatus } from '../../domain/types.ts';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { body, chargePointIdSchema, errors, idParams, list, obj, pageQuery } from '../schemas.ts';

const str = { type: 'string' };
const int = { type: 'integer' };
const STATUSES: ReservationStatus[] = ['active', 'used', 'cancelled', 'expired', 'refused'];

/** A reservation as the API returns it; `id` is the OCPP reservationId. */
export const reservationSchema = obj({
  id: int,
  chargePointId: str,
  connectorId: int,
  customerId: int,
  idTag: str,
  expiresAt: str,
  status: { type: 'string', enum: STATUSES },
  feeMinor: int,
  note: { type: ['string', 'null'] },
  sessionId: { type: ['integer', 'null'] },
  createdAt: str,
  updatedAt: str,
});

const listQuery = {
  ...pageQuery,
  properties: { ...(pageQuery.properties as object), status: { type: 'string', enum: STATUSES }, chargePointId: chargePointIdSchema },
};
const cancelled = obj({ reservation: reservationSchema, chargerAnswer: str });

/** POST/GET /api/user/reservations, DELETE /api/user/reservations/:id. */
export const userReservationRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { reservations, store, publish } = ctx;
  const tags = ['customer'];
  const security = [{ bearerAuth: [] }];

  app.post<{ Body: { chargePointId: string; connectorId: number } }>('/reservations', {
    onRequest: ctx.customerOnly,
    schema: {
      tags, security,
      summary: 'Reserve a connector for RESERVATION_MINUTES (ReserveNow); 201 once the charger accepts, 409 with its answer otherwise',
      body: body({ chargePointId: chargePointIdSchema, connectorId: { type: 'integer', minimum: 1 } }, ['chargePointId', 'connectorId']),
      response: { 201: reservationSchema, ...errors(400, 401, 402, 403, 404, 409, 502, 503, 504) },
    },
  }, async (request, reply) => {
    const { chargePointId, connectorId } = request.body;
    const r = await reservations.reserve(currentUser(request).id, chargePointId, connectorId, publish);
    reply.code(201);
    return r;
  });

  app.get<{ Querystring: { limit: number; offset: number; status?: ReservationStatus } }>('/reservations', {
    onRequest: [ctx.customerOnly, ctx.etags.check()],
    schema: { tags, security, summary: "The caller's reservations, newest first", querystring: listQuery, response: { 200: list(reservationSchema, { limit: int, offset: int }), ...errors(400, 401, 403) } },
  }, async (request) => {
    const { limit, offset, status } = request.query;
    return { items: await store.reservations.list({ customerId: currentUser(request).id, status, limit, offset }), limit, offset };
  });

  app.delete<{ Params: { id: number } }>('/reservations/:id', {
    onRequest: ctx.customerOnly,
    schema: { tags, security, summary: 'Cancel one of the caller\'s active reservations (CancelReservation); the fee is kept', params: idParams, response: { 200: cancelled, ...errors(401, 403, 404, 409, 503, 504) } },
  }, async (request) => await reservations.cancel(request.params.id, { customerId: currentUser(request).id }, publish));
};

/** GET /api/cms/reservations, POST /api/cms/reservations/:id/cancel. */
export const cmsReservationRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { reservations, store, publish } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];

  app.get<{ Querystring: { limit: number; offset: number; status?: ReservationStatus; chargePointId?: string } }>('/reservations', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: { tags, security, summary: 'Reservations, newest first (filter by status, e.g. active, and charge point)', querystring: listQuery, response: { 200: list(reservationSchema, { limit: int, offset: int }), ...errors(400, 401, 403) } },
  }, async (request) => {
    const { limit, offset, status, chargePointId } = request.query;
    return { items: await store.reservations.list({ status, chargePointId, limit, offset }), limit, offset };
  });

  app.post<{ Params: { id: number } }>('/reservations/:id/cancel', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Cancel an active reservation (CancelReservation); its fee is refunded', params: idParams, response: { 200: cancelled, ...errors(401, 403, 404, 409, 503, 504) } },
  }, async (request) => {
    const admin = currentUser(request);
    const result = await reservations.cancel(request.params.id, { admin: admin.email }, publish);
    ctx.broker.publishAudit('cms.reservation.cancelled', { reservationId: result.reservation.id, admin: admin.email, at: ctx.now() });
    return result;
  });
};
