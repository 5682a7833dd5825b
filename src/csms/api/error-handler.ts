/**
 * The one place where failures become HTTP: a CsmsError keeps its registered status and code,
 * Fastify's own client errors become CSMS_ERR_VALIDATION (or NOT_FOUND / RATE_LIMITED), and
 * anything else is logged and answered as CSMS_ERR_INTERNAL without its internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CsmsError, isCsmsError } from '../domain/errors.ts';

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The field a schema error is about, as `body.amount` or `querystring.limit`. */
export function validationField(context: string | undefined, issue: AjvIssue | undefined): string {
  const path = (issue?.instancePath ?? '').split('/').filter(Boolean);
  const extra = issue?.params?.missingProperty ?? issue?.params?.additionalProperty;
  if (typeof extra === 'string') path.push(extra);
  return [context ?? 'body', ...path].join('.');
}

/** Turns a Fastify schema-validation error into CSMS_ERR_VALIDATION naming the field. */
export function toValidationError(err: { validation?: unknown[]; validationContext?: string; message: string }): CsmsError {
  const issue = err.validation?.[0] as AjvIssue | undefined;
  const field = validationField(err.validationContext, issue);
  const reason = issue?.keyword === 'additionalProperties' ? 'is not allowed' : issue?.message ?? err.message;
  return new CsmsError('CSMS_ERR_VALIDATION', `${field} ${reason}`, { field, reason });
}

function translate(err: FastifyError | CsmsError | Error): CsmsError | null {
  if (isCsmsError(err)) return err;
  const fe = err as FastifyError;
  if (fe.validation) return toValidationError(fe as { validation: unknown[]; validationContext?: string; message: string });
  const status = fe.statusCode ?? 500;
  if (status === 404) return new CsmsError('CSMS_ERR_NOT_FOUND');
  if (status === 429) return new CsmsError('CSMS_ERR_RATE_LIMITED');
  // Malformed JSON, wrong content type, body too large: the client's fault, said in its words.
  if (status >= 400 && status < 500) return new CsmsError('CSMS_ERR_VALIDATION', fe.message, { reason: fe.code ?? fe.message });
  return null;
}

/** Fastify error handler answering `{ error: { code, message, data? } }`. */
export function errorHandler(err: FastifyError | CsmsError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const known = translate(err);
  if (!known) {
    request.log.error({ err }, 'unhandled error');
    const internal = new CsmsError('CSMS_ERR_INTERNAL');
    reply.code(internal.status).send(internal.toJSON());
    return;
  }
  if (known.status >= 500) request.log.warn({ code: known.code, detail: known.detail }, 'request failed');
  // RFC 6585 §4: a 429 may say when to come back (Retry-After); our limits put it in data.retryAfterS.
  const retryAfter = known.data?.retryAfterS;
  if (known.status === 429 && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  reply.code(known.status).send(known.toJSON());
}

/** Unknown routes answer like every other error. */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const err = new CsmsError('CSMS_ERR_NOT_FOUND', `${request.method} ${request.url.split('?')[0]}`);
  reply.code(err.status).send(err.toJSON());
}
