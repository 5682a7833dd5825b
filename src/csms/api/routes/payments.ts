/**
 * Paying for top-ups (docs/payments.md): a customer opens a checkout at the payment provider, pays
 * on its page, and the provider calls the webhook, which credits the wallet once per payment.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CsmsError, isCsmsError } from '../../domain/errors.ts';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import { toValidationError } from '../error-handler.ts';
import { body, errors, obj } from '../schemas.ts';
import { MAX_TOPUP_MINOR } from './user.ts';

/** Webhook bodies are small JSON documents; anything larger is not a provider's. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;

const str = { type: 'string' } as const;

/** POST /api/user/wallet/checkout and POST /api/payments/webhook. */
export const paymentRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { wallet, publish, broker } = ctx;

  app.post<{ Body: { amountMinor: number } }>('/api/user/wallet/checkout', {
    onRequest: ctx.customerOnly,
    attachValidation: true,
    schema: {
      tags: ['customer', 'payments'], security: [{ bearerAuth: [] }],
      summary: 'Open a checkout at the payment provider; send the customer to `url` to pay. The wallet is credited when the provider confirms the payment.',
      body: body({ amountMinor: { type: 'integer', minimum: 1, maximum: MAX_TOPUP_MINOR } }, ['amountMinor']),
      response: { 200: obj({ paymentId: str, url: str }), ...errors(400, 401, 403, 501, 502) },
    },
  }, async (request) => {
    // Said first: no amount makes checkout work where no provider is configured.
    if (!wallet.canCheckout) throw new CsmsError('CSMS_ERR_PAYMENTS_NOT_CONFIGURED', 'the operator credits wallets');
    if (request.validationError) {
      const invalid = toValidationError(request.validationError);
      if (invalid.data?.field !== 'body.amountMinor') throw invalid;
      const amount = (request.body as { amountMinor?: unknown } | undefined)?.amountMinor;
      throw new CsmsError('CSMS_ERR_BAD_AMOUNT', `${JSON.stringify(amount) ?? 'missing'}: an integer from 1 to ${MAX_TOPUP_MINOR}`, { field: 'body.amountMinor', max: MAX_TOPUP_MINOR });
    }
    // Back to the wallet page of the host the customer came from.
    const returnUrl = `${request.protocol}://${request.host}/app/#/wallet`;
    const me = currentUser(request);
    const checkout = await wallet.checkout(me.id, request.body.amountMinor, returnUrl);
    broker.publishAudit('payment.checkout', { customerId: me.id, paymentId: checkout.paymentId, amountMinor: request.body.amountMinor, currency: wallet.currency, at: ctx.now() });
    return checkout;
  });

  // The signature covers the body byte for byte: this route alone takes it unparsed, as a Buffer.
  app.register(async (hook) => {
    hook.removeAllContentTypeParsers();
    hook.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, raw, done) => done(null, raw));

    hook.post('/api/payments/webhook', {
      schema: {
        tags: ['payments'],
        summary: 'The payment provider reports a payment (no token: the body is signed, see docs/payments.md). A payment credits the wallet once, however often it is delivered.',
        response: {
          200: obj({ received: { type: 'boolean' }, credited: { type: 'boolean' }, paymentId: str, status: str, balanceMinor: { type: 'integer' } }, ['balanceMinor']),
          ...errors(400, 404, 422, 501),
        },
      },
    }, async (request) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      try {
        const { event, credited } = await wallet.receiveWebhook(raw, request.headers);
        if (credited) {
          publish(credited.notifications);
          broker.publishAudit('payment.credited', { customerId: event.customerId, paymentId: event.paymentId, amountMinor: event.amountMinor, currency: event.currency, entryId: credited.entry.id, at: ctx.now() });
        }
        return { received: true, credited: credited !== null, paymentId: event.paymentId, status: event.status, ...(credited ? { balanceMinor: credited.balance } : {}) };
      } catch (err) {
        // The provider sees only the status; the operator finds why in the log.
        if (isCsmsError(err)) request.log.warn({ code: err.code, detail: err.detail }, 'payment webhook refused');
        throw err;
      }
    });
  });
};
