/**
 * GET /api/config: what the pages need to know before they start, chiefly whether to listen on
 * Socket.io (ENABLE_RABBITMQ=true) or fall back to polling, and how often; and how customers can
 * put money in their wallets.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../context.ts';
import { obj } from '../schemas.ts';

const configBody = obj({
  ENABLE_RABBITMQ: { type: 'boolean' },
  realtime: { type: 'string', enum: ['socket.io', 'polling'] },
  currency: { type: 'string', description: "The network's currency (ISO 4217): tariffs, wallets and bills" },
  pollIntervalsMs: obj({ activeSession: { type: 'integer' }, detail: { type: 'integer' }, list: { type: 'integer' } }),
  wallet: obj({
    currency: { type: 'string', description: 'ISO 4217 code of every wallet' },
    selfTopup: { type: 'boolean', description: 'POST /api/user/wallet/topup is allowed (WALLET_SELF_TOPUP, or --demo)' },
    checkout: { type: 'boolean', description: 'A payment provider is configured: POST /api/user/wallet/checkout' },
  }),
});

/** GET /api/config (public, no token). */
export const configRoutes: FastifyPluginAsync<ApiContext> = async (app, { config, etags, wallet }) => {
  app.get('/api/config', {
    onRequest: etags.check(),
    schema: { tags: ['config'], summary: 'Realtime mode, polling intervals and the ways to top up, for the web pages', response: { 200: configBody } },
  }, async () => ({
    ENABLE_RABBITMQ: config.enableRabbitmq,
    realtime: config.enableRabbitmq ? ('socket.io' as const) : ('polling' as const),
    currency: config.currency,
    pollIntervalsMs: { activeSession: config.pollActiveSessionMs, detail: config.pollDetailMs, list: config.pollListMs },
    wallet: { currency: wallet.currency, selfTopup: config.walletSelfTopup, checkout: wallet.canCheckout },
  }));
};
