/** What the gateway keeps per connected charger; small, because there are thousands. */
export interface ChargerState {
  readonly identity: string;
  /** J §5.4 / JE §3.10: registration is kept per identity, across reconnects. */
  accepted: boolean;
  /** performance.now() of the last pong (or of the connection): monotonic, for the liveness timer. */
  lastPongAt: number;
  /** CALLs from the charger by message id, until we have answered them (to publish request+answer as one event). */
  readonly inFlight: Map<string, { action: string; request: unknown; receivedAt: string }>;
}

export function createChargerState(identity: string, accepted: boolean, now: number): ChargerState {
  return { identity, accepted, lastPongAt: now, inFlight: new Map() };
}
