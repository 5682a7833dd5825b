/**
 * Spreads the shard queues over the live nodes. Every node subscribes to every shard (a dead node's
 * shards fail over at once: single active consumer), so without help the node that subscribed first
 * is active on all of them and the others only stand by. Each shard has a preferred owner among the
 * live nodes (NodeRepo.live, kept by the outbox relay's heartbeat): the node with the highest hash of
 * shard and node id (rendezvous hashing: a node joining or leaving moves only its own shards). A node
 * that is active on a shard whose preferred owner is another live node releases it (consumer.ts
 * `release`: the batch in progress is finished, the channel closed, the shard handed to the next
 * waiting consumer, and we subscribe again behind it).
 *
 * Views of the live nodes can differ for a moment (a heartbeat just missed, a node just started);
 * a shard is released at most once per `holdMs` (jittered) per node, so a disagreement cannot make it
 * bounce between nodes. The hold ends early once the node a shard was released to is no longer live:
 * the shard came back by fail-over, and giving it to that node again when it returns (a restart) is
 * no ping-pong. A node says it is alive before it has subscribed to the shards, so a shard is
 * not released to a node seen for less than `joinGraceMs`: it would come straight back (nobody else
 * waits on it) and then be held for `holdMs`.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeRepo } from '../../domain/ports.ts';

/** The node (of `nodes`) that should consume shard `k`: highest hash of (k, node id); ties by id. */
export function preferredOwner(k: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const score = createHash('sha256').update(`${k}\u0000${node}`).digest().readUIntBE(0, 6);
    if (score > bestScore || (score === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

export interface RebalancerOptions {
  nodeId: string;
  nodes: NodeRepo;
  consumer: {
    activeShards(windowMs: number): number[];
    release(k: number): Promise<boolean>;
  };
  logger: Logger;
  /** How often the shards are checked (ms). */
  intervalMs: number;
  /** A node silent for this long is not live (the outbox relay's goneAfterMs). */
  goneAfterMs: number;
  /** A shard with a delivery within this window is one we are active on (default 5 s). */
  activeWindowMs?: number;
  /** Least time between two releases of one shard by this node (default 10 s, plus up to half of it as jitter). */
  holdMs?: number;
  /** A node seen live for less than this is not released to yet (default: intervalMs, at least 1 s). */
  joinGraceMs?: number;
  random?: () => number;
}

export function createRebalancer(opts: RebalancerOptions) {
  const { nodeId, logger } = opts;
  const activeWindowMs = opts.activeWindowMs ?? 5000;
  const holdMs = opts.holdMs ?? 10_000;
  const random = opts.random ?? Math.random;
  const joinGraceMs = opts.joinGraceMs ?? Math.max(1000, opts.intervalMs);
  /** When each live node was first seen live (wall-clock ms). */
  const seenSince = new Map<string, number>();
  /** Per shard: the wall-clock ms before which we do not release it again. */
  const notBefore = new Map<number, number>();
  /** Per shard: the node it was last released to. */
  const releasedTo = new Map<number, string>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function check(): Promise<void> {
    // Node liveness is on the wall clock (outbox.ts beat), so is this.
    const now = Date.now();
    const live = new Set(await opts.nodes.live(now - opts.goneAfterMs));
    live.add(nodeId);
    for (const node of seenSince.keys()) {
      if (live.has(node)) continue;
      seenSince.delete(node);
      for (const [k, to] of releasedTo) {
        if (to !== node) continue;
        releasedTo.delete(k);
        notBefore.delete(k);
      }
    }
    for (const node of live) if (!seenSince.has(node)) seenSince.set(node, now);
    const active = opts.consumer.activeShards(activeWindowMs);
    if (live.size < 2 || active.length === 0) return;
    const nodes = [...live];
    const releases: Promise<boolean>[] = [];
    for (const k of active) {
      const preferred = preferredOwner(k, nodes);
      if (preferred === undefined || preferred === nodeId || (notBefore.get(k) ?? 0) > now) continue;
      if (now - seenSince.get(preferred)! < joinGraceMs) continue;
      notBefore.set(k, now + holdMs * (1 + random() / 2));
      releasedTo.set(k, preferred);
      logger.info({ shard: k, preferred }, 'releasing an event shard to its preferred node');
      releases.push(opts.consumer.release(k));
    }
    await Promise.all(releases);
  }

  function tick(): void {
    if (running) return;
    running = check()
      .catch((err: unknown) => logger.warn({ err }, 'shard rebalancing check failed'))
      .finally(() => (running = null));
  }

  return {
    start(): void {
      if (timer || opts.intervalMs <= 0) return;
      timer = setInterval(tick, opts.intervalMs);
      timer.unref();
    },
    /** Stops checking; waits for a check (and its releases) in progress. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    /** One check now (tests). */
    check,
  };
}

export type Rebalancer = ReturnType<typeof createRebalancer>;
