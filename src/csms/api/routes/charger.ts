/**
 * Admin commands to a charger, one route per OCPP 1.6 CS→CP action, each body validated against
 * the action's request (E2 §6) before anything goes on the wire. The answer carries the charger's
 * own response: a ChangeConfiguration "NotSupported" is a successful round trip, not an HTTP error.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { assertNotReservedForOther } from '../../domain/reservations.ts';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { requireAnswer } from '../outcomes.ts';
import { createSmartCharging, SMART_CHARGING_ACTIONS } from '../../domain/smart-charging.ts';
import { chargingProfileRoutes, SMART_CHARGING_ROUTES } from './charging-profiles.ts';
import { body, chargePointIdSchema, commandRecordSchema, commandResultSchema, cpParams, errors, idTagSchema, list, pageQuery } from '../schemas.ts';

type Props = Record<string, Record<string, unknown>>;

export interface CommandRoute {
  path: string;
  action: string;
  summary: string;
  params: Props;
  required: string[];
}

const connectorAny = { type: 'integer', minimum: 0 };
const connectorOne = { type: 'integer', minimum: 1 };

/** E2 §5.17 TriggerMessage requestedMessage values. */
export const TRIGGER_MESSAGES = ['BootNotification', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'Heartbeat', 'MeterValues', 'StatusNotification'];

/** The CS→CP commands an admin may send, by route. */
export const COMMAND_ROUTES: CommandRoute[] = [
  { path: 'remote-start', action: 'RemoteStartTransaction', summary: 'Start a transaction with an idTag', params: { idTag: idTagSchema, connectorId: connectorOne, chargingProfile: { type: 'object' } }, required: ['idTag'] },
  { path: 'remote-stop', action: 'RemoteStopTransaction', summary: 'Stop a transaction', params: { transactionId: { type: 'integer' } }, required: ['transactionId'] },
  { path: 'change-configuration', action: 'ChangeConfiguration', summary: 'Set a configuration key', params: { key: { type: 'string', minLength: 1, maxLength: 50 }, value: { type: 'string', maxLength: 500 } }, required: ['key', 'value'] },
  { path: 'get-configuration', action: 'GetConfiguration', summary: 'Read configuration keys (all when `key` is absent)', params: { key: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 50 } } }, required: [] },
  { path: 'reset', action: 'Reset', summary: 'Reboot the charger', params: { type: { type: 'string', enum: ['Hard', 'Soft'] } }, required: ['type'] },
  { path: 'unlock', action: 'UnlockConnector', summary: 'Unlock a connector', params: { connectorId: connectorOne }, required: ['connectorId'] },
  { path: 'change-availability', action: 'ChangeAvailability', summary: 'Make a connector (0 = the whole charger) (in)operative', params: { connectorId: connectorAny, type: { type: 'string', enum: ['Inoperative', 'Operative'] } }, required: ['connectorId', 'type'] },
  { path: 'clear-cache', action: 'ClearCache', summary: 'Clear the authorization cache', params: {}, required: [] },
  { path: 'trigger', action: 'TriggerMessage', summary: 'Ask the charger to send a message now', params: { requestedMessage: { type: 'string', enum: TRIGGER_MESSAGES }, connectorId: connectorOne }, required: ['requestedMessage'] },
  { path: 'send-local-list', action: 'SendLocalList', summary: 'Send the Local Authorization List (Full or Differential; normally the CSMS keeps it in step itself)', params: { listVersion: { type: 'integer' }, updateType: { type: 'string', enum: ['Full', 'Differential'] }, localAuthorizationList: { type: 'array', items: { type: 'object' } } }, required: ['listVersion', 'updateType'] },
  { path: 'get-local-list-version', action: 'GetLocalListVersion', summary: 'Ask the version of the Local Authorization List the charger holds', params: {}, required: [] },
  { path: 'data-transfer', action: 'DataTransfer', summary: 'Vendor-specific data transfer', params: { vendorId: { type: 'string', minLength: 1, maxLength: 255 }, messageId: { type: 'string', maxLength: 50 }, data: { type: 'string' } }, required: ['vendorId'] },
  ...SMART_CHARGING_ROUTES,
];

/**
 * A payload that breaks the OCPP 1.6 schema, or a Smart Charging rule, names the payload's field; the payload is the body less
 * `chargePointId`, so the body's field is the same one under `body.`, as for every other 400.
 */
function inBody(err: unknown): unknown {
  if (!(err instanceof CsmsError) || !FIELD_ERRORS.has(err.code) || typeof err.data?.field !== 'string') return err;
  // `chargingSchedulePeriod[0].limit` → `body.chargingSchedulePeriod.0.limit`, as Fastify's own 400s spell paths.
  const field = ['body', ...err.data.field.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)].join('.');
  return new CsmsError(err.code, err.detail, { ...err.data, field });
}

const FIELD_ERRORS: ReadonlySet<string> = new Set(['CSMS_ERR_VALIDATION', 'CSMS_ERR_SESSION_NOT_ACTIVE']);

/** POST /api/charger/<command> and GET /api/charger/:chargePointId/commands (admin). */
export const chargerRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, commands } = ctx;
  // Checks the Smart Charging rules (and RemoteStart's profile), keeps installed profiles, counts unconfirmed ones.
  const smartCharging = createSmartCharging({ store, commands, clock: ctx.clock, publish: ctx.publish });
  const tags = ['charger'];
  const security = [{ bearerAuth: [] }];

  for (const route of COMMAND_ROUTES) {
    app.post<{ Body: { chargePointId: string } & Record<string, unknown> }>(`/${route.path}`, {
      onRequest: ctx.adminOnly,
      schema: {
        tags, security,
        summary: `${route.action}: ${route.summary}`,
        body: body({ chargePointId: chargePointIdSchema, ...route.params }, ['chargePointId', ...route.required]),
        response: { 200: commandResultSchema, ...errors(400, 401, 403, 404, 409, 502, 503, 504) },
      },
    }, async (request) => {
      const { chargePointId, ...payload } = request.body;
      if (!await store.chargePoints.get(chargePointId)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
      const admin = currentUser(request);
      // A start on a connector reserved for another customer would only be refused by the charger.
      if (route.action === 'RemoteStartTransaction' && typeof payload.connectorId === 'number') await assertNotReservedForOther(store, chargePointId, payload.connectorId, { idTag: String(payload.idTag) }, ctx.clock.now().toISOString());
      try {
        const send = SMART_CHARGING_ACTIONS.has(route.action) ? smartCharging.send : commands.send;
        const outcome = await send(chargePointId, route.action, payload, { requestedBy: `admin:${admin.id}` });
        // The command sender records the outcome in the audit and announces it to the point's room.
        requireAnswer(outcome, chargePointId);
        return { commandId: outcome.commandId, status: outcome.status, response: outcome.response };
      } catch (err) {
        throw inBody(err);
      }
    });
  }

  // Under this plugin's own prefix.
  await app.register(chargingProfileRoutes, { ...ctx, prefix: '' });

  app.get<{ Params: { chargePointId: string }; Querystring: { limit: number; offset: number } }>('/:chargePointId/commands', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: {
      tags, security, summary: 'Commands sent to this charger and their answers, newest first',
      params: cpParams, querystring: pageQuery,
      response: { 200: list(commandRecordSchema, { limit: { type: 'integer' }, offset: { type: 'integer' } }), ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { chargePointId } = request.params;
    if (!await store.chargePoints.get(chargePointId)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
    const { limit, offset } = request.query;
    return { items: await store.commands.list(chargePointId, { limit, offset }), limit, offset };
  });
};
