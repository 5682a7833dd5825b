/**
 * The customer's own pages: profile, where to charge, sessions and wallet. Every read is scoped to
 * the caller: another customer's session is "not found", never forbidden, so ids cannot be probed.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import type { Store } from '../../domain/ports.ts';
import { meterSeries } from '../../domain/meter.ts';
import type { ChargePoint, Session, SessionStatus } from '../../domain/types.ts';
import { currentUser, publicUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { toValidationError } from '../error-handler.ts';
import {
  body, cpParams, errors, idParams, idTagCardSchema, list, obj, pageFields, pageQuery,
  meterSeriesSchema, MAX_SERIES_POINTS, publicChargePointSchema, sessionViewSchema, stationSchema, userSchema, walletEntrySchema,
} from '../schemas.ts';
import { cardViews } from './cms-id-tags.ts';

/** Largest single top-up, in minor units: a typo guard, not a business limit. */
export const MAX_TOPUP_MINOR = 1_000_000;

/** A charge point as customers see it; connector 0 (the whole charger) is not something to plug into. */
export async function publicPoint(store: Store, cp: ChargePoint) {
  return {
    id: cp.id,
    stationId: cp.stationId,
    vendor: cp.vendor,
    model: cp.model,
    online: cp.online,
    connectors: (await store.chargePoints.connectors(cp.id)).filter((c) => c.connectorId > 0),
    tariff: await store.tariffs.forChargePoint(cp.id),
  };
}

/** A session's meter history as chart points, the newest MAX_SERIES_POINTS of them. */
export async function sessionSeries(store: Store, session: Session) {
  return { sessionId: session.id, items: meterSeries(await store.sessions.meterSamples(session.id), session.meterStart).slice(-MAX_SERIES_POINTS) };
}

const stationWithPoints = obj({
  ...(stationSchema as { properties: Record<string, Record<string, unknown>> }).properties,
  chargePoints: { type: 'array', items: publicChargePointSchema },
  connectorsAvailable: { type: 'integer' },
});

const sessionsQuery = {
  ...pageQuery,
  properties: { ...(pageQuery.properties as object), status: { type: 'string', enum: ['active', 'completed', 'refused'] } },
};

/** GET/POST /api/user/* except charging start/stop (user-charging.ts) and register (auth.ts). */
export const userRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, charging, etags, publish } = ctx;
  const read = { onRequest: [ctx.customerOnly, etags.check()] };
  const tags = ['customer'];
  const security = [{ bearerAuth: [] }];
  /** Operators' notes stay in the CMS: who closed it by hand and why, what needs a review. */
  const customerView = async (session: Session) => ({ ...await charging.view(session), closeNote: null, review: null });
  /** The caller's session by `:id`; another customer's is "not found", so ids cannot be probed. */
  const ownSession = async (request: FastifyRequest<{ Params: { id: number } }>): Promise<Session> => {
    const session = await store.sessions.get(request.params.id);
    if (!session || session.customerId !== currentUser(request).id) throw new CsmsError('CSMS_ERR_SESSION_NOT_FOUND', String(request.params.id));
    return session;
  };

  app.get('/me', {
    ...read,
    schema: { tags, security, summary: 'The caller\'s account and wallet balance', response: { 200: obj({ ...(userSchema as { properties: object }).properties, balanceMinor: { type: 'integer' } }), ...errors(401, 403) } },
  }, async (request) => {
    const me = currentUser(request);
    return { ...publicUser(me), balanceMinor: await store.wallet.balance(me.id) };
  });

  app.get('/id-tags', {
    ...read,
    schema: { tags, security, summary: 'The caller\'s cards, primary first (read-only: an admin manages them)', response: { 200: list(idTagCardSchema), ...errors(401, 403) } },
  }, async (request) => ({ items: await cardViews(store, currentUser(request)) }));

  app.get('/stations', {
    ...read,
    schema: { tags, security, summary: 'Stations with their charge points and live connector availability', response: { 200: list(stationWithPoints), ...errors(401, 403) } },
  }, async () => ({
    items: await Promise.all((await store.stations.list({ limit: 1000 })).map(async (s) => {
      const chargePoints = await Promise.all((await store.chargePoints.list({ stationId: s.id, limit: 1000 })).map((cp) => publicPoint(store, cp)));
      const connectorsAvailable = chargePoints
        .filter((cp) => cp.online)
        .reduce((n, cp) => n + cp.connectors.filter((c) => c.status === 'Available').length, 0);
      return { ...s, chargePoints, connectorsAvailable };
    })),
  }));

  app.get<{ Params: { chargePointId: string } }>('/chargers/:chargePointId', {
    ...read,
    schema: { tags, security, summary: 'One charge point with its connectors and tariff', params: cpParams, response: { 200: publicChargePointSchema, ...errors(401, 403, 404) } },
  }, async (request) => {
    const cp = await store.chargePoints.get(request.params.chargePointId);
    if (!cp) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', request.params.chargePointId);
    return await publicPoint(store, cp);
  });

  app.get<{ Querystring: { limit: number; offset: number; status?: SessionStatus } }>('/sessions', {
    ...read,
    schema: { tags, security, summary: 'The caller\'s charging history, newest first', querystring: sessionsQuery, response: { 200: list(sessionViewSchema, pageFields), ...errors(400, 401, 403) } },
  }, async (request) => {
    const { limit, offset, status } = request.query;
    const filter = { customerId: currentUser(request).id, status };
    return { items: await Promise.all((await store.sessions.list({ ...filter, limit, offset })).map(customerView)), total: await store.sessions.count(filter), limit, offset };
  });

  app.get('/sessions/active', {
    ...read,
    schema: { tags, security, summary: 'The caller\'s running sessions with live energy, power and cost', response: { 200: list(sessionViewSchema), ...errors(401, 403) } },
  }, async (request) => ({ items: await Promise.all((await store.sessions.activeForCustomer(currentUser(request).id)).map(customerView)) }));

  app.get<{ Params: { id: number } }>('/sessions/:id', {
    ...read,
    schema: { tags, security, summary: 'One of the caller\'s sessions', params: idParams, response: { 200: sessionViewSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    return await customerView(await ownSession(request));
  });

  app.get<{ Params: { id: number } }>('/sessions/:id/meter-values', {
    ...read,
    schema: { tags, security, summary: 'Energy and power over one of the caller\'s sessions (for the live chart)', params: idParams, response: { 200: meterSeriesSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    return await sessionSeries(store, await ownSession(request));
  });

  app.get('/wallet', {
    ...read,
    schema: { tags, security, summary: 'Wallet balance in minor units', response: { 200: obj({ balanceMinor: { type: 'integer' } }), ...errors(401, 403) } },
  }, async (request) => ({ balanceMinor: await store.wallet.balance(currentUser(request).id) }));

  app.get<{ Querystring: { limit: number; offset: number } }>('/wallet/transactions', {
    ...read,
    schema: { tags, security, summary: 'Wallet ledger, newest first', querystring: pageQuery, response: { 200: list(walletEntrySchema, { limit: { type: 'integer' }, offset: { type: 'integer' } }), ...errors(400, 401, 403) } },
  }, async (request) => {
    const { limit, offset } = request.query;
    // Which admin made an entry stays in the CMS; the reason (note) is the customer's to read.
    const items = (await store.wallet.list(currentUser(request).id, { limit, offset })).map((e) => ({ ...e, actor: null }));
    return { items, limit, offset };
  });

  app.post<{ Body: { amount: number } }>('/wallet/topup', {
    onRequest: ctx.customerOnly,
    // The amount gets its own error code (CSMS_ERR_BAD_AMOUNT), so the handler sees the verdict.
    attachValidation: true,
    schema: {
      tags, security,
      summary: 'Add money to the wallet without paying (integer minor units); only where WALLET_SELF_TOPUP (or --demo) allows it',
      body: body({ amount: { type: 'integer', minimum: 1, maximum: MAX_TOPUP_MINOR } }, ['amount']),
      response: { 200: obj({ balanceMinor: { type: 'integer' }, entry: walletEntrySchema }), ...errors(400, 401, 403) },
    },
  }, async (request) => {
    // Off by default: money comes from a payment provider (POST /wallet/checkout) or an admin.
    if (!ctx.config.walletSelfTopup) throw new CsmsError('CSMS_ERR_TOPUP_DISABLED', 'pay through checkout, or ask the operator to credit the wallet');
    if (request.validationError) {
      const invalid = toValidationError(request.validationError);
      if (invalid.data?.field !== 'body.amount') throw invalid;
      const amount = (request.body as { amount?: unknown } | undefined)?.amount;
      throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `${JSON.stringify(amount) ?? 'missing'}: an integer from 1 to ${MAX_TOPUP_MINOR}`, { field: 'body.amount', max: MAX_TOPUP_MINOR });
    }
    const { entry, balance, notifications } = await ctx.wallet.topUp(currentUser(request).id, request.body.amount);
    publish(notifications);
    return { balanceMinor: balance, entry };
  });
};
