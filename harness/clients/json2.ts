// A small typed client for Odoo's external API. JSON-2 by default (POST /json/2/<model>/<method>,
// bearer API key, named arguments, `ids` and `context`); XML-RPC (/xmlrpc/2/object execute_kw)
// as a fallback for servers or methods where JSON-2 is not an option. Both raise the typed
// exceptions of odoo-errors.ts carrying the server's message.
import { odooErrorFromFault, odooErrorFromJson2, OdooAuthenticationError, type OdooTransport } from './odoo-errors.ts';
import { decodeMethodResponse, encodeMethodCall, type XmlRpcValue } from './xmlrpc.ts';

export * from './odoo-errors.ts';

export interface OdooClientOptions {
  /** e.g. http://127.0.0.1:8069, no trailing slash needed. */
  baseUrl: string;
  db: string;
  /** An API key of the user the calls run as (res.users.apikeys). */
  apiKey: string;
  /** Default json2. */
  transport?: OdooTransport;
  /** XML-RPC authenticates login + key to get the user id; default "admin". */
  login?: string;
  timeoutMs?: number;
  /** Injected in unit tests. */
  fetch?: typeof fetch;
}

/** JSON-2's body: the method's keyword arguments, plus the records (`ids`) and `context`. */
export interface CallParams {
  ids?: number[];
  context?: Record<string, unknown>;
  [kwarg: string]: unknown;
}

export type Domain = unknown[];

export interface SearchReadOptions {
  limit?: number;
  offset?: number;
  order?: string;
  context?: Record<string, unknown>;
}

export interface HttpRequest {
  url: string;
  init: RequestInit & { headers: Record<string, string>; body: string };
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class OdooClient {
  readonly transport: OdooTransport;
  private readonly fetchImpl: typeof fetch;
  private uid: Promise<number> | undefined;

  constructor(private readonly options: OdooClientOptions) {
    this.transport = options.transport ?? 'json2';
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Calls a public method of `model`; the result as Odoo returns it (recordsets as id lists). */
  async call<T = unknown>(model: string, method: string, params: CallParams = {}): Promise<T> {
    if (this.transport === 'json2') {
      const request = json2Request(this.options, model, method, params);
      const response = await this.fetchImpl(request.url, { ...request.init, signal: this.signal() });
      const text = await response.text();
      const body = parseJson(text);
      if (!response.ok) throw odooErrorFromJson2(response.status, body, text);
      return body as T;
    }
    const uid = await this.userId();
    return (await this.xmlrpc('object', 'execute_kw', executeKwParams(this.options, uid, model, method, params))) as T;
  }

  searchRead<T extends Record<string, unknown> = Record<string, unknown>>(
    model: string,
    domain: Domain,
    fields: string[],
    options: SearchReadOptions = {},
  ): Promise<T[]> {
    const { context, ...rest } = options;
    return this.call<T[]>(model, 'search_read', { domain, fields, ...rest, ...(context ? { context } : {}) });
  }

  searchCount(model: string, domain: Domain, context?: Record<string, unknown>): Promise<number> {
    return this.call<number>(model, 'search_count', { domain, ...(context ? { context } : {}) });
  }

  private userId(): Promise<number> {
    this.uid ??= (async () => {
      const { db, apiKey, login = 'admin' } = this.options;
      const uid = await this.xmlrpc('common', 'authenticate', [db, login, apiKey, {}]);
      if (typeof uid !== 'number') {
        this.uid = undefined;
        throw new OdooAuthenticationError({
          status: 401,
          odooName: 'odoo.exceptions.AccessDenied',
          message: `XML-RPC: ${login} could not authenticate with this key`,
          transport: 'xmlrpc',
        });
      }
      return uid;
    })();
    return this.uid;
  }

  private async xmlrpc(service: 'common' | 'object', method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    const response = await this.fetchImpl(`${trimSlash(this.options.baseUrl)}/xmlrpc/2/${service}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml' },
      body: encodeMethodCall(method, params),
      signal: this.signal(),
    });
    const text = await response.text();
    if (!response.headers.get('content-type')?.includes('xml')) throw odooErrorFromJson2(response.status, parseJson(text), text);
    const decoded = await decodeMethodResponse(text);
    if (decoded.kind === 'fault') throw odooErrorFromFault(decoded.faultCode, decoded.faultString);
    return decoded.value;
  }

  private signal(): AbortSignal {
    return AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }
}

/** The HTTP request of a JSON-2 call. */
export function json2Request(
  options: Pick<OdooClientOptions, 'baseUrl' | 'db' | 'apiKey'>,
  model: string,
  method: string,
  params: CallParams,
): HttpRequest {
  return {
    url: `${trimSlash(options.baseUrl)}/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
    init: {
      method: 'POST',
      headers: {
        Authorization: `bearer ${options.apiKey}`,
        'X-Odoo-Database': options.db,
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify(params),
    },
  };
}

/**
 * execute_kw(db, uid, key, model, method, args, kwargs): the records go positionally (`self`),
 * everything else by name, context included.
 */
export function executeKwParams(
  options: Pick<OdooClientOptions, 'db' | 'apiKey'>,
  uid: number,
  model: string,
  method: string,
  params: CallParams,
): XmlRpcValue[] {
  const { ids, ...kwargs } = params;
  const args: XmlRpcValue[] = ids ? [ids] : [];
  return [options.db, uid, options.apiKey, model, method, args, kwargs as { [key: string]: XmlRpcValue }];
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
