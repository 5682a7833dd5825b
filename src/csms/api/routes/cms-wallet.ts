/**
 * CMS: a customer's wallet ledger, and the admin's own entries (credit, debit, refund), each with
 * a reason and the admin who made it, kept in the ledger and sent to the audit trail.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError } from '../../domain/errors.ts';
import { ADMIN_WALLET_KINDS, type AdminWalletKind } from '../../domain/types.ts';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { body, errors, idParams, list, obj, pageFields, pageQuery, walletEntrySchema } from '../schemas.ts';
import { MAX_TOPUP_MINOR } from './user.ts';

interface AdjustBody {
  kind: AdminWalletKind;
  amountMinor: number;
  reason: string;
}

/** /api/cms/customers/:id/wallet… */
export const cmsWalletRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, etags, wallet, publish, broker } = ctx;
  const tags = ['cms'];
  const security = [{ bearerAuth: [] }];

  const customerId = async (id: number): Promise<number> => {
    const u = await store.users.get(id);
    if (!u || u.role !== 'customer') throw new CsmsError('CSMS_ERR_NOT_FOUND', `customer ${id}`);
    return u.id;
  };

  app.get<{ Params: { id: number }; Querystring: { limit: number; offset: number } }>('/customers/:id/wallet/transactions', {
    onRequest: [ctx.adminOnly, etags.check()],
    schema: {
      tags, security, summary: 'A customer\'s wallet ledger, newest first, with who made each admin entry',
      params: idParams, querystring: pageQuery,
      response: { 200: list(walletEntrySchema, { ...pageFields, balanceMinor: { type: 'integer' } }), ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const id = await customerId(request.params.id);
    const { limit, offset } = request.query;
    return { items: await store.wallet.list(id, { limit, offset }), total: await store.wallet.count(id), limit, offset, balanceMinor: await store.wallet.balance(id) };
  });

  app.post<{ Params: { id: number }; Body: AdjustBody }>('/customers/:id/wallet', {
    onRequest: ctx.adminOnly,
    schema: {
      tags, security,
      summary: 'Credit (positive amountMinor), debit or refund (negative) a customer\'s wallet, with a reason; recorded with the admin who did it',
      params: idParams,
      body: body({
        kind: { type: 'string', enum: [...ADMIN_WALLET_KINDS] },
        amountMinor: { type: 'integer', minimum: -MAX_TOPUP_MINOR, maximum: MAX_TOPUP_MINOR, description: 'credit: > 0; debit and refund: < 0' },
        reason: { type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' },
      }, ['kind', 'amountMinor', 'reason']),
      response: { 201: obj({ balanceMinor: { type: 'integer' }, entry: walletEntrySchema }), ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    const admin = currentUser(request);
    const { entry, balance, notifications } = await wallet.adjust(await customerId(request.params.id), request.body, admin.email);
    publish(notifications);
    broker.publishAudit(`cms.wallet.${entry.kind}`, { customerId: entry.customerId, entryId: entry.id, amountMinor: entry.amountMinor, reason: entry.note, by: admin.email, at: entry.createdAt });
    reply.code(201);
    return { balanceMinor: balance, entry };
  });
};
