/**
 * The charger's Authorization Cache (E2 §3.5.1): the idTagInfo of every Authorize and
 * StartTransaction answer, kept while AuthorizationCacheEnabled is true and used to authorise a
 * card offline (LocalAuthorizeOffline) or at once online (LocalPreAuthorize). ClearCache empties it.
 * Held outside the charger object so a fleet that never caches pays nothing.
 */
import type { ClearCacheStatus, IdTagInfo } from '../../ocpp/index.ts';
import type { SimCharger } from '../charger.ts';

/** Entries a charger keeps; the oldest goes first when full (E2 §3.5.1 leaves the policy to the charger). */
export const AUTH_CACHE_SIZE = 1000;

const caches = new WeakMap<SimCharger, Map<string, IdTagInfo>>();

/** OCPP idTags are CiString20: case-insensitive. */
export const tagKey = (idTag: string): string => idTag.toUpperCase();

/** Remembers the CSMS's answer about `idTag` (Authorize, StartTransaction, StopTransaction). */
export function cacheIdTagInfo(ch: SimCharger, idTag: string, info: IdTagInfo | undefined): void {
  if (!info || !ch.config.flag('AuthorizationCacheEnabled')) return;
  let cache = caches.get(ch);
  if (!cache) caches.set(ch, (cache = new Map()));
  const key = tagKey(idTag);
  cache.delete(key);
  cache.set(key, info);
  if (cache.size > AUTH_CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

/** The cached answer for `idTag`, or null (also while the cache is disabled). */
export function cachedIdTagInfo(ch: SimCharger, idTag: string): IdTagInfo | null {
  if (!ch.config.flag('AuthorizationCacheEnabled')) return null;
  return caches.get(ch)?.get(tagKey(idTag)) ?? null;
}

/** How many entries the cache holds. */
export function cacheSize(ch: SimCharger): number {
  return caches.get(ch)?.size ?? 0;
}

/** ClearCache (E2 §5.4): Rejected when the charger keeps no cache (AuthorizationCacheEnabled false). */
export function clearCache(ch: SimCharger): ClearCacheStatus {
  if (!ch.config.flag('AuthorizationCacheEnabled')) return 'Rejected';
  caches.delete(ch);
  return 'Accepted';
}
