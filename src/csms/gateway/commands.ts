/**
 * Commands to chargers (RemoteStart, Reset, ...): each is recorded in the command audit before it is
 * sent, waits for the charger's answer or a timeout, and the outcome is recorded and announced.
 * A charger connected to another node is reached through that node (the broker's CommandRouter).
 */
import { randomUUID } from 'node:crypto';
import { OcppError, OcppTimeoutError, type OcppConnection } from '../../ocpp/index.ts';
import { notify, pointRoom } from '../domain/notifications.ts';
import type { Broker, Clock, CommandOutcome, CommandSender, RemoteCommand, Store } from '../domain/ports.ts';
import type { CommandStatus } from '../domain/types.ts';

export interface CommandDeps {
  store: Store;
  broker: Broker;
  clock: Clock;
  nodeId: string;
  defaultTimeoutMs: number;
  connectionOf(chargePointId: string): OcppConnection<any, any, any> | undefined;
}

export function createCommandSender(deps: CommandDeps): CommandSender {
  const { store, broker } = deps;
  const now = () => deps.clock.now().toISOString();

  function finish(commandId: string, cmd: RemoteCommand, status: CommandStatus, response: unknown): CommandOutcome {
    const at = now();
    store.commands.finish(commandId, status, response, at);
    const data = { commandId, chargePointId: cmd.chargePointId, action: cmd.action, status, response, requestedBy: cmd.requestedBy, at };
    broker.publishAudit(`command.result.${cmd.action}`, data);
    broker.publishNotification(notify('command.result', data, at, [], [pointRoom(cmd.chargePointId)]));
    return { commandId, status, response };
  }

  /** Sends on this node's own connection to the charger. */
  async function sendLocal(cmd: RemoteCommand): Promise<CommandOutcome> {
    const commandId = randomUUID();
    store.commands.create({ id: commandId, chargePointId: cmd.chargePointId, action: cmd.action, request: cmd.payload, requestedBy: cmd.requestedBy, createdAt: now() });
    broker.publishAudit(`command.sent.${cmd.action}`, { commandId, chargePointId: cmd.chargePointId, action: cmd.action, request: cmd.payload, requestedBy: cmd.requestedBy, node: deps.nodeId });
    const conn = deps.connectionOf(cmd.chargePointId);
    if (!conn || conn.isClosed) return finish(commandId, cmd, 'offline', null);
    try {
      const response = await conn.callAny(cmd.action, cmd.payload, { timeoutMs: cmd.timeoutMs });
      return finish(commandId, cmd, 'answered', response);
    } catch (err) {
      if (err instanceof OcppTimeoutError) return finish(commandId, cmd, 'timeout', null);
      if (err instanceof OcppError) return finish(commandId, cmd, 'error', { code: err.code, description: err.description, details: err.details });
      // The socket closed while we waited.
      return finish(commandId, cmd, 'offline', { description: (err as Error).message });
    }
  }

  // Commands other nodes forward here are only ever sent locally: no forwarding loops.
  broker.commands?.serve(sendLocal);

  return {
    isConnected: (id) => deps.connectionOf(id) !== undefined,

    async send(chargePointId, action, payload, opts = {}) {
      const cmd: RemoteCommand = { chargePointId, action, payload, requestedBy: opts.requestedBy ?? null, timeoutMs: opts.timeoutMs ?? deps.defaultTimeoutMs };
      if (!deps.connectionOf(chargePointId) && broker.commands) {
        const node = store.chargePoints.nodeOf(chargePointId);
        // The node that holds the charger records the command and talks to it.
        if (node && node !== deps.nodeId) return broker.commands.forward(node, cmd);
      }
      return sendLocal(cmd);
    },
  };
}
