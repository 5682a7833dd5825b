/**
 * Commands to chargers: how a CommandOutcome becomes an HTTP answer, and the `command.result`
 * notification that lets the customer's page update without polling.
 */
import type { FastifyBaseLogger } from 'fastify';
import { CsmsError } from '../domain/errors.ts';
import { notify } from '../domain/notifications.ts';
import type { Broker, CommandOutcome } from '../domain/ports.ts';
import type { Notification } from '../domain/types.ts';

/**
 * Throws the CsmsError for an outcome without a usable charger answer: not connected (503), no answer
 * in time (504), a CALLERROR (502), an answer that breaks OCPP 1.6 (502). Returns the outcome when the
 * charger answered.
 */
export function requireAnswer(outcome: CommandOutcome, chargePointId: string): CommandOutcome {
  const data = { commandId: outcome.commandId };
  switch (outcome.status) {
    case 'answered':
      return outcome;
    case 'offline':
      throw new CsmsError('CSMS_ERR_CHARGER_OFFLINE', chargePointId, data);
    case 'error':
      throw errorOutcome(outcome, chargePointId);
    default:
      // 'timeout', or a 'pending' that the sender gave up on: either way no answer arrived.
      throw new CsmsError('CSMS_ERR_COMMAND_TIMEOUT', chargePointId, data);
  }
}

/** A command recorded as 'error': the audit's `response.kind` says whether a CALLERROR came back. */
function errorOutcome(outcome: CommandOutcome, chargePointId: string): CsmsError {
  const response = (outcome.response ?? {}) as { kind?: unknown; code?: unknown; description?: unknown; answer?: unknown; field?: unknown };
  const { code, description } = response;
  if (response.kind === 'invalid-answer') {
    return new CsmsError('CSMS_ERR_CHARGER_INVALID_ANSWER', `${chargePointId}: ${String(description)}`, {
      commandId: outcome.commandId, error: { code, description }, answer: response.answer,
    });
  }
  if (response.kind === 'invalid-request') {
    return new CsmsError('CSMS_ERR_VALIDATION', `the command breaks the OCPP 1.6 schema: ${String(description)}`, {
      commandId: outcome.commandId, field: response.field, reason: description, ocppCode: code,
    });
  }
  return new CsmsError('CSMS_ERR_CHARGER_ERROR', chargePointId, { commandId: outcome.commandId, error: outcome.response });
}

/** The `status` field of a charger's answer (Accepted, Rejected, Unlocked…), if it has one. */
export function answerStatus(response: unknown): string | null {
  const status = (response as { status?: unknown } | null)?.status;
  return typeof status === 'string' ? status : null;
}

/** Remote start/stop on behalf of a customer: only Accepted counts; anything else is a refusal. */
export function requireAccepted(outcome: CommandOutcome, chargePointId: string): { status: 'Accepted'; commandId: string } {
  requireAnswer(outcome, chargePointId);
  const status = answerStatus(outcome.response);
  if (status !== 'Accepted') {
    throw new CsmsError('CSMS_ERR_CHARGER_REJECTED', `${chargePointId} answered ${status ?? 'without a status'}`, { commandId: outcome.commandId, response: outcome.response });
  }
  return { status: 'Accepted', commandId: outcome.commandId };
}

/**
 * The `command.result` for the customer who asked. The command sender already announces every
 * outcome to the charge point's CMS room; this one goes to the customer's own room only.
 */
export function customerCommandNotification(
  customerId: number,
  action: string,
  chargePointId: string,
  outcome: CommandOutcome,
  at: string,
  extra: Record<string, unknown> = {},
): Notification {
  return notify(
    'command.result',
    { commandId: outcome.commandId, action, chargePointId, status: outcome.status, answer: answerStatus(outcome.response), ...extra },
    at,
    { customers: [customerId] },
  );
}

/** CMS changes that also go to the audit trail. */
const AUDITED = /^(station|point|tariff|customer)\./;

/** Publishes without failing the request: the write already happened, a lost push only costs a poll. */
export function createPublisher(broker: Broker, log: FastifyBaseLogger, onCustomersChanged?: () => void) {
  return function publish(notifications: Notification | Notification[]): void {
    for (const n of Array.isArray(notifications) ? notifications : [notifications]) {
      if (onCustomersChanged && n.type.startsWith('customer.')) onCustomersChanged();
      try {
        if (AUDITED.test(n.type)) broker.publishAudit(`cms.${n.type}`, { ...n.data, at: n.timestamp });
        broker.publishNotification(n);
      } catch (err) {
        log.warn({ err, type: n.type }, 'notification not published');
      }
    }
  };
}

export type Publish = ReturnType<typeof createPublisher>;
