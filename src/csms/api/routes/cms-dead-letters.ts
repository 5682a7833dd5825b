/**
 * CMS: OCPP events the processor could not apply after its retries (dead letters), in either mode:
 * the embedded broker keeps them in its journal, RabbitMQ in the dead-letter queue. Replaying puts
 * them back in line (the processor skips what it already applied).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.ts';
import { errors, obj } from '../schemas.ts';

const str = { type: 'string' };
const letterSchema = obj({
  eventId: str,
  chargePointId: str,
  kind: str,
  action: { type: ['string', 'null'] },
  error: str,
  attempts: { type: 'integer' },
  at: str,
});

/** GET /api/cms/dead-letters, POST /api/cms/dead-letters/replay. */
export const cmsDeadLetterRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { broker } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];

  app.get('/dead-letters', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'OCPP events that kept failing, oldest first', response: { 200: obj({ items: { type: 'array', items: letterSchema }, total: { type: 'integer' } }), ...errors(401, 403, 503) } },
  }, async () => {
    const letters = await broker.deadLetters();
    const items = letters.map((d) => ({
      eventId: d.event.eventId,
      chargePointId: d.event.chargePointId,
      kind: d.event.kind,
      action: 'action' in d.event ? d.event.action : null,
      error: d.error,
      attempts: d.attempts,
      at: d.at,
    }));
    return { items, total: items.length };
  });

  app.post('/dead-letters/replay', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Put every dead letter back in line for the processor', response: { 200: obj({ replayed: { type: 'integer' } }), ...errors(401, 403, 503) } },
  }, async () => {
    const replayed = await broker.replayDeadLetters();
    broker.publishAudit('cms.dead-letters.replayed', { replayed, at: ctx.now() });
    return { replayed };
  });
};
