/**
 * Liveness and readiness for orchestrators and load balancers: /health says the process answers,
 * /ready says whether it can do its job (database reachable, broker connected).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.ts';
import { obj } from '../schemas.ts';

const readyBody = obj({
  status: { type: 'string', enum: ['ready', 'degraded', 'not-ready'] },
  database: { type: 'boolean' },
  /** Which store, and where (never credentials): `sqlite ./data/csms.db`, `postgres db:5432/csms`. */
  store: obj({ kind: { type: 'string', enum: ['sqlite', 'postgres'] }, location: { type: 'string' } }),
  broker: obj({ ok: { type: 'boolean' }, detail: { type: 'string' } }),
});

/** GET /health and GET /ready. */
export const healthRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get('/health', {
    schema: { tags: ['health'], summary: 'Liveness: 200 while the process runs', response: { 200: obj({ status: { type: 'string', enum: ['ok'] } }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get<{ Querystring: { degraded?: 'ok' } }>('/ready', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: 200 when the database and the broker are usable, else 503. With ?degraded=ok, a node whose broker is away (its events wait in the outbox) answers 200 too: a load balancer keeps sending it chargers',
      querystring: { type: 'object', additionalProperties: false, properties: { degraded: { type: 'string', enum: ['ok'] } } },
      response: { 200: readyBody, 503: readyBody },
    },
  }, async (request, reply) => {
    let database = false;
    let broker = { ok: false, detail: 'unknown' };
    const store = ctx.storeInfo;
    try {
      const r = await ctx.readiness();
      database = r.database;
      broker = r.broker;
    } catch (err) {
      // A probe that throws is a failed probe, not a 500: the answer must stay machine-readable.
      broker = { ok: false, detail: `readiness check failed: ${(err as Error).message}` };
    }
    // Without a broker the API still serves reads and CMS writes: degraded, not down.
    const status = database && broker.ok ? 'ready' : database ? 'degraded' : 'not-ready';
    const usable = status === 'ready' || (status === 'degraded' && request.query.degraded === 'ok');
    reply.code(usable ? 200 : 503);
    return { status, database, store, broker };
  });
};
