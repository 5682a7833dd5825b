/**
 * The SQLite repositories are synchronous (better-sqlite3 is): each implements `Sync<Repo>`, the
 * port's interface with plain return values, and `createAsyncGate` turns them into the port's
 * promises. One connection serves the whole process, so a transaction that spans awaits must keep
 * every other caller out until it ends: calls from inside it (its async context) run at once,
 * calls from anywhere else wait their turn.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database } from 'better-sqlite3';

/** A port interface with its promises unwrapped. */
export type Sync<R> = { [K in keyof R]: R[K] extends (...args: infer A) => Promise<infer T> ? (...args: A) => T : R[K] };

interface Frame {
  depth: number;
}

export interface AsyncGate {
  /** Runs a synchronous store call now, or once the transaction of another caller has ended. */
  call<T>(fn: () => T): Promise<T>;
  /** Nested calls become savepoints; they must run one after another, not side by side. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Wraps every method of a synchronous repository. */
  wrap<R>(repo: Sync<R>): R;
}

export function createAsyncGate(db: Database): AsyncGate {
  const context = new AsyncLocalStorage<Frame>();
  /** The transaction holding the connection, and a promise that settles when it ends. */
  let active: { frame: Frame; done: Promise<void> } | null = null;

  const inside = (): Frame | undefined => {
    const frame = context.getStore();
    return frame !== undefined && active?.frame === frame ? frame : undefined;
  };

  async function turn(): Promise<void> {
    while (active && !inside()) await active.done;
  }

  function call<T>(fn: () => T): Promise<T> {
    if (active && !inside()) return turn().then(() => call(fn));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async function transaction<T>(fn: () => Promise<T>): Promise<T> {
    const outer = inside();
    if (outer) {
      // A nested transaction: a savepoint, so it can fail alone and leave the outer one going.
      const name = `sp${++outer.depth}`;
      db.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn();
        db.exec(`RELEASE ${name}`);
        return result;
      } catch (err) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
        throw err;
      } finally {
        outer.depth--;
      }
    }
    // Nothing may be awaited between this check and taking the connection below, or two
    // transactions starting together would both get through.
    while (active) await active.done;
    const frame: Frame = { depth: 0 };
    let end!: () => void;
    active = { frame, done: new Promise<void>((resolve) => (end = resolve)) };
    try {
      // IMMEDIATE takes the write lock up front: a deferred transaction that later upgrades to a
      // writer fails with SQLITE_BUSY (no busy wait) when another process wrote in between.
      db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await context.run(frame, fn);
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      try {
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      return result;
    } finally {
      active = null;
      end();
    }
  }

  function wrap<R>(repo: Sync<R>): R {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(repo as Record<string, unknown>)) {
      out[name] = typeof value === 'function' ? (...args: unknown[]) => call(() => (value as (...a: unknown[]) => unknown)(...args)) : value;
    }
    return out as R;
  }

  return { call, transaction, wrap };
}
