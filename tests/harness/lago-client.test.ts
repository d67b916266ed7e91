import { describe, expect, it } from 'vitest';
import { isLagoError, LagoClient, lagoRequest, okBody } from '../../harness/clients/lago.ts';

const OPTIONS = { baseUrl: 'http://127.0.0.1:8069/', apiKey: 'fb_key' };

function recordingFetch(status: number, body: string) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof fetch;
  return { fetch: fetchStub, calls };
}

describe('Lago API requests', () => {
  it('puts the service key in a Bearer header and JSON in the body', () => {
    const { url, init } = lagoRequest(OPTIONS, 'POST', '/events', { body: { event: { transaction_id: 't1' } } });
    expect(url).toBe('http://127.0.0.1:8069/api/v1/events');
    expect(init).toMatchObject({
      method: 'POST',
      headers: { Authorization: 'Bearer fb_key', 'Content-Type': 'application/json', Accept: 'application/json' },
    });
    expect(JSON.parse(String(init.body))).toEqual({ event: { transaction_id: 't1' } });
  });

  it('sends string bodies as they are, can omit or replace the key, and drops undefined query values', () => {
    const malformed = lagoRequest(OPTIONS, 'POST', '/events', { body: '{"event": ', apiKey: null });
    expect(malformed.init.body).toBe('{"event": ');
    expect(malformed.init.headers.Authorization).toBeUndefined();
    expect(lagoRequest(OPTIONS, 'GET', '/plans', { apiKey: 'other' }).init.headers.Authorization).toBe('Bearer other');
    const { url, init } = lagoRequest(OPTIONS, 'GET', '/invoices', {
      query: { external_customer_id: 'tnt 1&2', page: 2, per_page: undefined },
    });
    expect(url).toBe('http://127.0.0.1:8069/api/v1/invoices?external_customer_id=tnt+1%262&page=2');
    expect(init.body).toBeUndefined();
  });

  it('encodes path parameters and current_usage options', async () => {
    const { fetch, calls } = recordingFetch(200, '{"customer_usage": {}}');
    const client = new LagoClient({ ...OPTIONS, fetch });
    await client.currentUsage('ws/1 2', 'sub#1', { applyTaxes: false });
    await client.terminateSubscription('sub/é');
    expect(calls.map((call) => [call.init.method, call.url])).toEqual([
      ['GET', 'http://127.0.0.1:8069/api/v1/customers/ws%2F1%202/current_usage?external_subscription_id=sub%231&apply_taxes=false'],
      ['DELETE', 'http://127.0.0.1:8069/api/v1/subscriptions/sub%2F%C3%A9'],
    ]);
  });

  it('answers {status, body} for errors too, never throwing', async () => {
    const error = {
      status: 422,
      error: 'Unprocessable Entity',
      code: 'validation_errors',
      error_details: { 1: { code: ['metric_not_found'] } },
    };
    const { fetch, calls } = recordingFetch(422, JSON.stringify(error));
    const response = await new LagoClient({ ...OPTIONS, fetch }).createEventsBatch([
      { transaction_id: 't', external_subscription_id: 's', code: 'c' },
    ]);
    expect(response).toEqual({ status: 422, body: error });
    expect(isLagoError(response.body)).toBe(true);
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual({
      events: [{ transaction_id: 't', external_subscription_id: 's', code: 'c' }],
    });
    expect(() => okBody(response, 'batch')).toThrow(/^batch: HTTP 422 .*metric_not_found/);
  });

  it('says when an answer was not JSON (the official client cannot parse it as an error)', async () => {
    const { fetch } = recordingFetch(502, '<html>Bad Gateway</html>');
    const response = await new LagoClient({ ...OPTIONS, fetch }).listPlans();
    expect(response).toEqual({ status: 502, body: expect.stringMatching(/^non-JSON answer \(/) });
    expect(isLagoError(response.body)).toBe(false);
    // A raw request keeps the text.
    expect(await new LagoClient({ ...OPTIONS, fetch }).request('GET', '/plans')).toEqual({ status: 502, body: '<html>Bad Gateway</html>' });
  });

  it('sends default headers with every request, under the per-call ones', () => {
    const options = { ...OPTIONS, headers: { 'X-Odoo-Database': 'pilot', Accept: 'text/plain' } };
    expect(lagoRequest(options, 'GET', '/plans').init.headers).toMatchObject({ 'X-Odoo-Database': 'pilot', Accept: 'text/plain' });
    expect(lagoRequest(options, 'GET', '/plans', { headers: { 'X-Odoo-Database': 'other' } }).init.headers['X-Odoo-Database']).toBe(
      'other',
    );
  });

  it('withKey talks to the same server with another service key', () => {
    const other = new LagoClient(OPTIONS).withKey('fb_desk');
    expect(other).toBeInstanceOf(LagoClient);
    expect(okBody({ status: 200, body: { plans: [] } })).toEqual({ plans: [] });
  });
});
