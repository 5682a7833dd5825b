/**
 * The connection side of the PostgreSQL adapter: a pool, and transactions that span awaits.
 *
 * `transaction(fn)` checks a client out of the pool, BEGINs, and runs fn inside AsyncLocalStorage:
 * every query made in fn's async context goes to that client, so it joins the transaction. A
 * nested transaction() is a SAVEPOINT that rolls back alone. Calls from anywhere else use the pool
 * (autocommit). Within one transaction, a savepoint block and other calls of the same transaction
 * never interleave: while a nested block runs, the enclosing context's other calls wait for it
 * (as sqlite/sync.ts makes other callers wait for a transaction).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { CsmsError } from '../../domain/errors.ts';

/** Node's socket errors that mean the server is not there (or went away). */
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that is shutting down, starting, or out of connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** SQLSTATEs of a transaction refused because of another one (deadlock, serialization, lock wait): the same work succeeds when tried again. */
const CONFLICT_STATES = new Set(['40P01', '40001', '55P03']);

/**
 * A failure that says the database is unreachable, not that the statement was wrong: it becomes
 * CSMS_ERR_DATABASE_UNAVAILABLE, which the processor retries without counting it against the events.
 */
export function unavailable(err: unknown): CsmsError | null {
  if (err instanceof CsmsError) return null;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (CONFLICT_STATES.has(code)) return new CsmsError('CSMS_ERR_DATABASE_CONFLICT', message, { cause: code });
  const connectionLost = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
  if (!NETWORK_ERRORS.has(code) && !code.startsWith('08') && !UNAVAILABLE_STATES.has(code) && !connectionLost) return null;
  return new CsmsError('CSMS_ERR_DATABASE_UNAVAILABLE', message, { cause: code || undefined });
}

const translated = (err: unknown): unknown => unavailable(err) ?? err;

/** A query: text, or a config; one with a `name` is prepared once per connection and reused. */
export type Query = string | pg.QueryConfig;

interface Frame {
  client: pg.PoolClient;
  /** Shared by a transaction and its savepoints: numbers the savepoints. */
  root: { savepoints: number };
  /** A savepoint block running inside this frame: the frame's other calls wait for it. */
  child: { done: Promise<void> } | null;
  /** Set once the frame's transaction or savepoint has ended: late calls go to the pool. */
  closed: boolean;
}

export interface Db {
  readonly pool: pg.Pool;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** The rows of a query. */
  rows<R extends pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<R[]>;
  /** The first row, or undefined. */
  first<R extends pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<R | undefined>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** True when the caller runs inside a transaction (its async context). */
  inTransaction(): boolean;
}

/** Named prepared statement: `{ name, text, values }` (one parse per connection, then only binds). */
export function prepared(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name, text, values };
}

export function createDb(pool: pg.Pool): Db {
  const context = new AsyncLocalStorage<Frame>();

  const current = (): Frame | undefined => {
    const frame = context.getStore();
    return frame !== undefined && !frame.closed ? frame : undefined;
  };

  async function query<R extends pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const frame = current();
    try {
      if (frame) {
        while (frame.child) await frame.child.done;
        if (!frame.closed) return await frame.client.query<R>(q as pg.QueryConfig, values);
      }
      return await pool.query<R>(q as pg.QueryConfig, values);
    } catch (err) {
      throw translated(err);
    }
  }

  /** Rolls back without hiding the error that caused it; a client that cannot is destroyed. */
  async function quietly(client: pg.PoolClient, sql: string): Promise<boolean> {
    try {
      await client.query(sql);
      return true;
    } catch {
      return false;
    }
  }

  async function nested<T>(outer: Frame, fn: () => Promise<T>): Promise<T> {
    while (outer.child) await outer.child.done;
    const name = `sp${++outer.root.savepoints}`;
    const frame: Frame = { client: outer.client, root: outer.root, child: null, closed: false };
    let end!: () => void;
    outer.child = { done: new Promise<void>((resolve) => (end = resolve)) };
    try {
      await outer.client.query(`SAVEPOINT ${name}`);
      let result: T;
      try {
        result = await context.run(frame, fn);
      } catch (err) {
        frame.closed = true;
        if (await quietly(outer.client, `ROLLBACK TO SAVEPOINT ${name}`)) await quietly(outer.client, `RELEASE SAVEPOINT ${name}`);
        throw err;
      }
      frame.closed = true;
      await outer.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } finally {
      frame.closed = true;
      outer.child = null;
      end();
    }
  }

  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    const outer = current();
    if (outer) return nested(outer, fn);
    const client = await pool.connect().catch((err: unknown) => {
      throw translated(err);
    });
    // A checked-out client reports a lost connection (a restart, a killed backend, a reset) as an
    // 'error' event, and an 'error' event nobody listens to ends the process. The statement under
    // way rejects by itself; the client is then destroyed, not reused.
    let lost = false;
    const onLost = () => {
      lost = true;
    };
    client.on('error', onLost);
    const frame: Frame = { client, root: { savepoints: 0 }, child: null, closed: false };
    let broken = false;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      let result: T;
      try {
        result = await context.run(frame, fn);
      } catch (err) {
        frame.closed = true;
        broken = !(await quietly(client, 'ROLLBACK'));
        throw err;
      }
      frame.closed = true;
      try {
        await client.query('COMMIT');
      } catch (err) {
        broken = !(await quietly(client, 'ROLLBACK'));
        throw err;
      }
      return result;
    } catch (err) {
      // BEGIN itself failed: the connection is suspect.
      if (!frame.closed) broken = true;
      throw translated(err);
    } finally {
      frame.closed = true;
      // A client whose ROLLBACK failed may still hold a transaction: destroy it rather than reuse it.
      client.off('error', onLost);
      client.release(broken || lost);
    }
  }

  return {
    pool,
    query,
    async rows<R extends pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<R[]> {
      return (await query<R>(q, values)).rows;
    },
    async first<R extends pg.QueryResultRow>(q: Query, values?: unknown[]): Promise<R | undefined> {
      return (await query<R>(q, values)).rows[0];
    },
    transaction,
    inTransaction: () => current() !== undefined,
  };
}

/** The SQLSTATE of a failed statement and the constraint it names (pg's DatabaseError), or null. */
export function pgFailure(err: unknown): { code: string; constraint: string | undefined } | null {
  if (!(err instanceof pg.DatabaseError) || err.code === undefined) return null;
  return { code: err.code, constraint: err.constraint };
}

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';
