/**
 * Conditional GETs for polled pages. Every open page polls every 1–10 s, so the common answer must
 * be a 304 that costs one counter read: the ETag is derived from store.changeCounter() (which moves
 * on every write), the caller and the URL, and is checked before the handler runs any query.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify';
import type { Store } from '../domain/ports.ts';

/** Extra input for routes whose answer also depends on something besides the store (e.g. the date). */
export type EtagExtra = (request: FastifyRequest) => string;

export interface Etags {
  /** Route hook: answers 304 when If-None-Match matches; runs after authentication. */
  check(extra?: EtagExtra): onRequestHookHandler;
  /** Global onSend hook: sets the tag only on a 200, so an error is never revalidated as fresh. */
  onSend: onSendHookHandler;
}

/** Creates the ETag hooks; `caller` names who is asking (their answers differ per user). */
export function createEtags(store: Store, caller: (request: FastifyRequest) => string): Etags {
  // The counter may restart from zero with the process (or a new database): without a per-process
  // salt a tag from before a restart could match different data afterwards.
  const boot = randomBytes(4).toString('hex');
  const tags = new WeakMap<FastifyRequest, string>();

  async function tagFor(request: FastifyRequest, extra?: EtagExtra): Promise<string> {
    // Read the counter before the handler queries: a write racing in between makes the tag older
    // than the data, which costs the client one extra full fetch, never a stale page.
    const counter = await store.changeCounter();
    const key = `${caller(request)}\n${request.url}\n${extra ? extra(request) : ''}`;
    const digest = createHash('sha1').update(key).digest('base64url').slice(0, 16);
    return `W/"${boot}-${counter}-${digest}"`;
  }

  return {
    check(extra) {
      return async function etagCheck(request: FastifyRequest, reply: FastifyReply) {
        const tag = await tagFor(request, extra);
        tags.set(request, tag);
        if (matches(request.headers['if-none-match'], tag)) {
          // An async hook that sends must return the reply, so the route handler does not run.
          return reply.code(304).header('etag', tag).header('cache-control', 'private, no-cache').send();
        }
      };
    },
    onSend(request, reply, payload, done) {
      const tag = tags.get(request);
      if (tag && reply.statusCode === 200) {
        reply.header('etag', tag);
        // Browsers may keep it but must revalidate each time: exactly the polling contract.
        reply.header('cache-control', 'private, no-cache');
      }
      done(null, payload);
    },
  };
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; it may list several tags or `*`. */
function matches(header: string | string[] | undefined, tag: string): boolean {
  if (!header) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const mine = opaque(tag);
  return value.split(',').some((t) => t.trim() === '*' || opaque(t) === mine);
}
