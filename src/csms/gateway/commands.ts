/**
 * Commands to chargers (RemoteStart, Reset, ...): each is recorded in the command audit before it is
 * sent, waits for the charger's answer or a timeout, and the outcome is recorded and announced.
 */
import { randomUUID } from 'node:crypto';
import { OcppError, OcppTimeoutError, type OcppConnection } from '../../ocpp/index.ts';
import { notify, pointRoom } from '../domain/notifications.ts';
import type { Broker, Clock, CommandOutcome, CommandSender, Store } from '../domain/ports.ts';
import type { CommandStatus } from '../domain/types.ts';

export interface CommandDeps {
  store: Store;
  broker: Broker;
  clock: Clock;
  defaultTimeoutMs: number;
  connectionOf(chargePointId: string): OcppConnection<any, any, any> | undefined;
}

export function createCommandSender(deps: CommandDeps): CommandSender {
  const now = () => deps.clock.now().toISOString();

  function finish(commandId: string, chargePointId: string, action: string, status: CommandStatus, response: unknown, requestedBy: string | null): CommandOutcome {
    const at = now();
    deps.store.commands.finish(commandId, status, response, at);
    deps.broker.publishNotification(
      notify('command.result', { commandId, chargePointId, action, status, response, requestedBy, at }, at, [], [pointRoom(chargePointId)]),
    );
    return { commandId, status, response };
  }

  return {
    isConnected: (id) => deps.connectionOf(id) !== undefined,

    async send(chargePointId, action, payload, opts = {}) {
      const commandId = randomUUID();
      const requestedBy = opts.requestedBy ?? null;
      deps.store.commands.create({ id: commandId, chargePointId, action, request: payload, requestedBy, createdAt: now() });
      const conn = deps.connectionOf(chargePointId);
      if (!conn || conn.isClosed) return finish(commandId, chargePointId, action, 'offline', null, requestedBy);
      try {
        const response = await conn.callAny(action, payload, { timeoutMs: opts.timeoutMs ?? deps.defaultTimeoutMs });
        return finish(commandId, chargePointId, action, 'answered', response, requestedBy);
      } catch (err) {
        if (err instanceof OcppTimeoutError) return finish(commandId, chargePointId, action, 'timeout', null, requestedBy);
        if (err instanceof OcppError) {
          return finish(commandId, chargePointId, action, 'error', { code: err.code, description: err.description, details: err.details }, requestedBy);
        }
        // The socket closed while we waited.
        return finish(commandId, chargePointId, action, 'offline', { description: (err as Error).message }, requestedBy);
      }
    },
  };
}
