import { randomBytes } from 'node:crypto';

// Time first, then this process, then a counter: unique across nodes, and ordered by time so the
// processor's dedup index grows at its right edge instead of at random pages (and prunes by range).
const processTag = randomBytes(4).toString('hex');
let counter = 0;

/**
 * A new event id: `<ms since epoch, base36>-<process>-<counter>`, at most 28 characters. The wall
 * clock, not the injected one: the prefix only keeps the index ordered; when the event happened is
 * its `receivedAt`, which comes from the injected clock.
 */
export function newEventId(): string {
  counter = (counter + 1) % 0x7fffffff;
  return `${Date.now().toString(36)}-${processTag}-${counter.toString(36)}`;
}
