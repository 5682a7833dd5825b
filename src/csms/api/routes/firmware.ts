/**
 * Firmware and diagnostics (docs/firmware.md): admins upload firmware images and send UpdateFirmware
 * (to one charger or a rollout) and GetDiagnostics; each is a job with a token of its own. Chargers
 * fetch the image from `/api/files/firmware/<token>/<name>` and upload diagnostics to
 * `/api/files/diagnostics/<token>`: the token is the only credential a charger can use there.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { jobChanged, jobPayload, type DeviceJob, type FirmwareFile, type JobKind } from '../../domain/device-jobs.ts';
import { CsmsError } from '../../domain/errors.ts';
import { currentUser } from '../auth.ts';
import type { ApiContext } from '../context.ts';
import type { FileStore } from '../file-store.ts';
import { body, chargePointIdSchema, cpParams, errors, list, obj, pageProperties } from '../schemas.ts';

const str = { type: 'string' } as const;
const nstr = { type: ['string', 'null'] } as const;
const nint = { type: ['integer', 'null'] } as const;

export const firmwareFileSchema = obj({ id: str, name: str, version: str, sizeBytes: { type: 'integer' }, sha256: str, uploadedBy: nstr, createdAt: str });
export const deviceJobSchema = obj({
  id: str, kind: str, chargePointId: str, firmwareId: nstr, rolloutId: nstr, location: str, status: str, outcome: nstr, detail: nstr,
  targetVersion: nstr, retrieveDate: nstr, fileName: nstr, fileBytes: nint, downloads: { type: 'integer' }, commandId: nstr, requestedBy: nstr,
  createdAt: str, updatedAt: str, finishedAt: nstr,
});
const jobAnswer = obj({ job: deviceJobSchema, commandId: nstr, commandStatus: str });

const retryProps = { retries: { type: 'integer', minimum: 0, maximum: 100 }, retryInterval: { type: 'integer', minimum: 0, maximum: 86_400 } };
const retrieveDate = { type: 'string', format: 'date-time' };

interface UpdateBody { chargePointId: string; firmwareId?: string; location?: string; retrieveDate?: string; retries?: number; retryInterval?: number }
interface RolloutBody { firmwareId: string; chargePointIds?: string[]; stationId?: number; retrieveDate?: string; retries?: number; retryInterval?: number }
interface DiagnosticsBody { chargePointId: string; startTime?: string; stopTime?: string; retries?: number; retryInterval?: number }

const newToken = (): string => randomBytes(24).toString('base64url');
/** The file name in a download URL: what the charger may keep the image as. */
const safeName = (name: string): string => name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'firmware.bin';

/** The REST port as chargers reach it: PUBLIC_URL, else the address the admin's request came to. */
function baseUrl(ctx: ApiContext, request: FastifyRequest): string {
  return (ctx.config.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

/** Sends a job's command and records the outcome on the job: `Sent`, or failed `NotSent` with why. */
async function sendJob(ctx: ApiContext, job: DeviceJob, action: 'UpdateFirmware' | 'GetDiagnostics', payload: Record<string, unknown>, requestedBy: string): Promise<{ job: DeviceJob; commandId: string | null; commandStatus: string }> {
  const outcome = await ctx.commands.send(job.chargePointId, action, payload, { requestedBy });
  const at = ctx.now();
  let updated: DeviceJob | null;
  if (outcome.status === 'answered') {
    const fileName = action === 'GetDiagnostics' ? (outcome.response as { fileName?: string } | null)?.fileName : undefined;
    // E2 §6.21: no fileName means the charger has no diagnostics to give; nothing will come.
    const noFile = action === 'GetDiagnostics' && fileName === undefined;
    updated = noFile
      ? await ctx.store.deviceJobs.update(job.id, { status: 'NoDiagnostics', outcome: 'done', detail: 'the charger has no diagnostics information', commandId: outcome.commandId }, at, { openOnly: true })
      // A notice the charger sent before its answer was processed has moved the job on already.
      : await ctx.store.deviceJobs.update(job.id, { status: 'Sent', commandId: outcome.commandId, ...(fileName !== undefined ? { fileName } : {}) }, at, { ifStatus: 'Requested' })
        ?? await ctx.store.deviceJobs.update(job.id, { commandId: outcome.commandId, ...(fileName !== undefined ? { fileName } : {}) }, at);
  } else {
    updated = await ctx.store.deviceJobs.update(job.id, { status: 'NotSent', outcome: 'failed', detail: `${action}: ${outcome.status}`, commandId: outcome.commandId }, at, { openOnly: true });
  }
  const current = updated ?? job;
  ctx.publish(jobChanged(current, at));
  return { job: current, commandId: outcome.commandId, commandStatus: outcome.status };
}

/**
 * A new job replaces the charger's open one of its kind: its notices will belong to the new job
 * (1.6 names none), and a charger takes a new UpdateFirmware in place of one it has not finished.
 */
async function supersede(ctx: ApiContext, chargePointId: string, kind: JobKind): Promise<void> {
  for (const open of await ctx.store.deviceJobs.list({ chargePointId, kind, open: true })) {
    const at = ctx.now();
    const ended = await ctx.store.deviceJobs.update(open.id, { status: 'Superseded', outcome: 'failed', detail: 'a newer request replaced it' }, at, { openOnly: true });
    if (ended) ctx.publish(jobChanged(ended, at));
  }
}

async function requirePoint(ctx: ApiContext, chargePointId: string): Promise<void> {
  if (!await ctx.store.chargePoints.get(chargePointId)) throw new CsmsError('CSMS_ERR_CHARGER_NOT_FOUND', chargePointId);
}

async function requireFile(ctx: ApiContext, id: string): Promise<FirmwareFile> {
  const file = await ctx.store.deviceJobs.getFile(id);
  if (!file) throw new CsmsError('CSMS_ERR_NOT_FOUND', `firmware file ${id}`);
  return file;
}

/** A firmware job for one charger, recorded, then its UpdateFirmware sent. */
async function updateFirmware(ctx: ApiContext, request: FastifyRequest, target: { chargePointId: string; file: FirmwareFile | null; location?: string; rolloutId?: string }, opts: Omit<UpdateBody, 'chargePointId' | 'firmwareId' | 'location'>) {
  const admin = currentUser(request);
  const id = randomUUID();
  const token = target.file ? newToken() : null;
  const location = target.file ? `${baseUrl(ctx, request)}/api/files/firmware/${token}/${encodeURIComponent(safeName(target.file.name))}` : target.location!;
  const retrieve = opts.retrieveDate ?? ctx.now();
  await supersede(ctx, target.chargePointId, 'firmware');
  const job = await ctx.store.deviceJobs.create({
    id, kind: 'firmware', chargePointId: target.chargePointId, firmwareId: target.file?.id ?? null, rolloutId: target.rolloutId ?? null, location, token,
    targetVersion: target.file?.version ?? null, retrieveDate: retrieve, requestedBy: `admin:${admin.id}`, createdAt: ctx.now(),
  });
  const payload: Record<string, unknown> = { location, retrieveDate: retrieve };
  if (opts.retries !== undefined) payload.retries = opts.retries;
  if (opts.retryInterval !== undefined) payload.retryInterval = opts.retryInterval;
  return sendJob(ctx, job, 'UpdateFirmware', payload, `admin:${admin.id}`);
}

/** Runs `fn` over `items`, at most `width` at a time. */
async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/** Reads the request body as a stream, whatever its type: the routes below store bytes, not JSON. */
function rawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
}

/** Refuses a declared length over the limit before a byte is read (the client sees the 413 at once). */
function declaredTooLarge(request: FastifyRequest, maxBytes: number): void {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new CsmsError('CSMS_ERR_TOO_LARGE', `${declared} bytes, at most ${maxBytes}`, { maxBytes });
}

async function sendFile(reply: FastifyReply, files: FileStore, area: 'firmware' | 'diagnostics', name: string, downloadName: string) {
  const opened = await files.open(area, name);
  if (!opened) throw new CsmsError('CSMS_ERR_NOT_FOUND', 'the file is gone');
  return reply
    .header('content-type', 'application/octet-stream')
    .header('content-length', opened.bytes)
    .header('content-disposition', `attachment; filename="${safeName(downloadName)}"`)
    .header('cache-control', 'no-store')
    .send(opened.stream);
}

/** Admin routes: firmware files, update / diagnostics requests, rollouts and jobs. */
export const firmwareRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, files } = ctx;
  const security = [{ bearerAuth: [] }];

  app.post<{ Body: UpdateBody }>('/api/charger/update-firmware', {
    onRequest: ctx.adminOnly,
    schema: {
      tags: ['charger'], security, summary: 'UpdateFirmware: install an uploaded firmware file (firmwareId) or one at an outside URL (location)',
      body: { ...body({ chargePointId: chargePointIdSchema, firmwareId: str, location: { type: 'string', minLength: 1, maxLength: 2000, format: 'uri' }, retrieveDate, ...retryProps }, ['chargePointId']), oneOf: [{ required: ['firmwareId'] }, { required: ['location'] }] },
      response: { 200: jobAnswer, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { chargePointId, firmwareId, location, ...opts } = request.body;
    await requirePoint(ctx, chargePointId);
    const file = firmwareId !== undefined ? await requireFile(ctx, firmwareId) : null;
    return updateFirmware(ctx, request, { chargePointId, file, location }, opts);
  });

  app.post<{ Body: DiagnosticsBody }>('/api/charger/get-diagnostics', {
    onRequest: ctx.adminOnly,
    schema: {
      tags: ['charger'], security, summary: 'GetDiagnostics: the charger uploads its diagnostics file to this CSMS',
      body: body({ chargePointId: chargePointIdSchema, startTime: retrieveDate, stopTime: retrieveDate, ...retryProps }, ['chargePointId']),
      response: { 200: jobAnswer, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { chargePointId, ...opts } = request.body;
    await requirePoint(ctx, chargePointId);
    const admin = currentUser(request);
    const token = newToken();
    const location = `${baseUrl(ctx, request)}/api/files/diagnostics/${token}`;
    await supersede(ctx, chargePointId, 'diagnostics');
    const job = await store.deviceJobs.create({ id: randomUUID(), kind: 'diagnostics', chargePointId, location, token, requestedBy: `admin:${admin.id}`, createdAt: ctx.now() });
    return sendJob(ctx, job, 'GetDiagnostics', { location, ...opts }, `admin:${admin.id}`);
  });

  app.get<{ Querystring: { limit: number; offset: number } }>('/api/cms/firmware', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: { tags: ['cms'], security, summary: 'Firmware files, newest first', querystring: { type: 'object', additionalProperties: false, properties: pageProperties }, response: { 200: list(firmwareFileSchema), ...errors(400, 401, 403) } },
  }, async (request) => ({ items: await store.deviceJobs.listFiles(request.query) }));

  app.delete<{ Params: { id: string } }>('/api/cms/firmware/:id', {
    onRequest: ctx.adminOnly,
    schema: { tags: ['cms'], security, summary: 'Delete a firmware file no open job installs', params: obj({ id: str }), response: { 204: { type: 'null' }, ...errors(401, 403, 404, 409) } },
  }, async (request, reply) => {
    const outcome = await store.deviceJobs.deleteFile(request.params.id);
    if (outcome === 'missing') throw new CsmsError('CSMS_ERR_NOT_FOUND', `firmware file ${request.params.id}`);
    if (outcome === 'in-use') throw new CsmsError('CSMS_ERR_IN_USE', 'an open job installs this file');
    await files.remove('firmware', request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Body: RolloutBody }>('/api/cms/firmware/rollouts', {
    onRequest: ctx.adminOnly,
    schema: {
      tags: ['cms'], security, summary: 'UpdateFirmware to many charge points at once (the listed ones, or all of a station): one job each, one rolloutId',
      body: { ...body({ firmwareId: str, chargePointIds: { type: 'array', minItems: 1, maxItems: 10_000, items: chargePointIdSchema }, stationId: { type: 'integer', minimum: 1 }, retrieveDate, ...retryProps }, ['firmwareId']), oneOf: [{ required: ['chargePointIds'] }, { required: ['stationId'] }] },
      response: { 200: obj({ rolloutId: str, items: { type: 'array', items: jobAnswer } }), ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { firmwareId, chargePointIds, stationId, ...opts } = request.body;
    const file = await requireFile(ctx, firmwareId);
    let ids = chargePointIds ? [...new Set(chargePointIds)] : [];
    if (stationId !== undefined) {
      if (!await store.stations.get(stationId)) throw new CsmsError('CSMS_ERR_NOT_FOUND', `station ${stationId}`);
      ids = (await store.chargePoints.list({ stationId })).map((p) => p.id);
    }
    for (const id of ids) await requirePoint(ctx, id);
    const rolloutId = randomUUID();
    // Chargers answer in parallel; a slow or offline one holds up only its own slot.
    const items = await inParallel(ids, 16, (chargePointId) => updateFirmware(ctx, request, { chargePointId, file, rolloutId }, opts));
    return { rolloutId, items };
  });

  const jobQuery = { type: 'object', additionalProperties: false, properties: { ...pageProperties, kind: { type: 'string', enum: ['firmware', 'diagnostics'] }, rolloutId: str, chargePointId: chargePointIdSchema, open: { type: 'boolean' } } };
  type JobQuery = { limit: number; offset: number; kind?: JobKind; rolloutId?: string; chargePointId?: string; open?: boolean };
  const listJobs = async (q: JobQuery, chargePointId?: string) => {
    const items = await store.deviceJobs.list({ kind: q.kind, rolloutId: q.rolloutId, chargePointId: chargePointId ?? q.chargePointId, open: q.open }, { limit: q.limit, offset: q.offset });
    return { items: items.map(jobPayload), limit: q.limit, offset: q.offset };
  };
  const jobList = list(deviceJobSchema, { limit: { type: 'integer' }, offset: { type: 'integer' } });

  app.get<{ Querystring: JobQuery }>('/api/cms/jobs', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: { tags: ['cms'], security, summary: 'Firmware and diagnostics jobs of every charger, newest first', querystring: jobQuery, response: { 200: jobList, ...errors(400, 401, 403) } },
  }, async (request) => listJobs(request.query));

  app.get<{ Params: { chargePointId: string }; Querystring: JobQuery }>('/api/charger/:chargePointId/jobs', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: { tags: ['charger'], security, summary: 'Firmware and diagnostics jobs of this charger, newest first', params: cpParams, querystring: jobQuery, response: { 200: jobList, ...errors(400, 401, 403, 404) } },
  }, async (request) => {
    await requirePoint(ctx, request.params.chargePointId);
    return listJobs(request.query, request.params.chargePointId);
  });

  app.get<{ Params: { id: string } }>('/api/cms/jobs/:id', {
    onRequest: [ctx.adminOnly, ctx.etags.check()],
    schema: { tags: ['cms'], security, summary: 'One job', params: obj({ id: str }), response: { 200: deviceJobSchema, ...errors(401, 403, 404) } },
  }, async (request) => {
    const job = await store.deviceJobs.get(request.params.id);
    if (!job) throw new CsmsError('CSMS_ERR_NOT_FOUND', `job ${request.params.id}`);
    return jobPayload(job);
  });

  app.get<{ Params: { id: string } }>('/api/cms/jobs/:id/diagnostics', {
    onRequest: ctx.adminOnly,
    schema: { tags: ['cms'], security, summary: 'The diagnostics file a charger uploaded for this job', params: obj({ id: str }), response: errors(401, 403, 404) },
  }, async (request, reply) => {
    const job = await store.deviceJobs.get(request.params.id);
    if (!job || job.kind !== 'diagnostics' || job.fileBytes === null) throw new CsmsError('CSMS_ERR_NOT_FOUND', `no diagnostics file for job ${request.params.id}`);
    return sendFile(reply, files, 'diagnostics', job.id, job.fileName ?? `${job.chargePointId}-diagnostics`);
  });
};

/**
 * Routes whose body is bytes, not JSON: the admin's firmware upload, and the chargers' side (the
 * firmware download and the diagnostics upload), which the job's token alone authorises.
 */
export const fileTransferRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const { store, files } = ctx;
  rawBodies(app);
  const security = [{ bearerAuth: [] }];

  app.post<{ Querystring: { name: string; version: string } }>('/api/cms/firmware', {
    onRequest: ctx.adminOnly,
    schema: {
      tags: ['cms'], security, summary: `Upload a firmware image: the raw bytes as the body (at most FIRMWARE_MAX_BYTES)`,
      querystring: obj({ name: { type: 'string', minLength: 1, maxLength: 200 }, version: { type: 'string', minLength: 1, maxLength: 50 } }),
      response: { 201: firmwareFileSchema, ...errors(400, 401, 403, 413) },
    },
  }, async (request, reply) => {
    declaredTooLarge(request, ctx.config.firmwareMaxBytes);
    const id = randomUUID();
    const stored = await files.write('firmware', id, request.raw, ctx.config.firmwareMaxBytes);
    try {
      if (stored.bytes === 0) throw new CsmsError('CSMS_ERR_VALIDATION', 'the firmware image is empty', { field: 'body' });
      const file = await store.deviceJobs.createFile({ id, name: request.query.name, version: request.query.version, sizeBytes: stored.bytes, sha256: stored.sha256, uploadedBy: `admin:${currentUser(request).id}`, createdAt: ctx.now() });
      return reply.code(201).send(file);
    } catch (err) {
      await files.remove('firmware', id);
      throw err;
    }
  });


  const openJob = async (token: string, kind: JobKind): Promise<DeviceJob> => {
    const job = await store.deviceJobs.byToken(token);
    // One answer for a wrong, a finished and another kind's token: nothing to learn by guessing.
    if (!job || job.kind !== kind || job.outcome !== null) throw new CsmsError('CSMS_ERR_NOT_FOUND', 'no open job has this token');
    return job;
  };

  app.get<{ Params: { token: string; name: string } }>('/api/files/firmware/:token/:name', {
    schema: { tags: ['charger'], summary: 'A firmware image, for the charger an UpdateFirmware sent here', params: obj({ token: str, name: str }), response: errors(404) },
  }, async (request, reply) => {
    const job = await openJob(request.params.token, 'firmware');
    const file = job.firmwareId === null ? null : await store.deviceJobs.getFile(job.firmwareId);
    if (!file) throw new CsmsError('CSMS_ERR_NOT_FOUND', 'no open job has this token');
    // A HEAD (Fastify answers it with this handler) asks about the file; only a GET fetches it.
    if (request.method === 'GET') await store.deviceJobs.countDownload(job.id, ctx.now());
    return sendFile(reply, files, 'firmware', file.id, file.name);
  });

  const upload = async (request: FastifyRequest<{ Params: { token: string; name?: string } }>, reply: FastifyReply) => {
    const max = ctx.config.diagnosticsMaxBytes;
    // Before the token: an oversized body is refused without a database read.
    declaredTooLarge(request, max);
    const job = await openJob(request.params.token, 'diagnostics');
    const stored = await files.write('diagnostics', job.id, request.raw, max);
    const at = ctx.now();
    const updated = await store.deviceJobs.update(job.id, { fileBytes: stored.bytes, ...(job.fileName === null && request.params.name ? { fileName: request.params.name } : {}) }, at);
    if (updated) ctx.publish(jobChanged(updated, at));
    return reply.code(201).send({ bytes: stored.bytes });
  };
  const uploadSchema = (withName: boolean) => ({
    tags: ['charger'], summary: 'Upload a diagnostics file (raw body, any type; at most DIAGNOSTICS_MAX_BYTES)',
    params: withName ? obj({ token: str, name: str }) : obj({ token: str }),
    response: { 201: obj({ bytes: { type: 'integer' } }), ...errors(404, 413) },
  });
  // E2 §5.9 leaves the transfer to the charger: some PUT, some POST, some append the file name.
  for (const method of ['PUT', 'POST'] as const) {
    app.route({ method, url: '/api/files/diagnostics/:token', schema: uploadSchema(false), handler: upload });
    app.route({ method, url: '/api/files/diagnostics/:token/:name', schema: uploadSchema(true), handler: upload });
  }
};
