/**
 * Every error the CSMS can report, in one list (like fastify's FST_ERR_*).
 * Adapters translate: the API to HTTP status + JSON body, the gateway to a CALLERROR,
 * the CLI to an exit code. `docs/errors.md` documents each code; a test keeps them in step.
 */
export const ERRORS = {
  CSMS_ERR_VALIDATION: { status: 400, message: 'The request is invalid' },
  CSMS_ERR_BAD_AMOUNT: { status: 400, message: 'Amount must be an integer in minor units, within range and of the right sign' },
  CSMS_ERR_WEAK_PASSWORD: { status: 400, message: 'The password is too weak' },
  CSMS_ERR_WEBHOOK_SIGNATURE: { status: 400, message: 'The webhook signature is missing or does not match' },
  CSMS_ERR_WEBHOOK_STALE: { status: 400, message: 'The webhook timestamp is outside the tolerance window' },
  CSMS_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or invalid token' },
  CSMS_ERR_BAD_CREDENTIALS: { status: 401, message: 'Email or password is wrong' },
  CSMS_ERR_INSUFFICIENT_BALANCE: { status: 402, message: 'Wallet balance is too low to start charging' },
  CSMS_ERR_CURRENCY_MISMATCH: { status: 400, message: "The amount is not in the network's currency" },
  CSMS_ERR_FORBIDDEN: { status: 403, message: 'This account may not do that' },
  CSMS_ERR_ACCOUNT_BLOCKED: { status: 403, message: 'This account is blocked' },
  CSMS_ERR_ID_TAG_UNUSABLE: { status: 403, message: 'Every idTag of the account is blocked or expired' },
  CSMS_ERR_TOPUP_DISABLED: { status: 403, message: 'Customers cannot add money to their wallets themselves here' },
  CSMS_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  CSMS_ERR_SESSION_NOT_FOUND: { status: 404, message: 'Charging session not found' },
  CSMS_ERR_CHARGER_NOT_FOUND: { status: 404, message: 'Charge point not found' },
  CSMS_ERR_CONNECTOR_NOT_FOUND: { status: 404, message: 'Connector not found' },
  CSMS_ERR_ID_TAG_NOT_FOUND: { status: 404, message: 'idTag not found' },
  CSMS_ERR_EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists' },
  CSMS_ERR_ID_TAG_TAKEN: { status: 409, message: 'This idTag is already assigned' },
  CSMS_ERR_CONFLICT: { status: 409, message: 'The resource already exists' },
  CSMS_ERR_IN_USE: { status: 409, message: 'The resource is still referenced and cannot be deleted' },
  CSMS_ERR_SESSION_ACTIVE: { status: 409, message: 'The customer already has an active session' },
  CSMS_ERR_ID_TAG_IN_USE: { status: 409, message: 'Every idTag of the account already runs as many sessions as it may' },
  CSMS_ERR_SESSION_NOT_ACTIVE: { status: 409, message: 'The session is not active' },
  CSMS_ERR_CONNECTOR_UNAVAILABLE: { status: 409, message: 'The connector is not available' },
  CSMS_ERR_CONNECTOR_RESERVED: { status: 409, message: 'The connector is reserved for another customer' },
  CSMS_ERR_RESERVATION_EXISTS: { status: 409, message: 'The customer already has an active reservation' },
  CSMS_ERR_RESERVATION_REFUSED: { status: 409, message: 'The charge point refused the reservation' },
  CSMS_ERR_RESERVATION_NOT_ACTIVE: { status: 409, message: 'The reservation is not active' },
  CSMS_ERR_RESERVATION_NOT_FOUND: { status: 404, message: 'Reservation not found' },
  CSMS_ERR_BALANCE_TOO_LOW: { status: 409, message: 'The wallet balance is lower than the debit' },
  CSMS_ERR_TOO_LARGE: { status: 413, message: 'The upload is larger than allowed' },
  CSMS_ERR_RATE_LIMITED: { status: 429, message: 'Too many attempts, try again later' },
  CSMS_ERR_LOGIN_THROTTLED: { status: 429, message: 'Too many failed sign-ins for this account' },
  CSMS_ERR_TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed sign-ins from your address' },
  CSMS_ERR_REGISTRATION_LIMITED: { status: 429, message: 'Too many accounts created from your address' },
  CSMS_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  CSMS_ERR_PAYMENTS_NOT_CONFIGURED: { status: 501, message: 'No payment provider is configured' },
  CSMS_ERR_CHARGER_OFFLINE: { status: 503, message: 'The charge point is not connected' },
  CSMS_ERR_CHARGER_REJECTED: { status: 502, message: 'The charge point rejected the command' },
  CSMS_ERR_CHARGER_ERROR: { status: 502, message: 'The charge point answered with a CALLERROR' },
  CSMS_ERR_CHARGER_INVALID_ANSWER: { status: 502, message: "The charge point's answer breaks OCPP 1.6" },
  CSMS_ERR_PAYMENT_PROVIDER: { status: 502, message: 'The payment provider failed' },
  CSMS_ERR_NOT_READY: { status: 503, message: 'A dependency is not ready' },
  CSMS_ERR_BROKER_UNAVAILABLE: { status: 503, message: 'The message broker is not reachable' },
  CSMS_ERR_DATABASE_UNAVAILABLE: { status: 503, message: 'The database is not reachable' },
  CSMS_ERR_DATABASE_CONFLICT: { status: 503, message: 'The database refused the work because of a concurrent transaction; try again' },
  CSMS_ERR_COMMAND_TIMEOUT: { status: 504, message: 'The charge point did not answer in time' },
  CSMS_ERR_CONFIG: { status: 500, message: 'The configuration is invalid' },
  CSMS_ERR_PORT_UNAVAILABLE: { status: 500, message: 'A port the CSMS must listen on cannot be opened' },
} as const satisfies Record<string, { status: number; message: string }>;

export type CsmsErrorCode = keyof typeof ERRORS;

/** A failure with a stable code; `detail` says what exactly went wrong for this request. */
export class CsmsError extends Error {
  readonly code: CsmsErrorCode;
  readonly status: number;
  readonly detail?: string;
  readonly data?: Record<string, unknown>;

  constructor(code: CsmsErrorCode, detail?: string, data?: Record<string, unknown>) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message);
    this.name = 'CsmsError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail;
    this.data = data;
  }

  toJSON(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...(this.data ? { data: this.data } : {}) } };
  }
}

export function isCsmsError(err: unknown): err is CsmsError {
  return err instanceof CsmsError;
}

/**
 * The database could not be reached (a connection refused, reset or timed out), or refused the work
 * because of a concurrent transaction (a deadlock): nothing was done, and the same work will
 * succeed when tried again. Callers retry it, and never count it against the work itself (an event
 * is not poison because the database restarted or another batch held a lock).
 */
export function isStoreUnavailable(err: unknown): boolean {
  return isCsmsError(err) && (err.code === 'CSMS_ERR_DATABASE_UNAVAILABLE' || err.code === 'CSMS_ERR_DATABASE_CONFLICT');
}
