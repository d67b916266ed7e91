// Odoo's errors as typed exceptions, whichever external API reported them: JSON-2 answers an HTTP
// status with {name, message, debug}; XML-RPC (/xmlrpc/2) answers a fault with an integer code.

export type OdooTransport = 'json2' | 'xmlrpc';

export interface OdooErrorDetails {
  /** HTTP status (JSON-2), or the HTTP status Odoo gives this kind of error (XML-RPC). */
  status: number;
  /** Qualified exception name, e.g. "odoo.exceptions.ValidationError"; "" when unknown. */
  odooName: string;
  /** The server's message, as a user would read it. */
  message: string;
  /** The server traceback, when it sent one. */
  debug?: string;
  transport: OdooTransport;
}

export class OdooError extends Error {
  override name = 'OdooError';
  readonly status: number;
  readonly odooName: string;
  readonly debug?: string;
  readonly transport: OdooTransport;

  constructor(details: OdooErrorDetails) {
    super(details.message);
    this.status = details.status;
    this.odooName = details.odooName;
    this.debug = details.debug;
    this.transport = details.transport;
  }
}

/** Bad or missing API key (bearer 401, XML-RPC AccessDenied). */
export class OdooAuthenticationError extends OdooError {
  override name = 'OdooAuthenticationError';
}
/**
 * odoo.exceptions.UserError: a business error meant for the user. As in Python, the three below
 * are UserErrors too, so `instanceof OdooUserError` holds whichever transport reported them
 * (XML-RPC only says "UserError").
 */
export class OdooUserError extends OdooError {
  override name = 'OdooUserError';
}
/** odoo.exceptions.AccessError: the user may not do this. */
export class OdooAccessError extends OdooUserError {
  override name = 'OdooAccessError';
}
/** odoo.exceptions.MissingError: a record does not exist (any more). */
export class OdooMissingError extends OdooUserError {
  override name = 'OdooMissingError';
}
/** odoo.exceptions.ValidationError: a constraint refused the values. */
export class OdooValidationError extends OdooUserError {
  override name = 'OdooValidationError';
}
/** Unknown model or method (JSON-2 404); a private method is refused with an AccessError (403). */
export class OdooNotFoundError extends OdooError {
  override name = 'OdooNotFoundError';
}
/** Arguments the method does not take, ids on an @api.model method, a malformed body (400/422). */
export class OdooRequestError extends OdooError {
  override name = 'OdooRequestError';
}
/** Anything else: a server-side bug or crash (500). */
export class OdooServerError extends OdooError {
  override name = 'OdooServerError';
}

type ErrorClass = new (details: OdooErrorDetails) => OdooError;

// Most specific first: MissingError, AccessError and ValidationError are UserErrors in Python.
const BY_NAME: ReadonlyArray<readonly [string, ErrorClass]> = [
  ['odoo.exceptions.AccessDenied', OdooAuthenticationError],
  ['werkzeug.exceptions.Unauthorized', OdooAuthenticationError],
  ['odoo.exceptions.AccessError', OdooAccessError],
  ['odoo.exceptions.MissingError', OdooMissingError],
  ['odoo.exceptions.ValidationError', OdooValidationError],
  ['odoo.exceptions.UserError', OdooUserError],
  ['odoo.exceptions.RedirectWarning', OdooUserError],
  ['werkzeug.exceptions.NotFound', OdooNotFoundError],
  ['werkzeug.exceptions.UnprocessableEntity', OdooRequestError],
  ['werkzeug.exceptions.BadRequest', OdooRequestError],
];

const BY_STATUS: Readonly<Record<number, ErrorClass>> = {
  400: OdooRequestError,
  401: OdooAuthenticationError,
  403: OdooAccessError,
  404: OdooNotFoundError,
  422: OdooUserError,
};

// The HTTP status JSON-2 would have answered, for errors that came through XML-RPC.
const STATUS_OF = new Map<ErrorClass, number>([
  [OdooAuthenticationError, 401],
  [OdooAccessError, 403],
  [OdooMissingError, 404],
  [OdooNotFoundError, 404],
  [OdooValidationError, 422],
  [OdooUserError, 422],
  [OdooRequestError, 422],
]);

function classFor(odooName: string, status: number): ErrorClass {
  return BY_NAME.find(([name]) => name === odooName)?.[1] ?? BY_STATUS[status] ?? OdooServerError;
}

/** The exception for a JSON-2 error answer (`body` as parsed; anything when it was not JSON). */
export function odooErrorFromJson2(status: number, body: unknown, rawText = ''): OdooError {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const odooName = typeof record.name === 'string' ? record.name : '';
  const message = typeof record.message === 'string' ? record.message : rawText.trim().slice(0, 500) || `HTTP ${status}`;
  const debug = typeof record.debug === 'string' ? record.debug : undefined;
  return new (classFor(odooName, status))({ status, odooName, message, debug, transport: 'json2' });
}

// addons/rpc/controllers/xmlrpc.py, xmlrpc_handle_exception_int.
const FAULT_WARNING = 2;
const FAULT_ACCESS_DENIED = 3;
const FAULT_ACCESS_ERROR = 4;

/**
 * The exception for an XML-RPC fault of /xmlrpc/2: 2 is a UserError (message only, its exact
 * class is lost), 3 AccessDenied, 4 AccessError; 1 is anything else, with the traceback as the
 * fault string, whose last line names the exception.
 */
export function odooErrorFromFault(faultCode: number | string, faultString: string): OdooError {
  const transport = 'xmlrpc' as const;
  if (faultCode === FAULT_WARNING)
    return new OdooUserError({ status: 422, odooName: 'odoo.exceptions.UserError', message: faultString, transport });
  if (faultCode === FAULT_ACCESS_DENIED)
    return new OdooAuthenticationError({ status: 401, odooName: 'odoo.exceptions.AccessDenied', message: faultString, transport });
  if (faultCode === FAULT_ACCESS_ERROR)
    return new OdooAccessError({ status: 403, odooName: 'odoo.exceptions.AccessError', message: faultString, transport });
  const { odooName, message } = lastTracebackLine(faultString);
  const ErrorType = classFor(odooName, 500);
  return new ErrorType({ status: STATUS_OF.get(ErrorType) ?? 500, odooName, message, debug: faultString, transport });
}

/** "odoo.exceptions.ValidationError: The message" → its parts; the whole text when it has none. */
function lastTracebackLine(traceback: string): { odooName: string; message: string } {
  const lines = traceback.trimEnd().split('\n');
  // The message may span several lines: find the last line that starts with a qualified name.
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const match = /^([A-Za-z_][\w.]*(?:Error|Exception|Denied|Warning|NotFound|Entity|Request)):\s?(.*)$/.exec(lines[index]!);
    if (match) return { odooName: match[1]!, message: [match[2]!, ...lines.slice(index + 1)].join('\n').trim() };
  }
  return { odooName: '', message: traceback.trim() };
}
