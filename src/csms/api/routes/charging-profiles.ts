/**
 * Smart Charging over REST (docs/smart-charging.md): the three command routes, which the charger
 * routes serve like every other command (their payloads checked by domain/charging-profiles.ts),
 * and the profiles each charger accepted, with the count of those it did not confirm.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import type { ApiContext } from '../context.ts';
import { cpParams, errors, obj } from '../schemas.ts';
import type { CommandRoute } from './charger.ts';

const connectorAny = { type: 'integer', minimum: 0 };
const purposes = ['ChargePointMaxProfile', 'TxDefaultProfile', 'TxProfile'];

/** The Smart Charging commands (E2 §5.4, §5.7, §5.16). */
export const SMART_CHARGING_ROUTES: CommandRoute[] = [
  {
    path: 'set-charging-profile', action: 'SetChargingProfile', summary: 'Install a charging profile on a connector (0 = the charge point)',
    params: { connectorId: connectorAny, csChargingProfiles: { type: 'object' } }, required: ['connectorId', 'csChargingProfiles'],
  },
  {
    path: 'clear-charging-profile', action: 'ClearChargingProfile', summary: 'Remove a profile by id, or those matching connector, purpose and stack level',
    params: { id: { type: 'integer' }, connectorId: connectorAny, chargingProfilePurpose: { type: 'string', enum: purposes }, stackLevel: { type: 'integer', minimum: 0 } }, required: [],
  },
  {
    path: 'get-composite-schedule', action: 'GetCompositeSchedule', summary: "The schedule a connector will follow for `duration` seconds, all profiles combined",
    params: { connectorId: connectorAny, duration: { type: 'integer', minimum: 0 }, chargingRateUnit: { type: 'string', enum: ['A', 'W'] } }, required: ['connectorId', 'duration'],
  },
];

const any = { type: 'object', additionalProperties: true };
const nullableStr = { type: ['string', 'null'] };
const nullableInt = { type: ['integer', 'null'] };

export const installedProfileSchema = obj({
  chargePointId: { type: 'string' },
  connectorId: { type: 'integer' },
  chargingProfileId: { type: 'integer' },
  stackLevel: { type: 'integer' },
  purpose: { type: 'string' },
  transactionId: nullableInt,
  profile: any,
  requestedBy: nullableStr,
  installedAt: { type: 'string' },
});

export const unconfirmedSchema = obj({ count: { type: 'integer' }, lastStatus: nullableStr, lastAt: nullableStr });

/** GET /api/charger/:chargePointId/charging-profiles (admin). */
export const chargingProfileRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store } = ctx;
  app.get<{ Params: { chargePointId: string } }>('/:chargePointId/charging-profiles', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: {
      tags: ['charger'], security: [{ bearerAuth: [] }],
      summary: 'The charging profiles this charger accepted, and how many it did not confirm',
      params: cpParams,
      response: { 200: obj({ items: { type: 'array', items: installedProfileSchema }, unconfirmed: unconfirmedSchema }), ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { chargePointId } = request.params;
    if (!await store.chargePoints.get(chargePointId)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
    return { items: await store.chargingProfiles.list(chargePointId), unconfirmed: await store.chargingProfiles.unconfirmed(chargePointId) };
  });
};
