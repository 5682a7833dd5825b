/**
 * Keeps each charger's Local Authorization List (E2 §3.5.2, §5.10, §5.15) in step with the
 * customers' cards: every card that is not blocked nor expired, of a customer who is not blocked,
 * Accepted with its expiry (LocalListRepo.wanted). A change goes out as a Differential with the
 * next version; a Full update when the CSMS does not know what the charger holds (never sent, the
 * last update failed, GetLocalListVersion reports another version) or after a Differential came
 * back VersionMismatch or Failed. Commands go through the command sender (audit, command.result);
 * each outcome is announced to the point's room (localList.synced / localList.failed).
 */
import type { AuthorizationData, SendLocalListResponse, UpdateType } from '../../ocpp/index.ts';
import { notify } from './notifications.ts';
import type { Broker, Clock, CommandSender, Store } from './ports.ts';
import type { LocalListEntry, LocalListState } from './types.ts';

/** Who the command audit names as the sender of these commands. */
export const LOCAL_LIST_REQUESTER = 'csms: local list';

export interface LocalListSyncDeps {
  store: Store;
  commands: CommandSender;
  broker: Pick<Broker, 'publishNotification'>;
  clock: Clock;
  onError?: (err: unknown, chargePointId: string) => void;
}

export interface LocalListSync {
  /**
   * Brings one charger's list up to date; `check` asks its version first (GetLocalListVersion), as
   * after a boot. Calls for one charger run one after the other.
   */
  sync(chargePointId: string, opts?: { check?: boolean }): Promise<void>;
  /** Brings the lists of these (connected) chargers up to date where the cards changed since; never rejects (errors go to onError). */
  syncAll(chargePointIds: readonly string[]): Promise<void>;
}

/** How long a change waits for more (an import, several cards) before the lists follow. */
export const CHANGE_SETTLE_MS = 200;

/** The Differential that turns `held` into `wanted`: changed and new entries, and the removed ones without idTagInfo. */
export function listDifference(held: readonly LocalListEntry[], wanted: readonly LocalListEntry[]): AuthorizationData[] {
  const key = (t: string) => t.toUpperCase();
  const before = new Map(held.map((e) => [key(e.idTag), e]));
  const out: AuthorizationData[] = [];
  const seen = new Set<string>();
  for (const e of wanted) {
    seen.add(key(e.idTag));
    const old = before.get(key(e.idTag));
    if (!old || old.status !== e.status || old.expiryDate !== e.expiryDate || old.idTag !== e.idTag) out.push(authorizationData(e));
  }
  for (const e of held) if (!seen.has(key(e.idTag))) out.push({ idTag: e.idTag });
  return out;
}

function authorizationData(e: LocalListEntry): AuthorizationData {
  return { idTag: e.idTag, idTagInfo: { status: e.status, ...(e.expiryDate ? { expiryDate: e.expiryDate } : {}) } };
}

const fingerprint = (entries: readonly LocalListEntry[]): string => JSON.stringify(entries);

export function createLocalListSync(deps: LocalListSyncDeps): LocalListSync {
  const { store, commands, clock } = deps;
  const now = () => clock.now().toISOString();
  /** Per charger, the fingerprint of the entries it confirmed: a tick skips those already in step. */
  const synced = new Map<string, string>();
  const queue = new Map<string, Promise<void>>();

  function announce(state: LocalListState, ok: boolean, data: Record<string, unknown>): void {
    const type = ok ? 'localList.synced' : 'localList.failed';
    deps.broker.publishNotification(notify(type, { chargePointId: state.chargePointId, version: state.version, status: state.status, ...data }, state.updatedAt, { chargePointId: state.chargePointId }));
  }

  async function send(chargePointId: string, listVersion: number, updateType: UpdateType, list: AuthorizationData[]) {
    const outcome = await commands.send(chargePointId, 'SendLocalList', { listVersion, updateType, localAuthorizationList: list }, { requestedBy: LOCAL_LIST_REQUESTER });
    return outcome.status === 'answered' ? (outcome.response as SendLocalListResponse).status : null;
  }

  async function run(chargePointId: string, check: boolean): Promise<void> {
    const wanted = await store.localLists.wanted(now());
    const known = await store.localLists.get(chargePointId);
    let state: LocalListState = known ?? { chargePointId, version: 0, entries: [], reportedVersion: null, status: 'failed', detail: null, updatedAt: now() };
    let full = !known || known.status !== 'synced';
    let floor = state.version;
    // A charger never sent a list may hold one of another CSMS (or of this one, before a data loss): ask.
    if (check || !known) {
      const outcome = await commands.send(chargePointId, 'GetLocalListVersion', {}, { requestedBy: LOCAL_LIST_REQUESTER });
      if (outcome.status !== 'answered') return; // offline or no answer: the next boot or tick tries again
      const reported = (outcome.response as { listVersion: number }).listVersion;
      state = { ...state, reportedVersion: reported, updatedAt: now() };
      // E2 §5.10: -1, the charger has no Local Authorization List (or it is switched off).
      if (reported < 0) {
        state = { ...state, status: 'unsupported', detail: 'GetLocalListVersion -1: no local list' };
        await store.localLists.save(state);
        // Not asked again until its next boot.
        synced.set(chargePointId, fingerprint(wanted));
        announce(state, false, { updateType: null, detail: state.detail });
        return;
      }
      if (reported !== state.version) full = true;
      floor = Math.max(floor, reported);
    }
    if (!full && fingerprint(state.entries) === fingerprint(wanted)) {
      if (check) await store.localLists.save(state);
      synced.set(chargePointId, fingerprint(wanted));
      return;
    }
    const version = floor + 1;
    let answer: SendLocalListResponse['status'] | null = null;
    let updateType: UpdateType = 'Differential';
    if (!full) {
      const diff = listDifference(state.entries, wanted);
      answer = await send(chargePointId, version, 'Differential', diff);
      if (answer === null) return; // unanswered: the charger may hold either; the next check tells
      // E2 §5.15: a Differential refused is followed by the whole list.
      full = answer === 'VersionMismatch' || answer === 'Failed';
      if (answer === 'Accepted') return done(state, wanted, version, 'Differential', diff.length);
    }
    if (full) {
      updateType = 'Full';
      answer = await send(chargePointId, version, 'Full', wanted.map(authorizationData));
      if (answer === 'Accepted') return done(state, wanted, version, 'Full', wanted.length);
    }
    // Unanswered, Failed, NotSupported: what the charger holds is unknown; the next try is Full.
    state = { ...state, status: answer === 'NotSupported' ? 'unsupported' : 'failed', detail: answer === null ? `${updateType} unanswered` : `${updateType} ${answer}`, updatedAt: now() };
    await store.localLists.save(state);
    if (answer === 'NotSupported') synced.set(chargePointId, fingerprint(wanted));
    else synced.delete(chargePointId);
    announce(state, false, { updateType, detail: state.detail });
  }

  async function done(before: LocalListState, wanted: LocalListEntry[], version: number, updateType: UpdateType, sent: number): Promise<void> {
    const state: LocalListState = { ...before, version, entries: wanted, status: 'synced', detail: null, updatedAt: now() };
    // Our own answer is the charger's version now, as GetLocalListVersion would report it.
    if (state.reportedVersion !== null) state.reportedVersion = version;
    await store.localLists.save(state);
    synced.set(before.chargePointId, fingerprint(wanted));
    announce(state, true, { updateType, size: wanted.length, sent });
  }

  function sync(chargePointId: string, opts: { check?: boolean } = {}): Promise<void> {
    const previous = queue.get(chargePointId) ?? Promise.resolve();
    const next = previous
      .then(() => run(chargePointId, opts.check === true))
      .catch((err: unknown) => {
        synced.delete(chargePointId);
        deps.onError?.(err, chargePointId);
      })
      .finally(() => {
        if (queue.get(chargePointId) === next) queue.delete(chargePointId);
      });
    queue.set(chargePointId, next);
    return next;
  }

  return {
    sync,
    async syncAll(chargePointIds) {
      if (chargePointIds.length === 0) return;
      let key: string;
      try {
        key = fingerprint(await store.localLists.wanted(now()));
      } catch (err) {
        // Called from timers without a catch: a database outage is reported, never an unhandled rejection.
        deps.onError?.(err, chargePointIds.join(', '));
        return;
      }
      await Promise.all(chargePointIds.filter((id) => synced.get(id) !== key && !queue.has(id)).map((id) => sync(id)));
    },
  };
}
