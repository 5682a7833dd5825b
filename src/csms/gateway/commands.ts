/**
 * Commands to chargers (RemoteStart, Reset, ...): each is recorded in the command audit before it is
 * sent, waits for the charger's answer or a timeout, and the outcome is recorded and announced.
 * A charger connected to another node is reached through that node (the broker's CommandRouter).
 */
import { randomUUID } from 'node:crypto';
import {
  createOcppValidator, OcppAnswerInvalidError, OcppError, OcppRequestInvalidError, OcppTimeoutError, type OcppConnection,
} from '../../ocpp/index.ts';
import { CsmsError } from '../domain/errors.ts';
import { notify } from '../domain/notifications.ts';
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

const validator = createOcppValidator();

/**
 * Refuses a command whose payload breaks the OCPP 1.6 schema, before it is recorded, forwarded or
 * sent: our caller's mistake (400), not the charger's. Strict whatever the charger's leniency, which
 * is about what we accept from it. `data.field` is the payload's field.
 */
function checkRequest(action: string, payload: Record<string, unknown>): void {
  const checked = validator.validate(action, 'req', payload, { lenient: false });
  if (checked.ok) return;
  const { code, description } = checked.error;
  throw new CsmsError('CSMS_ERR_VALIDATION', `${action}.req breaks the OCPP 1.6 schema: ${description}`, { field: checked.field, reason: description, ocppCode: code });
}

/** The audit's `response` of a command that got no usable answer; `kind` tells the three apart. */
function failureRecord(err: OcppError): Record<string, unknown> {
  if (err instanceof OcppAnswerInvalidError) return { kind: 'invalid-answer', code: err.code, description: err.description, answer: err.answer };
  // Only if a payload passed checkRequest on the forwarding node and failed here (another version).
  if (err instanceof OcppRequestInvalidError) return { kind: 'invalid-request', code: err.code, description: err.description, field: err.field };
  return { code: err.code, description: err.description, details: err.details };
}

export function createCommandSender(deps: CommandDeps): CommandSender {
  const { store, broker } = deps;
  const now = () => deps.clock.now().toISOString();

  async function finish(commandId: string, cmd: RemoteCommand, status: CommandStatus, response: unknown): Promise<CommandOutcome> {
    const at = now();
    await store.commands.finish(commandId, status, response, at);
    const data = { commandId, chargePointId: cmd.chargePointId, action: cmd.action, status, response, requestedBy: cmd.requestedBy, at };
    broker.publishAudit(`command.result.${cmd.action}`, data);
    broker.publishNotification(notify('command.result', data, at, { chargePointId: cmd.chargePointId }));
    return { commandId, status, response };
  }

  /** Sends on this node's own connection to the charger. */
  async function sendLocal(cmd: RemoteCommand): Promise<CommandOutcome> {
    const commandId = randomUUID();
    await store.commands.create({ id: commandId, chargePointId: cmd.chargePointId, action: cmd.action, request: cmd.payload, requestedBy: cmd.requestedBy, createdAt: now() });
    broker.publishAudit(`command.sent.${cmd.action}`, { commandId, chargePointId: cmd.chargePointId, action: cmd.action, request: cmd.payload, requestedBy: cmd.requestedBy, node: deps.nodeId });
    const conn = deps.connectionOf(cmd.chargePointId);
    if (!conn || conn.isClosed) return await finish(commandId, cmd, 'offline', null);
    try {
      const response = await conn.callAny(cmd.action, cmd.payload, { timeoutMs: cmd.timeoutMs });
      return await finish(commandId, cmd, 'answered', response);
    } catch (err) {
      if (err instanceof OcppTimeoutError) return await finish(commandId, cmd, 'timeout', null);
      if (err instanceof OcppError) return await finish(commandId, cmd, 'error', failureRecord(err));
      // The socket closed while we waited.
      return await finish(commandId, cmd, 'offline', { description: (err as Error).message });
    }
  }

  // Commands other nodes forward here are only ever sent locally: no forwarding loops.
  broker.commands?.serve(sendLocal);

  return {
    isConnected: (id) => deps.connectionOf(id) !== undefined,

    async send(chargePointId, action, payload, opts = {}) {
      checkRequest(action, payload);
      const cmd: RemoteCommand = { chargePointId, action, payload, requestedBy: opts.requestedBy ?? null, timeoutMs: opts.timeoutMs ?? deps.defaultTimeoutMs };
      if (!deps.connectionOf(chargePointId) && broker.commands) {
        const node = await store.chargePoints.nodeOf(chargePointId);
        // The node that holds the charger records the command and talks to it.
        if (node && node !== deps.nodeId) return broker.commands.forward(node, cmd);
      }
      return sendLocal(cmd);
    },
  };
}
