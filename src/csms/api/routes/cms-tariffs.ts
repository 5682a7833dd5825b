/**
 * CMS: tariffs. Prices are integers in minor units; a tariff change
 * reprices what charge point pages show, so writes notify `cms:points`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { notify } from '../../domain/notifications.ts';
import type { TariffInput } from '../../domain/ports.ts';
import type { NotificationType } from '../../domain/types.ts';
import type { ApiContext } from '../context.ts';
import { body, errors, idParams, list, pageFields, pageQuery, tariffSchema } from '../schemas.ts';

const minor = { type: 'integer', minimum: 0, maximum: 10_000_000 };
const tariffInput = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  // ISO 4217 alphabetic code; only the network's is accepted (CURRENCY).
  currency: { type: 'string', pattern: '^[A-Z]{3}$', description: "The network's currency (CURRENCY, default EUR); may be left out" },
  pricePerKwh: minor,
  pricePerMinute: minor,
  sessionFee: minor,
};

/** /api/cms/tariffs CRUD. */
export const cmsTariffRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, etags, publish, config } = ctx;
  /** One network, one currency: a tariff in another would debit wallets in the wrong unit. */
  const inNetworkCurrency = (currency: string | undefined): string => {
    if (currency === undefined || currency === config.currency) return config.currency;
    throw new CsmsError('CSMS_ERR_CURRENCY_MISMATCH', `the tariff is in ${currency}; this network charges in ${config.currency} (CURRENCY)`, { currency, networkCurrency: config.currency });
  };
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];
  const read = { onRequest: [ctx.adminOnly, etags.check()] };
  const missing = (id: number) => new CsmsError('CSMS_ERR_NOT_FOUND', `tariff ${id}`);
  const announce = (type: NotificationType, data: Record<string, unknown>) =>
    publish(notify(type, data, ctx.now()));

  app.get<{ Querystring: { limit: number; offset: number } }>('/tariffs', {
    ...read,
    schema: { tags, security, summary: 'Tariffs', querystring: pageQuery, response: { 200: list(tariffSchema, pageFields), ...errors(400, 401, 403) } },
  }, async (request) => ({ items: await store.tariffs.list(request.query), total: await store.tariffs.count(), limit: request.query.limit, offset: request.query.offset }));

  app.get<{ Params: { id: number } }>('/tariffs/:id', {
    ...read,
    schema: { tags, security, summary: 'One tariff', params: idParams, response: { 200: tariffSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    const t = await store.tariffs.get(request.params.id);
    if (!t) throw missing(request.params.id);
    return t;
  });

  app.post<{ Body: Omit<TariffInput, 'currency'> & { currency?: string } }>('/tariffs', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: "Create a tariff (in the network's currency)", body: body(tariffInput, ['name', 'pricePerKwh']), response: { 201: tariffSchema, ...errors(400, 401, 403) } },
  }, async (request, reply) => {
    const t = await store.tariffs.create({ ...request.body, currency: inNetworkCurrency(request.body.currency) });
    announce('tariff.created', { tariff: t });
    reply.code(201);
    return t;
  });

  app.put<{ Params: { id: number }; Body: Partial<TariffInput> }>('/tariffs/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Change some fields of a tariff', params: idParams, body: body(tariffInput), response: { 200: tariffSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    // Fixing a tariff an older version stored in another currency means setting the network's.
    if (request.body.currency !== undefined) inNetworkCurrency(request.body.currency);
    const t = await store.tariffs.update(request.params.id, request.body);
    if (!t) throw missing(request.params.id);
    announce('tariff.updated', { tariff: t });
    return t;
  });

  app.delete<{ Params: { id: number } }>('/tariffs/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Delete a tariff no charge point uses', params: idParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    if (!await store.tariffs.delete(request.params.id)) throw missing(request.params.id);
    announce('tariff.deleted', { tariffId: request.params.id });
    reply.code(204).send();
  });
};
