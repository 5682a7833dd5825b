/**
 * A customer starts and stops charging from the app. The domain says
 * whether they may; the charger has the last word, and both outcomes are pushed to the customer's
 * room as `command.result` so an open page need not poll for it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { customerCommandNotification, requireAccepted } from '../outcomes.ts';
import { body, chargePointIdSchema, errors, obj } from '../schemas.ts';

const accepted = obj({ status: { type: 'string', enum: ['Accepted'] }, commandId: { type: 'string' } });
const refusals = errors(400, 401, 402, 403, 404, 409, 502, 503, 504);

/** POST /api/user/charging/start and /stop. */
export const userChargingRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { charging, commands, publish } = ctx;
  const tags = ['customer'];
  const security = [{ bearerAuth: [] }];

  app.post<{ Body: { chargePointId: string; connectorId: number } }>('/charging/start', {
    onRequest: ctx.customerOnly,
    schema: {
      tags, security,
      summary: 'RemoteStartTransaction on a connector with the caller\'s idTag; 202 once the charger accepts',
      body: body({ chargePointId: chargePointIdSchema, connectorId: { type: 'integer', minimum: 1 } }, ['chargePointId', 'connectorId']),
      response: { 202: accepted, ...refusals },
    },
  }, async (request, reply) => {
    const me = currentUser(request);
    const { chargePointId, connectorId } = request.body;
    const { idTag } = await charging.prepareRemoteStart(me.id, chargePointId, connectorId);
    const outcome = await commands.send(chargePointId, 'RemoteStartTransaction', { connectorId, idTag }, { requestedBy: `customer:${me.id}` });
    publish(customerCommandNotification(me.id, 'RemoteStartTransaction', chargePointId, outcome, ctx.now(), { connectorId }));
    const result = requireAccepted(outcome, chargePointId);
    // 202: the charger agreed to try; the session exists once its StartTransaction arrives.
    reply.code(202);
    return result;
  });

  app.post<{ Body: { sessionId: number } }>('/charging/stop', {
    onRequest: ctx.customerOnly,
    schema: {
      tags, security,
      summary: 'RemoteStopTransaction for one of the caller\'s active sessions; 202 once the charger accepts',
      body: body({ sessionId: { type: 'integer', minimum: 1 } }, ['sessionId']),
      response: { 202: accepted, ...refusals },
    },
  }, async (request, reply) => {
    const me = currentUser(request);
    const session = await charging.prepareRemoteStop(me.id, request.body.sessionId);
    const outcome = await commands.send(session.chargePointId, 'RemoteStopTransaction', { transactionId: session.id }, { requestedBy: `customer:${me.id}` });
    publish(customerCommandNotification(me.id, 'RemoteStopTransaction', session.chargePointId, outcome, ctx.now(), { sessionId: session.id }));
    const result = requireAccepted(outcome, session.chargePointId);
    reply.code(202);
    return result;
  });
};
