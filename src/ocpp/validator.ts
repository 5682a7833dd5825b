import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { OcppError, type OcppErrorCode } from './errors.ts';

// ajv-formats is CommonJS; under NodeNext its default import is typed as the module object.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

interface OcaSchema { $id: string; [keyword: string]: unknown }

// The OCA 1.6 schemas as maintained in ocpp-rpc; loaded, never copied or edited: their licence allows no derivatives.
const SCHEMAS = createRequire(import.meta.url)('ocpp-rpc/lib/schemas/ocpp1_6.json') as OcaSchema[];

/** `req` validates a request, `conf` its response (the 1.6 name). */
export type PayloadKind = 'req' | 'conf';

export type ValidationResult =
  | { ok: true; warnings: readonly string[] }
  | {
      ok: false;
      error: OcppError;
      /** The field at fault, as `meterValue[0].timestamp`; '' for the payload itself. */
      field: string;
    };

export interface ValidateOptions {
  /** Accept values that break only value constraints (enum, format, length, extra fields) with warnings. */
  lenient?: boolean;
}

/** Schema validation of 1.6 payloads in both directions, with errors mapped to 1.6 codes. */
export interface OcppValidator {
  validate(action: string, kind: PayloadKind, payload: unknown, options?: ValidateOptions): ValidationResult;
  /** True for every action the 1.6 schemas define (Core and the other profiles, security extensions too). */
  isKnownAction(action: string): boolean;
}

const schemaByKey = new Map<string, OcaSchema>();
for (const schema of SCHEMAS) schemaByKey.set(schema.$id.slice('urn:'.length), schema);
const knownActions: ReadonlySet<string> = new Set([...schemaByKey.keys()].map((key) => key.replace(/\.(req|conf)$/, '')));

/** True when `action` is defined by OCPP 1.6. */
export function isKnownAction(action: string): boolean {
  return knownActions.has(action);
}

function createAjv(allErrors: boolean): Ajv {
  // multipleOfPrecision: `multipleOf: 0.1` fails on floats like 16.3 without it (binary rounding).
  const ajv = new Ajv({ strict: false, allErrors, multipleOfPrecision: 6, validateSchema: false });
  addFormats(ajv);
  return ajv;
}

// Compiling is slow (~2 ms a schema), so each schema compiles once per process, on first use.
// The fast path uses the first-error validator; the all-errors one runs only in lenient mode after
// a failure, to tell tolerable violations from fatal ones that a first-error run could hide.
const firstError = { ajv: createAjv(false), compiled: new Map<string, ValidateFunction>() };
const allErrors = { ajv: createAjv(true), compiled: new Map<string, ValidateFunction>() };

function compiled(set: typeof firstError, key: string): ValidateFunction | undefined {
  let fn = set.compiled.get(key);
  if (fn) return fn;
  const schema = schemaByKey.get(key);
  if (!schema) return undefined;
  // The ids are URNs without a namespace id (`urn:Heartbeat.req`) that ajv's URI library rejects;
  // we key validators by action ourselves and hand ajv the schema body without its `$id`.
  const { $id: _id, ...body } = schema;
  fn = set.ajv.compile(body);
  set.compiled.set(key, fn);
  return fn;
}

// J §4.2.3: TypeConstraintViolation = wrong data type; OccurenceConstraintViolation = a field is
// missing or occurs a wrong number of times; PropertyConstraintViolation = a field has an invalid value.
const OCCURENCE_KEYWORDS: ReadonlySet<string> = new Set([
  'required', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'additionalItems', 'dependencies',
]);

function codeFor(error: ErrorObject): OcppErrorCode {
  if (error.keyword === 'type') return 'TypeConstraintViolation';
  if (OCCURENCE_KEYWORDS.has(error.keyword)) return 'OccurenceConstraintViolation';
  return 'PropertyConstraintViolation';
}

/** `/meterValue/0/sampledValue/0` → `meterValue[0].sampledValue[0]`. */
function readablePath(instancePath: string, child?: string): string {
  let path = '';
  if (instancePath) {
    for (const raw of instancePath.slice(1).split('/')) {
      const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      path += /^\d+$/.test(segment) ? `[${segment}]` : path ? `.${segment}` : segment;
    }
  }
  if (child !== undefined) path += path ? `.${child}` : child;
  return path || '(payload)';
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `"${readablePath(error.instancePath, String(params.missingProperty))}" is required`;
    case 'additionalProperties':
      return `"${readablePath(error.instancePath, String(params.additionalProperty))}" is not a defined property`;
    case 'type':
      return `"${readablePath(error.instancePath)}" must be of type ${String(params.type)}`;
    case 'enum':
      return `"${readablePath(error.instancePath)}" must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'maxLength':
      return `"${readablePath(error.instancePath)}" must be at most ${String(params.limit)} characters`;
    case 'format':
      return `"${readablePath(error.instancePath)}" must be a ${String(params.format)} string`;
    default:
      return `"${readablePath(error.instancePath)}" ${error.message ?? `violates ${error.keyword}`}`;
  }
}

const OK: ValidationResult = Object.freeze({ ok: true, warnings: Object.freeze([]) as readonly string[] });

/** The field an error is about, a missing or undefined property included. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const child = error.keyword === 'required' ? params.missingProperty : error.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
  const path = readablePath(error.instancePath, child === undefined ? undefined : String(child));
  return path === '(payload)' ? '' : path;
}

function failure(error: ErrorObject): ValidationResult {
  return { ok: false, error: new OcppError(codeFor(error), describe(error)), field: fieldOf(error) };
}

function validate(action: string, kind: PayloadKind, payload: unknown, options?: ValidateOptions): ValidationResult {
  const key = `${action}.${kind}`;
  const fast = compiled(firstError, key);
  if (!fast) {
    return { ok: false, error: new OcppError('NotImplemented', `"${action}" is not an OCPP 1.6 action`), field: '' };
  }
  if (fast(payload)) return OK;
  if (!options?.lenient) return failure(fast.errors![0]);

  const full = compiled(allErrors, key)!;
  full(payload);
  const warnings: string[] = [];
  for (const error of full.errors ?? []) {
    // Lenient ("log and accept"): a wrong value can still be stored, a missing field or a wrong
    // type cannot be processed at all.
    if (codeFor(error) !== 'PropertyConstraintViolation') return failure(error);
    warnings.push(describe(error));
  }
  return { ok: true, warnings };
}

const validator: OcppValidator = { validate, isKnownAction };

/** The process-wide validator; schemas compile lazily, once, on first use of each action. */
export function createOcppValidator(): OcppValidator {
  return validator;
}
