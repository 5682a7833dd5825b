/**
 * CMS: a customer's cards (idTags). Each can be blocked, expire, and run `maxConcurrent`
 * transactions at once (a fleet card more than one); the primary card is the customer's `idTag`,
 * the one the user panel starts with.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { sameIdTag } from '../../domain/id-tags.ts';
import { notify } from '../../domain/notifications.ts';
import type { IdTagPatch, Store } from '../../domain/ports.ts';
import type { IdTagCard, User } from '../../domain/types.ts';
import { publicUser, uniqueIdTag } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { body, concurrencySchema, errors, idTagCardSchema, idTagSchema, list, obj } from '../schemas.ts';

/** An expiry in one spelling (UTC, ms), so it compares as the instant it names. */
export const expiry = (text: string | null | undefined): string | null => (text ? new Date(text).toISOString() : null);

const expiresAtSchema = { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] };
const labelSchema = { anyOf: [{ type: 'string', maxLength: 100 }, { type: 'null' }] };
const cardInput = {
  label: labelSchema,
  blocked: { type: 'boolean' },
  /** After this instant the card answers Expired; null: never. */
  expiresAt: expiresAtSchema,
  maxConcurrent: concurrencySchema,
  /** Make it the customer's primary card (there is no un-making: make another one primary). */
  primary: { type: 'boolean', enum: [true] },
};
const cardParams = obj({ id: { type: 'integer', minimum: 1 }, idTag: idTagSchema });

interface CardBody {
  label?: string | null;
  blocked?: boolean;
  expiresAt?: string | null;
  maxConcurrent?: number;
  primary?: true;
}

/** The customer's cards as the CMS shows them: primary first, with how many sessions each runs. */
export async function cardViews(store: Store, customer: User) {
  const active = await store.sessions.activeForCustomer(customer.id);
  const view = (card: IdTagCard) => ({
    ...card,
    primary: sameIdTag(card.idTag, customer.idTag),
    activeSessions: active.filter((s) => sameIdTag(s.idTag, card.idTag)).length,
  });
  return (await store.idTags.listForCustomer(customer.id)).map(view).sort((a, b) => Number(b.primary) - Number(a.primary));
}

/** /api/cms/customers/:id/id-tags. */
export const cmsIdTagRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, etags, publish } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];

  const customer = async (id: number): Promise<User> => {
    const u = await store.users.get(id);
    if (!u || u.role !== 'customer') throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${id}`);
    return u;
  };
  /** The card, if it is this customer's: another customer's is "not found" too. */
  const cardOf = async (u: User, idTag: string): Promise<IdTagCard> => {
    const card = await store.idTags.get(idTag);
    if (!card || card.customerId !== u.id) throw new CsmsError('CSMS_ERR_ID_TAG_NOT_FOUND', `${idTag} of customer ${u.id}`);
    return card;
  };
  const viewOf = async (u: User, idTag: string) => (await cardViews(store, u)).find((c) => sameIdTag(c.idTag, idTag))!;
  // As a customer change: the CMS list refetches, and the customer's own page hears of it.
  const announce = async (id: number) => {
    const u = (await store.users.get(id))!;
    publish(notify('customer.updated', { customerId: id, customer: publicUser(u) }, ctx.now(), { customers: [id] }));
  };

  app.get<{ Params: { id: number } }>('/customers/:id/id-tags', {
    onRequest: [ctx.adminOnly, etags.check()],
    schema: { tags, security, summary: 'The customer\'s cards, primary first, with their active sessions', params: obj({ id: { type: 'integer', minimum: 1 } }), response: { 200: list(idTagCardSchema), ...errors(400, 401, 403, 404) } },
  }, async (request) => ({ items: await cardViews(store, await customer(request.params.id)) }));

  app.post<{ Params: { id: number }; Body: CardBody & { idTag?: string } }>('/customers/:id/id-tags', {
    onRequest: ctx.adminOnly,
    schema: {
      tags, security, summary: 'Add a card (idTag generated when absent); the first card becomes primary',
      params: obj({ id: { type: 'integer', minimum: 1 } }),
      body: body({ idTag: idTagSchema, ...cardInput }),
      response: { 201: idTagCardSchema, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const u = await customer(request.params.id);
    const { idTag, primary, expiresAt, ...rest } = request.body;
    const card = await store.transaction(async () => store.idTags.create({ ...rest, idTag: idTag ?? await uniqueIdTag(store), customerId: u.id, expiresAt: expiry(expiresAt) }, { primary }));
    await announce(u.id);
    reply.code(201);
    return await viewOf((await store.users.get(u.id))!, card.idTag);
  });

  app.put<{ Params: { id: number; idTag: string }; Body: CardBody }>('/customers/:id/id-tags/:idTag', {
    onRequest: ctx.adminOnly,
    schema: {
      tags, security, summary: 'Block or unblock a card, change its label, expiry or maxConcurrent, or make it primary',
      params: cardParams, body: body(cardInput),
      response: { 200: idTagCardSchema, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const u = await customer(request.params.id);
    const card = await cardOf(u, request.params.idTag);
    const { primary, expiresAt, ...rest } = request.body;
    const patch: IdTagPatch = { ...rest, ...(expiresAt !== undefined ? { expiresAt: expiry(expiresAt) } : {}) };
    await store.transaction(async () => {
      await store.idTags.update(card.idTag, patch);
      if (primary) await store.idTags.makePrimary(card.idTag);
    });
    await announce(u.id);
    return await viewOf((await store.users.get(u.id))!, card.idTag);
  });

  app.delete<{ Params: { id: number; idTag: string } }>('/customers/:id/id-tags/:idTag', {
    onRequest: ctx.adminOnly,
    schema: {
      tags, security, summary: 'Delete a card without an active session (the oldest other card becomes primary if it was)',
      params: cardParams, response: { 204: { type: 'null' }, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const u = await customer(request.params.id);
    await store.idTags.delete((await cardOf(u, request.params.idTag)).idTag);
    await announce(u.id);
    reply.code(204).send();
  });
};
