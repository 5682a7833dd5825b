/**
 * The REST API: builds the Fastify instance with its plugins, validation, the one error handler,
 * the ETag hooks and every route. It does not listen; server.ts decides where and when.
 */
import fastifyJwt from '@fastify/jwt';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fastJson from 'fast-json-stringify';
import Fastify, { type FastifyInstance, type FastifySchema } from 'fastify';
import { callerKey, guard, jwtSecretFor, authRoutes } from './auth.ts';
import type { ApiContext, ApiDeps } from './context.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { createEtags } from './etag.ts';
import { createPublisher } from './outcomes.ts';
import { chargerRoutes } from './routes/charger.ts';
import { cmsCustomerRoutes } from './routes/cms-customers.ts';
import { cmsDeadLetterRoutes } from './routes/cms-dead-letters.ts';
import { cmsIdTagRoutes } from './routes/cms-id-tags.ts';
import { cmsLocalListRoutes } from './routes/cms-local-list.ts';
import { cmsPointRoutes } from './routes/cms-points.ts';
import { cmsSessionRoutes } from './routes/cms-sessions.ts';
import { cmsStationRoutes } from './routes/cms-stations.ts';
import { cmsTariffRoutes } from './routes/cms-tariffs.ts';
import { cmsWalletRoutes } from './routes/cms-wallet.ts';
import { configRoutes } from './routes/config.ts';
import { fileTransferRoutes, firmwareRoutes } from './routes/firmware.ts';
import { healthRoutes } from './routes/health.ts';
import { paymentRoutes } from './routes/payments.ts';
import { userChargingRoutes } from './routes/user-charging.ts';
import { cmsReservationRoutes, userReservationRoutes } from './routes/reservations.ts';
import { userRoutes } from './routes/user.ts';
import { webRoutes } from './routes/web.ts';

export type { ApiDeps } from './context.ts';
export { ensureAdmin } from './auth.ts';

/**
 * Two validators: query strings and params arrive as text and must be coerced ("5" → 5), but a
 * JSON body must already have the right types: a top-up of "100" or 1.5 is refused, not guessed.
 */
function createValidators() {
  const options = { useDefaults: true, allErrors: false, strict: false } as const;
  const coercing = new Ajv({ ...options, coerceTypes: 'array' });
  const exact = new Ajv({ ...options, coerceTypes: false });
  addFormats.default(coercing);
  addFormats.default(exact);
  // Each schema compiles on its route's first request, not at start: compiling all of them took about
  // 0.3 s of `ev-csms serve`'s start, and a process serves few of its routes soon after. Fastify reads
  // a failed validation's errors from the function it was given, so they are copied onto it.
  return ({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) => {
    let compiled: ValidateFunction | null = null;
    const validate = (data: unknown): boolean => {
      compiled ??= (httpPart === 'body' ? exact : coercing).compile(schema as object);
      const ok = compiled(data) as boolean;
      validate.errors = compiled.errors;
      return ok;
    };
    validate.errors = null as ValidateFunction['errors'];
    return validate;
  };
}

/**
 * Fastify's own serializer (fast-json-stringify, with its defaults as Fastify passes them: no
 * shared schemas here), compiled on the first answer with that status instead of at start (it was
 * 0.2 s of `ev-csms serve`'s start).
 */
function createSerializers() {
  return ({ schema }: { schema: object }) => {
    let stringify: ((data: unknown) => string) | null = null;
    return (data: unknown): string => (stringify ??= fastJson(schema))(data);
  };
}

/** Builds the API on the given adapters; call `listen` on the result (or `inject` in tests). */
export function createApi(deps: ApiDeps): FastifyInstance {
  const app = (deps.logger
    ? Fastify({ loggerInstance: deps.logger, bodyLimit: 256 * 1024 })
    : Fastify({ logger: false, bodyLimit: 256 * 1024 })) as unknown as FastifyInstance;

  app.setValidatorCompiler(createValidators());
  app.setSerializerCompiler(createSerializers());
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.register(fastifyJwt, { secret: jwtSecretFor(deps.config) });
  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'ev-csms REST API', version: '1.0.0', description: 'Customer app, CMS and charger commands of the ev-csms OCPP 1.6J CSMS. Errors: docs/errors.md.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      tags: [
        { name: 'auth' }, { name: 'customer' }, { name: 'charger', description: 'OCPP commands (admin)' },
        { name: 'cms', description: 'Back office (admin)' }, { name: 'payments', description: 'Checkout and the provider\'s webhook (docs/payments.md)' },
        { name: 'config' }, { name: 'health' },
      ],
    },
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const etags = createEtags(deps.store, callerKey);
  app.addHook('onSend', etags.onSend);

  const ctx: ApiContext = {
    ...deps,
    etags,
    publish: createPublisher(deps.broker, app.log, deps.onCustomersChanged),
    customerOnly: guard(deps.store, deps.clock, 'customer'),
    adminOnly: guard(deps.store, deps.clock, 'admin'),
    now: () => deps.clock.now().toISOString(),
  };

  // Routes go in plugins so that they load after @fastify/swagger and show up in /docs/json.
  app.register(healthRoutes, ctx);
  app.register(configRoutes, ctx);
  app.register(authRoutes, { store: deps.store, config: deps.config, clock: deps.clock });
  app.register(userRoutes, { ...ctx, prefix: '/api/user' });
  app.register(userChargingRoutes, { ...ctx, prefix: '/api/user' });
  app.register(userReservationRoutes, { ...ctx, prefix: '/api/user' });
  app.register(paymentRoutes, ctx);
  app.register(chargerRoutes, { ...ctx, prefix: '/api/charger' });
  for (const routes of [cmsStationRoutes, cmsPointRoutes, cmsTariffRoutes, cmsCustomerRoutes, cmsIdTagRoutes, cmsWalletRoutes, cmsSessionRoutes, cmsDeadLetterRoutes, cmsReservationRoutes, cmsLocalListRoutes]) {
    app.register(routes, { ...ctx, prefix: '/api/cms' });
  }
  app.register(firmwareRoutes, ctx);
  app.register(fileTransferRoutes, ctx);
  if (deps.web) app.register(webRoutes, { assets: deps.web });
  return app;
}
