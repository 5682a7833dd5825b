/**
 * Serves the bundled pages: the user panel at /app/ and the CMS at /cms/ (hash-routed single-page
 * apps, so one index.html each). Assets come from memory with strong ETags; `/` goes to the panel.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** Path below the mount point (`app/main.js`, `cms/index.html`) → file; web/build.ts makes them. */
export type WebAssets = ReadonlyMap<string, { body: Buffer; type: string; etag: string }>;

export interface WebRoutesOptions {
  assets: WebAssets;
}

/** GET /, /app/*, /cms/* (hidden from the OpenAPI document). */
export const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, { assets }) => {
  const schema = { hide: true };

  function serve(path: string, request: FastifyRequest, reply: FastifyReply) {
    const file = assets.get(path);
    if (!file) return reply.callNotFound();
    // index.html must be revalidated so a new build is picked up; bundles too (names are stable).
    reply.header('cache-control', 'no-cache').header('etag', file.etag).header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  }

  app.get('/', { schema }, (_request, reply) => reply.redirect('/app/'));
  for (const name of ['app', 'cms']) {
    app.get(`/${name}`, { schema }, (_request, reply) => reply.redirect(`/${name}/`));
    app.get(`/${name}/`, { schema }, (request, reply) => serve(`${name}/index.html`, request, reply));
    app.get<{ Params: { '*': string } }>(`/${name}/*`, { schema }, (request, reply) => serve(`${name}/${request.params['*']}`, request, reply));
  }
};
