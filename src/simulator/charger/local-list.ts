/**
 * The charger's Local Authorization List (E2 §3.5.2, §5.10, §5.15) and the decision how a card is
 * authorised without asking the CSMS: offline (E2 §3.6: LocalAuthorizeOffline,
 * AllowOfflineTxForUnknownId) or online before Authorize (LocalPreAuthorize). The list wins over
 * the cache (E2 §3.5.3). Held outside the charger object: a fleet without lists pays nothing.
 */
import { performance } from 'node:perf_hooks';
import type { GetLocalListVersionResponse, IdTagInfo, SendLocalListRequest, UpdateStatus } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';
import { cachedIdTagInfo, cacheSize, tagKey } from './auth-cache.ts';

interface LocalList {
  /** 0: no list received (or emptied by a Full update with version 0). */
  version: number;
  entries: Map<string, IdTagInfo>;
}

const lists = new WeakMap<SimCharger, LocalList>();

function listOf(ch: SimCharger): LocalList {
  let list = lists.get(ch);
  if (!list) lists.set(ch, (list = { version: 0, entries: new Map() }));
  return list;
}

/** GetLocalListVersion (E2 §5.10): -1 while LocalAuthListEnabled is false, 0 for no list. */
export function localListVersion(ch: SimCharger): GetLocalListVersionResponse {
  if (!ch.config.flag('LocalAuthListEnabled')) return { listVersion: -1 };
  return { listVersion: lists.get(ch)?.version ?? 0 };
}

/**
 * SendLocalList (E2 §5.15). Full replaces the list; Differential adds or updates the entries with an
 * idTagInfo and removes those without one, and is a VersionMismatch unless its version is above the
 * one held (E2 §7.47 UpdateStatus). More entries than SendLocalListMaxLength, or a list that would
 * outgrow LocalAuthListMaxLength, Failed; nothing changes then.
 */
export function sendLocalList(ch: SimCharger, req: SendLocalListRequest): UpdateStatus {
  if (!ch.config.flag('LocalAuthListEnabled')) return 'NotSupported';
  const items = req.localAuthorizationList ?? [];
  if (items.length > Number(ch.config.value('SendLocalListMaxLength'))) return 'Failed';
  const list = listOf(ch);
  if (req.updateType === 'Differential' && req.listVersion <= list.version) return 'VersionMismatch';
  const next = req.updateType === 'Full' ? new Map<string, IdTagInfo>() : new Map(list.entries);
  for (const { idTag, idTagInfo } of items) {
    if (idTagInfo) next.set(tagKey(idTag), idTagInfo);
    else next.delete(tagKey(idTag));
  }
  if (next.size > Number(ch.config.value('LocalAuthListMaxLength'))) return 'Failed';
  list.entries = next;
  list.version = req.listVersion;
  return 'Accepted';
}

/** The list's entry for `idTag` while the list is enabled, or null. */
export function listedIdTagInfo(ch: SimCharger, idTag: string): IdTagInfo | null {
  if (!ch.config.flag('LocalAuthListEnabled')) return null;
  return lists.get(ch)?.entries.get(tagKey(idTag)) ?? null;
}

/** How many idTags the list holds. */
export function localListSize(ch: SimCharger): number {
  return lists.get(ch)?.entries.size ?? 0;
}

/** Whether `info` lets a transaction start now: Accepted and not past its expiryDate (E2 §7.23). */
function valid(ch: SimCharger, info: IdTagInfo): boolean {
  return info.status === 'Accepted' && !(info.expiryDate && Date.parse(info.expiryDate) < ch.timestamp(performance.now()));
}

/** What the charger knows of `idTag` itself: the list's entry first, then the cache's (E2 §3.5.3). */
function known(ch: SimCharger, idTag: string): { info: IdTagInfo; from: 'list' | 'cache' } | null {
  const listed = listedIdTagInfo(ch, idTag);
  if (listed) return { info: listed, from: 'list' };
  const cached = cachedIdTagInfo(ch, idTag);
  return cached ? { info: cached, from: 'cache' } : null;
}

/**
 * LocalPreAuthorize (E2 §3.5.3): online, a card the list or the cache holds as valid starts at once,
 * without Authorize. Returns where it was found, or null: ask the CSMS.
 */
export function preAuthorized(ch: SimCharger, idTag: string): 'list' | 'cache' | null {
  if (!ch.config.flag('LocalPreAuthorize')) return null;
  const k = known(ch, idTag);
  return k && valid(ch, k.info) ? k.from : null;
}

/**
 * The CSMS cannot be asked (E2 §3.6): with LocalAuthorizeOffline a card valid in the list or the
 * cache starts; an unknown card starts only with AllowOfflineTxForUnknownId. 'refused' otherwise.
 */
export function offlineDecision(ch: SimCharger, idTag: string): 'list' | 'cache' | 'unknown' | 'refused' {
  if (!ch.config.flag('LocalAuthorizeOffline')) return 'refused';
  const k = known(ch, idTag);
  if (k) return valid(ch, k.info) ? k.from : 'refused';
  return ch.config.flag('AllowOfflineTxForUnknownId') ? 'unknown' : 'refused';
}

/** Whether a card could start a transaction while the CSMS is away: the charger takes drivers offline. */
export function startsOffline(ch: SimCharger): boolean {
  if (!ch.config.flag('LocalAuthorizeOffline')) return false;
  return ch.config.flag('AllowOfflineTxForUnknownId') || (ch.config.flag('LocalAuthListEnabled') && localListSize(ch) > 0) || (ch.config.flag('AuthorizationCacheEnabled') && cacheSize(ch) > 0);
}

const offlineStarts = new WeakSet<object>();

/** Records that `tx` was authorised by the charger alone, while the CSMS could not be asked. */
export function markOfflineStart(tx: object): void {
  offlineStarts.add(tx);
}

/** Whether `tx` started offline: a refusal when the CSMS learns of it is the charger's risk, not the CSMS's error. */
export function startedOffline(tx: object): boolean {
  return offlineStarts.has(tx);
}
