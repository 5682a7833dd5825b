/**
 * CMS: a charger's Local Authorization List as the CSMS knows it (docs/local-auth-list.md): the
 * version the charger confirmed against the one the CSMS's cards make current.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { listDifference } from '../../domain/local-list.ts';
import type { ApiContext } from '../context.ts';
import { cpParams, errors, obj } from '../schemas.ts';

const nullableInt = { type: ['integer', 'null'] };
const localListSchema = obj({
  enabled: { type: 'boolean', description: 'LOCAL_LIST=on: the CSMS keeps the lists in step' },
  charger: {
    anyOf: [{ type: 'null' }, obj({
      version: { type: 'integer', description: 'The version the charger confirmed (0: none)' },
      reportedVersion: { ...nullableInt, description: 'Its last GetLocalListVersion answer' },
      size: { type: 'integer' },
      status: { type: 'string', enum: ['synced', 'failed', 'unsupported'] },
      detail: { type: ['string', 'null'] },
      truncated: { type: 'boolean', description: 'More cards than the charger holds (LocalAuthListMaxLength): the first ones by idTag are on its list' },
      omitted: { type: 'integer', description: 'Cards left off its list' },
      updatedAt: { type: 'string' },
    })],
  },
  csms: obj({
    version: { type: 'integer', description: 'The version the cards make current: the charger\'s when in step, else the next one' },
    size: { type: 'integer' },
    pending: { type: 'integer', description: 'Entries the charger has yet to receive (added, changed or removed)' },
    inStep: { type: 'boolean' },
  }),
});

/** GET /api/cms/points/:chargePointId/local-list. */
export const cmsLocalListRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store } = ctx;
  app.get<{ Params: { chargePointId: string } }>('/points/:chargePointId/local-list', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: {
      tags: ['cms'], security: [{ bearerAuth: [] }],
      summary: 'The charger\'s Local Authorization List: the version it holds and the CSMS\'s current one',
      params: cpParams,
      response: { 200: localListSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { chargePointId } = request.params;
    if (!await store.chargePoints.get(chargePointId)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
    const [state, wanted] = await Promise.all([store.localLists.get(chargePointId), store.localLists.wanted(ctx.now())]);
    // A truncated list holds the first cards by idTag, as many as the charger takes: those are what it should hold.
    const fits = state && state.omitted > 0 ? wanted.slice(0, state.entries.length) : wanted;
    const pending = state?.status === 'synced' ? listDifference(state.entries, fits).length : fits.length;
    const inStep = state?.status === 'synced' && pending === 0;
    return {
      enabled: ctx.config.localList === 'on',
      charger: state && { version: state.version, reportedVersion: state.reportedVersion, size: state.entries.length, status: state.status, detail: state.detail, truncated: state.omitted > 0, omitted: state.omitted, updatedAt: state.updatedAt },
      csms: { version: inStep ? state.version : (state?.version ?? 0) + 1, size: wanted.length, pending, inStep },
    };
  });
};
