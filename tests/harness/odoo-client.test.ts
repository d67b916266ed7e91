import { describe, expect, it } from 'vitest';
import {
  executeKwParams,
  json2Request,
  OdooAccessError,
  OdooAuthenticationError,
  OdooClient,
  odooErrorFromFault,
  odooErrorFromJson2,
  OdooMissingError,
  OdooNotFoundError,
  OdooRequestError,
  OdooServerError,
  OdooUserError,
  OdooValidationError,
} from '../../harness/clients/json2.ts';
import { decodeMethodResponse } from '../../harness/clients/xmlrpc.ts';
import { readCall } from '../helpers.ts';

const OPTIONS = { baseUrl: 'http://127.0.0.1:8069/', db: 'pilot', apiKey: 'k3y' };

interface Recorded {
  url: string;
  init: RequestInit;
}

/** A fetch answering each call with the next canned response, recording the requests. */
function fakeFetch(responses: Array<{ status?: number; body: string; type?: string }>): { fetch: typeof fetch; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = responses.shift();
    if (!next) throw new Error('unexpected request');
    return new Response(next.body, { status: next.status ?? 200, headers: { 'Content-Type': next.type ?? 'application/json' } });
  }) as typeof fetch;
  return { fetch: fetchStub, calls };
}

function xmlResult(inner: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value>${inner}</value>\n</param>\n</params>\n</methodResponse>\n`;
}

function xmlFault(code: number, message: string): string {
  return `<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${code}</int></value></member><member><name>faultString</name><value><string>${message}</string></value></member></struct></value></fault></methodResponse>`;
}

describe('JSON-2 requests', () => {
  it('posts named arguments, ids and context to /json/2/<model>/<method> with the bearer key and database', () => {
    const request = json2Request(OPTIONS, 'sale.order', 'action_fusion_close_periods', { ids: [42], context: { lang: 'en_US' } });
    expect(request.url).toBe('http://127.0.0.1:8069/json/2/sale.order/action_fusion_close_periods');
    expect(request.init).toMatchObject({
      method: 'POST',
      headers: { Authorization: 'bearer k3y', 'X-Odoo-Database': 'pilot', 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(JSON.parse(request.init.body)).toEqual({ ids: [42], context: { lang: 'en_US' } });
  });

  it('returns the decoded result', async () => {
    const { fetch, calls } = fakeFetch([{ body: '[{"id": 3, "name": "Acme"}]' }]);
    const client = new OdooClient({ ...OPTIONS, fetch });
    expect(await client.searchRead('res.partner', [['is_company', '=', true]], ['name'], { limit: 1, order: 'id' })).toEqual([
      { id: 3, name: 'Acme' },
    ]);
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({
      domain: [['is_company', '=', true]],
      fields: ['name'],
      limit: 1,
      order: 'id',
    });
  });

  it("raises the typed error with the server's message", async () => {
    const body = JSON.stringify({
      name: 'odoo.exceptions.ValidationError',
      message: 'You cannot create recursive Partner hierarchies.',
      arguments: [],
      context: {},
      debug: 'Traceback ...',
    });
    const { fetch } = fakeFetch([{ status: 422, body }]);
    const error = await new OdooClient({ ...OPTIONS, fetch })
      .call('res.partner', 'write', { ids: [3], vals: { parent_id: 3 } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OdooValidationError);
    expect(error).toBeInstanceOf(OdooUserError);
    expect(error).toMatchObject({
      status: 422,
      odooName: 'odoo.exceptions.ValidationError',
      message: 'You cannot create recursive Partner hierarchies.',
      debug: 'Traceback ...',
      transport: 'json2',
    });
  });
});

describe('JSON-2 error mapping', () => {
  const cases: Array<[number, string, unknown]> = [
    [401, 'werkzeug.exceptions.Unauthorized', OdooAuthenticationError],
    [403, 'odoo.exceptions.AccessError', OdooAccessError],
    [404, 'odoo.exceptions.MissingError', OdooMissingError],
    [404, 'werkzeug.exceptions.NotFound', OdooNotFoundError],
    [422, 'werkzeug.exceptions.UnprocessableEntity', OdooRequestError],
    [400, 'werkzeug.exceptions.BadRequest', OdooRequestError],
    [422, 'odoo.exceptions.UserError', OdooUserError],
    [500, 'psycopg2.errors.UndefinedTable', OdooServerError],
  ];
  it.each(cases)('%i %s', (status, name, type) => {
    const error = odooErrorFromJson2(status, { name, message: 'm' });
    expect(error).toBeInstanceOf(type as typeof OdooServerError);
    expect(error).toMatchObject({ status, odooName: name, message: 'm' });
  });

  it('falls back on the status, and on the raw text when the body is not JSON', () => {
    expect(odooErrorFromJson2(401, undefined, '')).toBeInstanceOf(OdooAuthenticationError);
    const error = odooErrorFromJson2(502, undefined, '<html>Bad Gateway</html>');
    expect(error).toBeInstanceOf(OdooServerError);
    expect(error.message).toBe('<html>Bad Gateway</html>');
  });
});

describe('XML-RPC fallback', () => {
  it('authenticates once, then calls execute_kw with the records positional and the rest by name', async () => {
    const { fetch, calls } = fakeFetch([
      { body: xmlResult('<int>2</int>'), type: 'text/xml' },
      { body: xmlResult('<boolean>1</boolean>'), type: 'text/xml' },
      { body: xmlResult('<int>5</int>'), type: 'text/xml' },
    ]);
    const client = new OdooClient({ ...OPTIONS, transport: 'xmlrpc', login: 'admin', fetch });
    expect(await client.call('sale.order', 'action_confirm', { ids: [42], context: { tz: 'America/Toronto' } })).toBe(true);
    expect(await client.searchCount('res.partner', [])).toBe(5);
    expect(calls.map((call) => call.url)).toEqual([
      'http://127.0.0.1:8069/xmlrpc/2/common',
      'http://127.0.0.1:8069/xmlrpc/2/object',
      'http://127.0.0.1:8069/xmlrpc/2/object',
    ]);
    expect(String(calls[0]!.init.body)).toContain('<methodName>authenticate</methodName>');
    const call = await readCall(String(calls[1]!.init.body));
    expect(call.method).toBe('execute_kw');
    expect(executeKwParams(OPTIONS, 2, 'sale.order', 'action_confirm', { ids: [42], context: { tz: 'America/Toronto' } })).toEqual([
      'pilot',
      2,
      'k3y',
      'sale.order',
      'action_confirm',
      [[42]],
      { context: { tz: 'America/Toronto' } },
    ]);
    expect(executeKwParams(OPTIONS, 2, 'res.partner', 'search_count', { domain: [] })).toEqual([
      'pilot',
      2,
      'k3y',
      'res.partner',
      'search_count',
      [],
      { domain: [] },
    ]);
  });

  it('raises an authentication error when the key does not authenticate', async () => {
    const { fetch } = fakeFetch([{ body: xmlResult('<boolean>0</boolean>'), type: 'text/xml' }]);
    await expect(
      new OdooClient({ ...OPTIONS, transport: 'xmlrpc', fetch }).call('res.partner', 'search_count', { domain: [] }),
    ).rejects.toBeInstanceOf(OdooAuthenticationError);
  });

  it('maps faults: 2 UserError, 3 AccessDenied, 4 AccessError, 1 by the traceback', async () => {
    const { fetch } = fakeFetch([
      { body: xmlResult('<int>2</int>'), type: 'text/xml' },
      { body: xmlFault(2, 'You cannot create recursive Partner hierarchies.'), type: 'text/xml' },
    ]);
    const error = await new OdooClient({ ...OPTIONS, transport: 'xmlrpc', fetch })
      .call('res.partner', 'write', { ids: [3], vals: { parent_id: 3 } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OdooUserError);
    expect(error).toMatchObject({ status: 422, message: 'You cannot create recursive Partner hierarchies.', transport: 'xmlrpc' });

    expect(odooErrorFromFault(3, 'Access Denied')).toBeInstanceOf(OdooAuthenticationError);
    expect(odooErrorFromFault(4, 'You are not allowed to modify this document')).toMatchObject({
      status: 403,
      message: 'You are not allowed to modify this document',
    });
    expect(odooErrorFromFault(4, 'x')).toBeInstanceOf(OdooAccessError);

    const traceback =
      'Traceback (most recent call last):\n  File "x.py", line 1, in f\nodoo.exceptions.MissingError: Record does not exist or has been deleted.\n(Record: sale.order(999999,), User: 2)\n';
    const missing = odooErrorFromFault(1, traceback);
    expect(missing).toBeInstanceOf(OdooMissingError);
    expect(missing).toMatchObject({
      status: 404,
      odooName: 'odoo.exceptions.MissingError',
      message: 'Record does not exist or has been deleted.\n(Record: sale.order(999999,), User: 2)',
      debug: traceback,
    });

    const crash = odooErrorFromFault(1, "Traceback (most recent call last):\nAttributeError: The method 'sale.order.nope' does not exist");
    expect(crash).toBeInstanceOf(OdooServerError);
    expect(crash).toMatchObject({ status: 500, odooName: 'AttributeError', message: "The method 'sale.order.nope' does not exist" });
  });

  it('reports a non-XML answer (a proxy error page) as an error, not a parse failure', async () => {
    const { fetch } = fakeFetch([{ status: 502, body: 'Bad Gateway', type: 'text/plain' }]);
    await expect(
      new OdooClient({ ...OPTIONS, transport: 'xmlrpc', fetch }).call('res.partner', 'search_count', { domain: [] }),
    ).rejects.toMatchObject({ status: 502, message: 'Bad Gateway' });
  });

  it('decodes the fault helper used above like a real one', async () => {
    expect(await decodeMethodResponse(xmlFault(4, 'no'))).toEqual({ kind: 'fault', faultCode: 4, faultString: 'no' });
  });
});
