/**
 * Keeps each charger's Local Authorization List (E2 §3.5.2, §5.10, §5.15) in step with the
 * customers' cards: every card that is not blocked nor expired, of a customer who is not blocked,
 * Accepted with its expiry (LocalListRepo.wanted). A change goes out as a Differential with the
 * next version; a Full update when the CSMS does not know what the charger holds (never sent, the
 * last update failed, GetLocalListVersion reports another version) or after a Differential came
 * back VersionMismatch or Failed. Commands go through the command sender (audit, command.result);
 * each outcome is announced to the point's room (localList.synced / localList.failed).
 */
import type { AuthorizationData, GetConfigurationResponse, SendLocalListResponse, UpdateType } from '../../ocpp/index.ts';
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

/** What a charger takes (E2 §9.1): entries in one SendLocalList, entries held; Infinity where it does not say. */
export interface LocalListLimits {
  perMessage: number;
  held: number;
}

/** The limits from a GetConfiguration answer: a key missing, unknown or not a positive integer is no limit. */
export function limitsFrom(response: GetConfigurationResponse): LocalListLimits {
  const value = (key: string) => {
    const n = Number(response.configurationKey?.find((k) => k.key === key)?.value);
    return Number.isInteger(n) && n > 0 ? n : Infinity;
  };
  return { perMessage: value('SendLocalListMaxLength'), held: value('LocalAuthListMaxLength') };
}

/** `items` in pieces of at most `size` (one empty piece for none: an empty Full still empties the list). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (items.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const byIdTag = (a: LocalListEntry, b: LocalListEntry) => (a.idTag < b.idTag ? -1 : a.idTag > b.idTag ? 1 : 0);

/** `held` after the charger applied `update` (E2 §5.15: with idTagInfo add or replace, without remove). */
function applied(held: readonly LocalListEntry[], update: readonly AuthorizationData[]): LocalListEntry[] {
  const key = (t: string) => t.toUpperCase();
  const next = new Map(held.map((e) => [key(e.idTag), e]));
  for (const a of update) {
    if (a.idTagInfo) next.set(key(a.idTag), { idTag: a.idTag, status: a.idTagInfo.status, expiryDate: a.idTagInfo.expiryDate ?? null });
    else next.delete(key(a.idTag));
  }
  return [...next.values()].sort(byIdTag);
}

export function createLocalListSync(deps: LocalListSyncDeps): LocalListSync {
  const { store, commands, clock } = deps;
  const now = () => clock.now().toISOString();
  /**
   * Per charger, the fingerprint of the wanted cards last settled: confirmed, or refused (Failed,
   * NotSupported) so that the same content is not sent again; a tick skips those. Its next boot
   * (`check`) or other cards try again.
   */
  const synced = new Map<string, string>();
  /** Per charger, its limits, learnt once per connection (its boot); in memory: a property of the connection, cheap to ask again. */
  const limits = new Map<string, LocalListLimits>();
  const queue = new Map<string, Promise<void>>();

  function announce(state: LocalListState, ok: boolean, data: Record<string, unknown>): void {
    const type = ok ? 'localList.synced' : 'localList.failed';
    deps.broker.publishNotification(notify(type, { chargePointId: state.chargePointId, version: state.version, status: state.status, ...data }, state.updatedAt, { chargePointId: state.chargePointId }));
  }

  async function send(chargePointId: string, listVersion: number, updateType: UpdateType, list: AuthorizationData[]) {
    const outcome = await commands.send(chargePointId, 'SendLocalList', { listVersion, updateType, localAuthorizationList: list }, { requestedBy: LOCAL_LIST_REQUESTER });
    return outcome.status === 'answered' ? (outcome.response as SendLocalListResponse).status : null;
  }

  /** The charger's limits, asked once per connection; null: it did not answer (offline), try later. */
  async function limitsOf(chargePointId: string): Promise<LocalListLimits | null> {
    const known = limits.get(chargePointId);
    if (known) return known;
    const outcome = await commands.send(chargePointId, 'GetConfiguration', { key: ['SendLocalListMaxLength', 'LocalAuthListMaxLength'] }, { requestedBy: LOCAL_LIST_REQUESTER });
    if (outcome.status === 'offline') return null;
    // A CALLERROR or no answer: the charger does not tell; as before, no limit (a timeout is asked again next time).
    const learnt = outcome.status === 'answered' ? limitsFrom(outcome.response as GetConfigurationResponse) : { perMessage: Infinity, held: Infinity };
    if (outcome.status !== 'timeout') limits.set(chargePointId, learnt);
    return learnt;
  }

  async function run(chargePointId: string, check: boolean): Promise<void> {
    if (check) limits.delete(chargePointId);
    const all = await store.localLists.wanted(now());
    const key = fingerprint(all);
    const known = await store.localLists.get(chargePointId);
    let state: LocalListState = known ?? { chargePointId, version: 0, entries: [], reportedVersion: null, status: 'failed', detail: null, omitted: 0, updatedAt: now() };
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
        synced.set(chargePointId, key);
        announce(state, false, { updateType: null, detail: state.detail });
        return;
      }
      if (reported !== state.version) full = true;
      floor = Math.max(floor, reported);
    }
    const limit = await limitsOf(chargePointId);
    if (!limit) return;
    // More cards than the charger holds: the first ones by idTag (the order `wanted` gives), the rest left off.
    const wanted = all.slice(0, limit.held);
    const omitted = all.length - wanted.length;
    if (!full && fingerprint(state.entries) === fingerprint(wanted)) {
      if (check || state.omitted !== omitted) await store.localLists.save({ ...state, omitted });
      synced.set(chargePointId, key);
      return;
    }
    let version = floor;
    let answer: SendLocalListResponse['status'] | null = null;
    let updateType: UpdateType = 'Differential';
    /** Sends `update` in pieces the charger takes (E2 §9.3 SendLocalListMaxLength), each with the next version; the first as `first`. */
    const sendAll = async (first: UpdateType, update: AuthorizationData[], from: LocalListEntry[]): Promise<boolean> => {
      let held = from;
      const pieces = chunks(update, limit.perMessage);
      for (const [i, piece] of pieces.entries()) {
        updateType = i === 0 ? first : 'Differential';
        answer = await send(chargePointId, version + 1, updateType, piece);
        if (answer !== 'Accepted') return false;
        version += 1;
        held = i === pieces.length - 1 ? wanted : applied(held, piece);
        // The confirmed state advances per piece: a failure further on resumes from here (with a Full).
        state = { ...state, version, entries: held, status: 'synced', detail: null, omitted, updatedAt: now() };
        if (state.reportedVersion !== null) state.reportedVersion = version;
        if (i < pieces.length - 1) await store.localLists.save(state);
      }
      return true;
    };
    if (!full) {
      // Removals first: a charger near LocalAuthListMaxLength never holds more than the final list between pieces.
      const diff = listDifference(state.entries, wanted).sort((a, b) => Number(a.idTagInfo !== undefined) - Number(b.idTagInfo !== undefined));
      if (await sendAll('Differential', diff, state.entries)) return done(state, key, 'Differential', diff.length);
      if (answer === null) return unanswered(); // the charger may hold either; the next check tells
      // E2 §5.15: a Differential refused is followed by the whole list.
      full = answer === 'VersionMismatch' || answer === 'Failed';
    }
    if (full) {
      const list = wanted.map(authorizationData);
      if (await sendAll('Full', list, [])) return done(state, key, 'Full', list.length);
    }
    // Unanswered, Failed, NotSupported: what the charger holds is unknown; the next try is Full.
    state = { ...state, status: answer === 'NotSupported' ? 'unsupported' : 'failed', detail: answer === null ? `${updateType} unanswered` : `${updateType} ${answer}`, omitted, updatedAt: now() };
    await store.localLists.save(state);
    // Refused (Failed, NotSupported, VersionMismatch to a Full): not sent again while the cards and
    // the connection stay the same; unanswered: the next tick tries again.
    if (answer === null) synced.delete(chargePointId);
    else synced.set(chargePointId, key);
    announce(state, false, { updateType, detail: state.detail, omitted });

    async function unanswered(): Promise<void> {
      state = { ...state, status: 'failed', detail: `${updateType} unanswered`, omitted, updatedAt: now() };
      await store.localLists.save(state);
      synced.delete(chargePointId);
      announce(state, false, { updateType, detail: state.detail, omitted });
    }
  }

  async function done(state: LocalListState, key: string, updateType: UpdateType, sent: number): Promise<void> {
    await store.localLists.save(state);
    synced.set(state.chargePointId, key);
    announce(state, true, { updateType, size: state.entries.length, sent, omitted: state.omitted });
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
