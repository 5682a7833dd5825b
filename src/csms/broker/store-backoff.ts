/**
 * The pause between tries of a batch while the database is unreachable, shared by both brokers:
 * 250 ms at first, doubling up to 5 s, and back to the first once the database answers again.
 */
const FIRST_MS = 250;
const LONGEST_MS = 5000;

export interface StoreBackoff {
  /** The next pause (ms), each longer than the one before up to the longest. */
  next(): number;
  /** The database answered: the next outage starts again from the first pause. */
  reset(): void;
  /** True between a first failure and the next success. */
  readonly waiting: boolean;
}

export function createStoreBackoff(): StoreBackoff {
  let current = 0;
  return {
    next() {
      current = Math.min(Math.max(current * 2, FIRST_MS), LONGEST_MS);
      return current;
    },
    reset() {
      current = 0;
    },
    get waiting() {
      return current > 0;
    },
  };
}
