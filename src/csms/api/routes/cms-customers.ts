/**
 * CMS: customer accounts. Admin accounts are not customers here: their ids answer 404, so this
 * page cannot block or delete an administrator.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { notify } from '../../domain/notifications.ts';
import type { UserPatch } from '../../domain/ports.ts';
import { assertPasswordAllowed } from '../../domain/passwords.ts';
import { hashPassword } from '../../domain/secrets.ts';
import type { User } from '../../domain/types.ts';
import { normalizeEmail, publicUser, uniqueIdTag } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { body, concurrencySchema, emailSchema, errors, idParams, idTagCardSchema, idTagSchema, list, nameSchema, obj, pageFields, pageProperties, passwordSchema, userSchema } from '../schemas.ts';
import { cardViews, expiry } from './cms-id-tags.ts';

interface CustomerBody {
  email: string;
  password: string;
  name: string;
  idTag?: string | null;
  /** After this instant the primary card answers Expired; null: never. */
  idTagExpiresAt?: string | null;
  blocked?: boolean;
  /** Transactions the customer may run at once over all cards. */
  maxConcurrentSessions?: number;
}

const customerSchema = obj({ ...(userSchema as { properties: object }).properties, balanceMinor: { type: 'integer' }, idTags: { type: 'array', items: idTagCardSchema } });
const customerInput = {
  email: emailSchema, password: passwordSchema, name: nameSchema,
  /** The primary card (all cards: /customers/:id/id-tags). */
  idTag: { anyOf: [idTagSchema, { type: 'null' }] },
  idTagExpiresAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
  blocked: { type: 'boolean' },
  maxConcurrentSessions: concurrencySchema,
};

/** /api/cms/customers CRUD. */
export const cmsCustomerRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, etags, publish } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];
  const read = { onRequest: [ctx.adminOnly, etags.check()] };

  const customer = async (id: number): Promise<User> => {
    const u = await store.users.get(id);
    if (!u || u.role !== 'customer') throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${id}`);
    return u;
  };
  const view = async (u: User) => ({ ...publicUser(u), balanceMinor: await store.wallet.balance(u.id), idTags: await cardViews(store, u) });
  // The customer's own room too: a blocked customer's open page should learn it at once.
  const announce = (type: 'customer.created' | 'customer.updated' | 'customer.deleted', id: number, data: Record<string, unknown>) =>
    publish(notify(type, { customerId: id, ...data }, ctx.now(), { customers: [id] }));

  app.get<{ Querystring: { q?: string; limit: number; offset: number } }>('/customers', {
    ...read,
    schema: {
      tags, security, summary: 'Customers with balances and cards; `q` searches email, name and idTags (`total` counts the matches)',
      querystring: { type: 'object', additionalProperties: false, properties: { q: { type: 'string', maxLength: 100 }, ...pageProperties } },
      response: { 200: list(customerSchema, pageFields), ...errors(400, 401, 403) },
    },
  }, async (request) => {
    const { q, limit, offset } = request.query;
    const items = await Promise.all((await store.users.list({ role: 'customer', q, limit, offset })).map(view));
    return { items, total: await store.users.count({ role: 'customer', q }), limit, offset };
  });

  app.get<{ Params: { id: number } }>('/customers/:id', {
    ...read,
    schema: { tags, security, summary: 'One customer with balance and cards', params: idParams, response: { 200: customerSchema, ...errors(400, 401, 403, 404) } },
  }, async (request) => view(await customer(request.params.id)));

  app.post<{ Body: CustomerBody }>('/customers', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Create a customer (idTag generated when absent)', body: body(customerInput, ['email', 'password', 'name']), response: { 201: customerSchema, ...errors(400, 401, 403, 409) } },
  }, async (request, reply) => {
    const { email, password, name, idTag, idTagExpiresAt, blocked, maxConcurrentSessions } = request.body;
    assertPasswordAllowed(password, email);
    const passwordHash = await hashPassword(password);
    const u = await store.transaction(async () => {
      const created = await store.users.create({ email: normalizeEmail(email), name: name.trim(), passwordHash, role: 'customer', idTag: idTag ?? await uniqueIdTag(store) });
      return blocked || idTagExpiresAt || maxConcurrentSessions
        ? (await store.users.update(created.id, { blocked: blocked ?? false, idTagExpiresAt: expiry(idTagExpiresAt), maxConcurrentSessions }))!
        : created;
    });
    announce('customer.created', u.id, { customer: publicUser(u) });
    reply.code(201);
    return await view(u);
  });

  app.put<{ Params: { id: number }; Body: Partial<CustomerBody> }>('/customers/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Change name, email, primary idTag, its expiry, password, blocked or maxConcurrentSessions', params: idParams, body: body(customerInput), response: { 200: customerSchema, ...errors(400, 401, 403, 404, 409) } },
  }, async (request) => {
    const { email, password, ...rest } = request.body;
    const current = await customer(request.params.id);
    if (password !== undefined) assertPasswordAllowed(password, email ?? current.email);
    const patch: UserPatch = { ...rest, ...(email !== undefined ? { email: normalizeEmail(email) } : {}) };
    if (rest.idTagExpiresAt !== undefined) patch.idTagExpiresAt = expiry(rest.idTagExpiresAt);
    if (password !== undefined) patch.passwordHash = await hashPassword(password);
    const u = await store.users.update(request.params.id, patch);
    if (!u) throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${request.params.id}`);
    announce('customer.updated', u.id, { customer: publicUser(u) });
    return await view(u);
  });

  app.delete<{ Params: { id: number } }>('/customers/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags, security, summary: 'Delete a customer without an active session', params: idParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 409) } },
  }, async (request, reply) => {
    await customer(request.params.id);
    if (!await store.users.delete(request.params.id)) throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${request.params.id}`);
    announce('customer.deleted', request.params.id, {});
    reply.code(204).send();
  });
};
